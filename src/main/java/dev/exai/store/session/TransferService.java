package dev.exai.store.session;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.exai.store.common.Database;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.ProblemException;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Export and import's units of work: a session's history streamed out one part at a time, and a session made from
 * an export, all or nothing, idempotent under a key.
 */
@ApplicationScoped
public class TransferService {

    /** How many imported messages one statement inserts. */
    private static final int IMPORT_PART = 1000;

    private final Database db;
    private final TransferRows rows;
    private final SessionRows sessionRows;
    private final SessionService sessions;
    private final MessageService messages;
    private final SessionCache cache;
    private final SummaryHook summaries;
    private final AuditTrail audit;

    public TransferService(Database db, TransferRows rows, SessionRows sessionRows, SessionService sessions, MessageService messages,
                           SessionCache cache, SummaryHook summaries, AuditTrail audit) {
        this.audit = audit;
        this.db = db;
        this.rows = rows;
        this.sessionRows = sessionRows;
        this.sessions = sessions;
        this.messages = messages;
        this.cache = cache;
        this.summaries = summaries;
    }

    /** The lines an export ends with: the session's live summaries. */
    public Multi<String> exportSummaries(StoredSession session) {
        return summaries.exportLines(session.id()).onItem().transformToMulti(lines -> Multi.createFrom().iterable(lines));
    }

    /** The live session to export, or a 404. */
    public Uni<StoredSession> exportable(Principal caller, String cid) {
        return sessionRows.find(caller.tenant(), cid).onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    /**
     * The session's messages as they were when the export began (seq 1..message_count), read from PostgreSQL one part
     * at a time as the client takes them: memory stays flat whatever the length of the history.
     */
    public Multi<Message> exportMessages(StoredSession session) {
        long upto = session.view().messageCount();
        AtomicLong after = new AtomicLong();
        return Multi.createBy().repeating()
                .uni(() -> rows.exportPart(session.id(), after.get(), upto)
                        .invoke(part -> part.forEach(m -> after.set(m.seq()))))
                .whilst(part -> !part.isEmpty() && after.get() < upto)
                .onItem().transformToIterable(part -> part);
    }

    /**
     * Creates a session from an export, all or nothing: the session, then its messages in parts, in one transaction.
     * With an idempotency key, a retry with the same body answers the session the first one made (replayed), another
     * body a 422. File references must be the tenant's files (a 400 naming the line).
     */
    public Uni<Imported> importSession(Principal caller, SessionTransfer.Parsed parsed, String idempotencyKey, byte[] requestHash) {
        String tenant = caller.tenant();
        List<NewMessage> imported = parsed.messages().stream().map(SessionTransfer.ImportedMessage::message).toList();
        String cid = parsed.session().continuationId();
        return messages.checkReferences(tenant, imported, i -> "line " + (i + 2))
                .chain(() -> messages.counted(imported))
                .chain(counts -> db.inTransaction(conn -> {
                    Uni<Boolean> claimed = idempotencyKey == null ? Uni.createFrom().item(true)
                            : rows.claimImportKey(conn, tenant, idempotencyKey, requestHash, cid);
                    return claimed.chain(owned -> owned
                            ? insertImported(conn, tenant, parsed, counts)
                                    .call(session -> audit.record(conn, caller, "session.import", "session " + cid,
                                            JsonNodeFactory.instance.objectNode().put("messages", imported.size())))
                                    .map(session -> new Imported(session.view(), false))
                            : replayImport(conn, tenant, idempotencyKey, requestHash));
                }))
                // the first read re-warms the cache from PostgreSQL; keys left by an earlier session of that id go
                .call(result -> result.replayed() ? Uni.createFrom().voidItem() : cache.evict(tenant, cid));
    }

    private Uni<StoredSession> insertImported(SqlConnection conn, String tenant, SessionTransfer.Parsed parsed, int[][] counts) {
        return sessions.insertNew(conn, tenant, parsed.session(), false)
                .chain(session -> {
                    List<SessionTransfer.ImportedMessage> all = parsed.messages();
                    Uni<Void> written = Uni.createFrom().voidItem();
                    long tokensBefore = 0;
                    long totalBefore = 0;
                    for (int from = 0; from < all.size(); from += IMPORT_PART) {
                        int to = Math.min(all.size(), from + IMPORT_PART);
                        List<SessionTransfer.ImportedMessage> part = all.subList(from, to);
                        int[] tokens = Arrays.copyOfRange(counts[0], from, to);
                        int[] reasoning = Arrays.copyOfRange(counts[1], from, to);
                        long firstSeq = from + 1;
                        long tb = tokensBefore;
                        long ttb = totalBefore;
                        written = written.chain(() -> rows.insertImported(conn, tenant, session.id(), firstSeq, part, tokens, reasoning, tb, ttb));
                        for (int i = from; i < to; i++) {
                            tokensBefore += counts[0][i];
                            totalBefore += counts[0][i] + counts[1][i];
                        }
                    }
                    long tokensTotal = tokensBefore;
                    long reasoningTotal = totalBefore - tokensBefore;
                    long[] tokensThrough = new long[all.size() + 1];
                    long[] totalThrough = new long[all.size() + 1];
                    for (int i = 0; i < all.size(); i++) {
                        tokensThrough[i + 1] = tokensThrough[i] + counts[0][i];
                        totalThrough[i + 1] = totalThrough[i] + counts[0][i] + counts[1][i];
                    }
                    return written.chain(() -> rows.finishImport(conn, session.id(), all.size(), tokensTotal, reasoningTotal))
                            .call(() -> parsed.summaries().isEmpty() ? Uni.createFrom().voidItem()
                                    : summaries.restore(conn, tenant, session.id(), parsed.session().continuationId(), parsed.summaries(),
                                            tokensThrough, totalThrough));
                });
    }

    private Uni<Imported> replayImport(SqlConnection conn, String tenant, String key, byte[] requestHash) {
        return rows.usedImportKey(conn, tenant, key).chain(used -> {
            if (!MessageDigest.isEqual(used.requestHash(), requestHash)) {
                return Uni.createFrom().failure(IdempotencyKey.reused(key));
            }
            return sessionRows.find(conn, tenant, used.continuationId())
                    .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + used.continuationId()
                            + ", imported with Idempotency-Key " + key + ", no longer exists"))
                    .map(session -> new Imported(session.view(), true));
        });
    }

    /** A session an import made, and whether this answer replays an earlier import with the same key. */
    public record Imported(Session session, boolean replayed) {
    }
}
