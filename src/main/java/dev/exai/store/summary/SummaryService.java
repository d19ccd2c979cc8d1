package dev.exai.store.summary;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Cursors;
import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Times;
import dev.exai.store.common.Tokens;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.Principal;
import dev.exai.store.session.SessionService;
import dev.exai.store.session.StoredSession;
import dev.exai.store.session.SummaryHook;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Summaries' units of work: write one (idempotent), list, read and delete them; and, for the session room, make stale
 * in a redaction's transaction the ones that cover the redacted message, and offer the live ones to a context read.
 * Each write records its event in its own transaction.
 */
@ApplicationScoped
public class SummaryService implements SummaryHook {

    private final Database db;
    private final SummaryRows rows;
    private final SessionService sessions;
    private final Tokens tokens;
    private final EventOutbox events;

    public SummaryService(Database db, SummaryRows rows, SessionService sessions, Tokens tokens, EventOutbox events) {
        this.db = db;
        this.rows = rows;
        this.sessions = sessions;
        this.tokens = tokens;
        this.events = events;
    }

    /** A stored summary, and whether it answers an earlier request with the same Idempotency-Key. */
    public record Written(SummaryView summary, boolean replayed) {
    }

    /** Stores a summary of {@code cid}'s history through {@code summary.throughSeq()}, a stored seq of it (400 otherwise). */
    public Uni<Written> write(Principal caller, String cid, NewSummary summary, String key, byte[] hash) {
        String tenant = caller.tenant();
        Uni<Integer> counted = summary.tokenCount() != null ? Uni.createFrom().item(summary.tokenCount()) : tokens.countSafely(summary.content());
        return sessions.stored(caller, cid).chain(session -> {
            if (summary.throughSeq() > session.view().messageCount()) {
                throw ProblemException.badRequest("through_seq " + summary.throughSeq() + " is not a message of session " + cid
                        + " (it has " + session.view().messageCount() + ")");
            }
            return counted.chain(count -> db.inTransaction(conn -> rows.insert(conn, tenant, session.id(), cid, summary, count,
                            summary.tokenCount() == null, key, hash)
                    .chain(stored -> stored != null
                            ? events.record(conn, tenant, "summary.created", cid, JsonNodeFactory.instance.objectNode()
                                    .put("continuation_id", cid).put("summary_id", stored.view().id()).put("through_seq", summary.throughSeq()))
                                    .replaceWith(new Written(stored.view(), false))
                            : replay(conn, session, key, hash))));
        });
    }

    private Uni<Written> replay(SqlClient sql, StoredSession session, String key, byte[] hash) {
        return rows.findByKey(sql, session.id(), key).map(first -> {
            if (first == null || !Arrays.equals(first.requestHash(), hash)) {
                throw ProblemException.unprocessable("idempotency-key-reused",
                        "Idempotency-Key " + key + " was already used with a different request body");
            }
            return new Written(first.view(), true);
        });
    }

    /** The session's summaries, newest first, stale ones included (without content). */
    public Uni<Page<SummaryView>> list(Principal caller, String cid, int limit, String cursor) {
        List<String> after = cursor == null ? null : Cursors.decode(cursor, 2);
        return sessions.stored(caller, cid).chain(session -> db.run(pool -> rows.page(pool, session.id(),
                        after == null ? null : Times.parse("cursor", after.get(0)), after == null ? null : uuid(after.get(1)), limit + 1)))
                .map(page -> {
                    List<SummaryView> items = page.stream().limit(limit).map(SummaryRows.Stored::view).toList();
                    SummaryRows.Stored last = page.size() > limit ? page.get(limit - 1) : null; // full precision, not the wire's ms
                    return new Page<>(items, last == null ? null : Cursors.encode(last.createdAt().toString(), last.view().id()));
                });
    }

    public Uni<SummaryView> get(Principal caller, String cid, String id) {
        UUID summaryId = summaryId(id);
        return sessions.stored(caller, cid).chain(session -> db.run(pool -> rows.find(pool, session.id(), summaryId)))
                .onItem().ifNull().failWith(() -> ProblemException.notFound("summary " + id + " of session " + cid))
                .map(SummaryRows.Stored::view);
    }

    public Uni<Void> delete(Principal caller, String cid, String id) {
        UUID summaryId = summaryId(id);
        return sessions.stored(caller, cid).chain(session -> db.run(pool -> rows.delete(pool, session.id(), summaryId)))
                .map(deleted -> {
                    if (!deleted) {
                        throw ProblemException.notFound("summary " + id + " of session " + cid);
                    }
                    return null;
                });
    }

    @Override
    public Uni<Void> messageRedacted(SqlClient sql, String tenant, UUID sessionId, long seq, List<UUID> continuations) {
        return rows.makeStale(sql, sessionId, seq, continuations).chain(staled -> {
            Uni<Void> recorded = Uni.createFrom().voidItem();
            for (SummaryRows.Staled s : staled) {
                ObjectNode data = JsonNodeFactory.instance.objectNode().put("continuation_id", s.continuationId()).put("summary_id", s.id());
                recorded = recorded.chain(() -> events.record(sql, tenant, "summary.stale", s.continuationId(), data));
            }
            return recorded;
        });
    }

    @Override
    public Uni<List<Candidate>> candidates(UUID sessionId, int limit) {
        return db.run(pool -> rows.live(pool, sessionId, limit));
    }

    private static UUID summaryId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("summary " + id);
        }
    }

    private static UUID uuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }
}
