package dev.exai.store.session;

import java.time.OffsetDateTime;

/** What a message search may be narrowed to; a null field does not narrow. {@code metadata} is a JSON object to contain. */
public record SearchFilters(String userId, String continuationId, String role, String toolName, String model,
                            OffsetDateTime from, OffsetDateTime to, String metadata) {
}
