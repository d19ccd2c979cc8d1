package dev.exai.store.session;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A message a row API writes (the Supabase door): the session it goes to by id, the message, the time the client
 * gives it (null: now) and its client key (unique per tenant; null: none).
 */
public record NewMessageRow(UUID sessionId, NewMessage message, OffsetDateTime createdAt, String clientKey) {
}
