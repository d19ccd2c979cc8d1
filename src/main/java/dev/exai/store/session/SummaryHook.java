package dev.exai.store.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.security.Principal;
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
     * A live summary a context read may use: it stands for the history of session {@code continuationId} (with what that
     * session continues) through its message {@code throughSeq}, and {@code tokensAfter} is what that session's messages
     * after it, through the read's last one of it, add.
     */
    record Candidate(String id, String continuationId, long throughSeq, String content, long tokenCount, long tokensAfter) {
    }

    /**
     * One session of the chain a context read walks: its summaries through {@code maxThrough} may serve, {@code total} is
     * its running token sum through the read's last message of it, and {@code budget} what is left for it once the
     * newer sessions of the chain are counted whole.
     */
    record Level(String continuationId, long maxThrough, long total, long budget) {
    }

    /**
     * In the caller's transaction, as message {@code seq} of {@code sessionId} changes (redacted, or a streamed answer
     * finished): summaries of {@code sessionId} through {@code seq} or later, and every summary of the sessions in
     * {@code continuations} (whose histories include that message), become stale. Answers the continuation_ids of the
     * sessions that had one made stale (their cached summaries go once the change commits).
     */
    Uni<List<String>> messageChanged(SqlClient sql, Principal caller, UUID sessionId, long seq, List<UUID> continuations);

    /** A live summary as the cache keeps it for context reads. */
    record Live(String id, long throughSeq, long createdAtMicros, long tokenCount, long tokensThrough, String content) {
    }

    /** The session's live summaries, for the cache. */
    Uni<List<Live>> live(String tenant, String cid);

    /**
     * The live summary that stands in for the most history: of the first of {@code levels} (newest session first) that
     * has one whose tokens plus those of its session's messages after it fit that level's budget, the one with the highest
     * {@code through_seq}; null when none does. One query, whatever the length of the history.
     */
    Uni<Candidate> best(String tenant, List<Level> levels, boolean withReasoning);

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
