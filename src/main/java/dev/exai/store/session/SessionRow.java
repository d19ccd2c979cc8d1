package dev.exai.store.session;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A session as a row, for row APIs (the Supabase door): its id, which the native API never shows, and its fields.
 * {@code metadata} is JSON text.
 */
public record SessionRow(UUID id, String continuationId, String title, String metadata, String userId,
                         OffsetDateTime createdAt, OffsetDateTime updatedAt) {

    /** The columns a {@code RowQuery} over sessions may name. */
    public static final java.util.Set<String> COLUMNS = java.util.Set.of("id", "continuation_id", "title", "metadata", "user_id",
            "created_at", "updated_at");
}
