package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A session as the API shows it; {@code metadata} is the stored JSON text, written out as-is. */
@RegisterForReflection // serialized by hand for the cache, outside the types the REST layer registers
public record Session(
        String continuationId,
        String userId,
        String title,
        @JsonRawValue String metadata,
        int messageCount,
        String createdAt,
        String updatedAt,
        String expiresAt) {
}
