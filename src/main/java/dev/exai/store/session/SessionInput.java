package dev.exai.store.session;

/** The validated optional fields of a create or get-or-create request. */
public record SessionInput(String continuationId, String userId, String title, String metadata, Long ttlSeconds) {
}
