package dev.exai.store.session;

import dev.exai.store.common.ViewRow;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;

/**
 * A message as a row, for row APIs (the Supabase door): its id and its session's id, which the native API never
 * shows, its fields, and the client key it was stored under (unique per tenant; null for a message without one).
 * {@code metadata} is JSON text.
 */
public record MessageRow(UUID id, UUID sessionId, String continuationId, long seq, String role, String content, String metadata,
                         OffsetDateTime createdAt, String clientKey) implements ViewRow {

    /** The columns a {@code RowQuery} over messages may name. */
    public static final Set<String> COLUMNS = Set.of("id", "session_id", "continuation_id", "seq", "role",
            "content", "metadata", "created_at", "client_key");

    @Override
    public Object value(String column) {
        return switch (column) {
            case "id" -> id;
            case "session_id" -> sessionId;
            case "continuation_id" -> continuationId;
            case "seq" -> seq;
            case "role" -> role;
            case "content" -> content;
            case "metadata" -> metadata;
            case "created_at" -> createdAt;
            case "client_key" -> clientKey;
            default -> throw new IllegalArgumentException("no message column " + column);
        };
    }
}
