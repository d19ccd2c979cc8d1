package dev.exai.store.session;

import dev.exai.store.common.ViewRow;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;

/**
 * A session as a row, for row APIs (the Supabase door): its id, which the native API never shows, and its fields.
 * {@code metadata} is JSON text.
 */
public record SessionRow(UUID id, String continuationId, String title, String metadata, String userId,
                         OffsetDateTime createdAt, OffsetDateTime updatedAt) implements ViewRow {

    /** The columns a {@code RowQuery} over sessions may name. */
    public static final Set<String> COLUMNS = Set.of("id", "continuation_id", "title", "metadata", "user_id",
            "created_at", "updated_at");

    @Override
    public Object value(String column) {
        return switch (column) {
            case "id" -> id;
            case "continuation_id" -> continuationId;
            case "title" -> title;
            case "metadata" -> metadata;
            case "user_id" -> userId;
            case "created_at" -> createdAt;
            case "updated_at" -> updatedAt;
            default -> throw new IllegalArgumentException("no session column " + column);
        };
    }
}
