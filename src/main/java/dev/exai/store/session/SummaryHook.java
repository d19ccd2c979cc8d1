package dev.exai.store.session;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import java.util.List;
import java.util.UUID;

/**
 * What the session room asks of the summary room, which implements it, so that this room never imports that one:
 * inside a redaction's transaction, make stale every summary that covers the redacted message; for a context read,
 * the live summaries that could stand in for a session's older turns; the summary lines of an export and an import.
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

    /** The lines an export ends with: the session's live summaries, oldest first, each a JSON object with "kind": "summary". */
    Uni<List<String>> exportLines(UUID sessionId);

    /** A summary line of an import, and its 1-based line number. */
    record ImportLine(int line, JsonNode json) {
    }

    /**
     * In the import's transaction: stores its summaries; {@code tokensThrough[k]} and {@code totalThrough[k]} are the
     * new session's running token sums through message k. A bad line is a 400 naming it (and rolls the import back).
     */
    Uni<Void> restore(SqlClient sql, String tenant, UUID sessionId, String cid, List<ImportLine> lines, long[] tokensThrough,
                      long[] totalThrough);
}
