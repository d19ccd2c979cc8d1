package dev.exai.store.session;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A session row: its wire view plus what only the service needs (row id, version for the cache, expiry, the
 * parent's row id and the depth of the chain, the running token totals of its history).
 */
public record StoredSession(UUID id, long version, OffsetDateTime expiresAt, UUID parentId, int depth,
                            long tokensTotal, long reasoningTotal, Session view) {
}
