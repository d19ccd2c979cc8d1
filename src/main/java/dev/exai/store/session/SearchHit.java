package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A message found by search, with the session it belongs to, its rank and a snippet: an excerpt of its content with
 * each match between {@code <mark>} and {@code </mark>} (the text is not HTML-escaped).
 */
@RegisterForReflection // built into a page by hand
public record SearchHit(
        String continuationId,
        String id,
        long seq,
        String role,
        String content,
        @JsonRawValue @Schema(type = SchemaType.OBJECT, description = "a JSON object") String metadata,
        String toolName,
        String model,
        Integer tokenCount,
        String createdAt,
        float rank,
        String snippet) {
}
