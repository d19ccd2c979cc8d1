package dev.exai.store.security;

import com.fasterxml.jackson.annotation.JsonRawValue;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One row of the audit trail as {@code GET /admin/audit} shows it. */
public record AuditEntry(
        long id,
        String at,
        String tenant,
        String keyId,
        String action,
        String object,
        String requestId,
        String clientAddress,
        @JsonRawValue @Schema(type = SchemaType.OBJECT, description = "a JSON object") String detail) {
}
