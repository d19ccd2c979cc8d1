package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A stored message as the API shows it; {@code metadata} is the stored JSON text, written out as-is. */
@RegisterForReflection // serialized by hand for the cache, outside the types the REST layer registers
public record Message(
        String id,
        long seq,
        String role,
        String content,
        @JsonRawValue String metadata,
        Integer tokenCount,
        String createdAt) {
}
