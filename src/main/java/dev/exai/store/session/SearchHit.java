package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A message found by full-text search, with the session it belongs to and its rank. */
@RegisterForReflection // built into a page by hand
public record SearchHit(
        String continuationId,
        String id,
        long seq,
        String role,
        String content,
        @JsonRawValue String metadata,
        Integer tokenCount,
        String createdAt,
        double rank) {
}
