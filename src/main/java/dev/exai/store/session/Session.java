package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A session as the API shows it; {@code metadata} is the stored JSON text, written out as-is. A continuation names
 * its parent and how many of the parent's messages its history starts with; {@code remainingMessages} is what a
 * turn cap ({@code maxMessages}) still allows.
 */
@RegisterForReflection // serialized by hand for the cache, outside the types the REST layer registers
public record Session(
        String continuationId,
        String userId,
        String title,
        @JsonRawValue @Schema(type = SchemaType.OBJECT, description = "a JSON object") String metadata,
        int messageCount,
        String createdAt,
        String updatedAt,
        String expiresAt,
        String parentContinuationId,
        Integer parentSeq,
        Integer maxMessages,
        Integer remainingMessages,
        Long ttlSeconds,
        boolean ttlSliding) {
}
