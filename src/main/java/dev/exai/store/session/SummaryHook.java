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

    /**
     * A live summary a context read may use: it stands for the session's history through {@code throughSeq}, and
     * {@code tokensAfter} is what the messages after it, through the read's last one, add.
     */
    record Candidate(String id, long throughSeq, String content, long tokenCount, long tokensAfter) {
    }

    /**
     * In the caller's transaction: summaries of {@code sessionId} through {@code seq} or later, and every summary of the
     * sessions in {@code continuations} (whose histories include that message), become stale.
     */
    Uni<Void> messageRedacted(SqlClient sql, String tenant, UUID sessionId, long seq, List<UUID> continuations);

    /**
     * The live summary of the session with the highest {@code through_seq} below {@code upto} (0: any) whose tokens
     * plus those of every message after it fit {@code budget}, given {@code total}, the running sum through the read's
     * last message; null when none does. One query, whatever the length of the history.
     */
    Uni<Candidate> best(String tenant, String cid, long upto, long total, long budget, boolean withReasoning);
}
