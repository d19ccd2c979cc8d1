package dev.exai.store.session;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A session row: its wire view plus what only the service needs (row id, version for the cache, expiry). */
public record StoredSession(UUID id, long version, OffsetDateTime expiresAt, Session view) {
}
