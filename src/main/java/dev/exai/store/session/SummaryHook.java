package dev.exai.store.session;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import java.util.List;
import java.util.UUID;

/**
 * What the session room asks of the summary room, which implements it, so that this room never imports that one:
 * inside a redaction's transaction, make stale every summary that covers the redacted message; for a context read,
 * the live summaries that could stand in for a session's older turns.
 */
public interface SummaryHook {

    /** A live summary a context read may use: it stands for the session's history through {@code throughSeq}. */
    record Candidate(String id, long throughSeq, String content, long tokenCount) {
    }

    /**
     * In the caller's transaction: summaries of {@code sessionId} through {@code seq} or later, and every summary of the
     * sessions in {@code continuations} (whose histories include that message), become stale.
     */
    Uni<Void> messageRedacted(SqlClient sql, String tenant, UUID sessionId, long seq, List<UUID> continuations);

    /** The session's live summaries, highest {@code through_seq} first, at most {@code limit}. */
    Uni<List<Candidate>> candidates(UUID sessionId, int limit);
}
