package dev.exai.store.session;

/**
 * The validated optional fields of a create or get-or-create request. {@code parentContinuationId} with
 * {@code parentSeq} (null: the parent's current last seq) makes a continuation.
 */
public record SessionInput(String continuationId, String userId, String title, String metadata, Long ttlSeconds,
                           boolean ttlSliding, Integer maxMessages, String parentContinuationId, Integer parentSeq) {

    static SessionInput bare(String continuationId) {
        return new SessionInput(continuationId, null, null, "{}", null, false, null, null, null);
    }
}
