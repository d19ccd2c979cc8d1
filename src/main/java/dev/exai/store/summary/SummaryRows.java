package dev.exai.store.summary;

import dev.exai.store.common.Times;
import dev.exai.store.security.Cipher;
import dev.exai.store.session.ChainLink;
import dev.exai.store.session.SummaryHook;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** The summary room's SQL: the {@code summaries} table. */
@ApplicationScoped
class SummaryRows {

    /** Seals the content written and opens the content read (encryption at rest). */
    private final Cipher cipher;

    SummaryRows(Cipher cipher) {
        this.cipher = cipher;
    }

    private static final String COLUMNS = "id, continuation_id, through_seq, content, token_count, token_count_estimated, model, metadata::text AS metadata,"
            + " created_at, stale";

    /** A stored summary with what only the service needs: the request hash of its idempotency key. */
    record Stored(SummaryView view, byte[] requestHash, OffsetDateTime createdAt) {
    }

    /** A summary made stale: which, and of which session. */
    record Staled(String id, String continuationId) {
    }

    /** Inserts the summary; null when its idempotency key is taken already (the caller replays or refuses). */
    Uni<Stored> insert(SqlClient sql, String tenant, UUID sessionId, String cid, NewSummary summary, int tokenCount,
                       boolean estimated, Sums sums, String key, byte[] hash) {
        return sql.preparedQuery("INSERT INTO summaries (tenant, session_id, continuation_id, through_seq, content, token_count,"
                        + " token_count_estimated, model, metadata, idempotency_key, request_hash, tokens_through, total_through)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13)"
                        + " ON CONFLICT (session_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING "
                        + COLUMNS + ", request_hash")
                .execute(Tuple.from(Arrays.asList(tenant, sessionId, cid, (int) summary.throughSeq(), cipher.seal(tenant, summary.content()), tokenCount,
                        estimated, summary.model(), summary.metadata(), key,
                        hash == null ? null : io.vertx.core.buffer.Buffer.buffer(hash), sums.tokens(), sums.total())))
                .map(this::first);
    }

    /** An imported summary, in the import's transaction; answers its new id. */
    Uni<String> insertImported(SqlClient sql, String tenant, UUID sessionId, String cid, ImportedSummary imported, Sums sums) {
        NewSummary summary = imported.summary();
        return sql.preparedQuery("INSERT INTO summaries (tenant, session_id, continuation_id, through_seq, content, token_count,"
                        + " token_count_estimated, model, metadata, tokens_through, total_through, created_at)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, coalesce($12, now())) RETURNING id")
                .execute(Tuple.from(Arrays.asList(tenant, sessionId, cid, (int) summary.throughSeq(), cipher.seal(tenant, summary.content()),
                        summary.tokenCount(), imported.estimated(), summary.model(), summary.metadata(), sums.tokens(), sums.total(),
                        imported.createdAt())))
                .map(rows -> rows.iterator().next().getUUID("id").toString());
    }

    /** The session's live summaries, oldest first: what an export writes. */
    Uni<List<SummaryView>> liveOldestFirst(SqlClient sql, UUID sessionId) {
        return sql.preparedQuery("SELECT " + COLUMNS + ", request_hash FROM summaries WHERE session_id = $1 AND NOT stale"
                        + " ORDER BY through_seq, created_at")
                .execute(Tuple.of(sessionId))
                .map(rows -> {
                    List<SummaryView> live = new ArrayList<>(rows.size());
                    rows.forEach(r -> live.add(stored(r).view()));
                    return live;
                });
    }

    /** The session's live summaries as the cache keeps them for context reads. */
    Uni<List<SummaryHook.Live>> live(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT id, through_seq, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us, token_count,"
                        + " tokens_through, content FROM summaries WHERE tenant = $1 AND continuation_id = $2 AND NOT stale")
                .execute(Tuple.of(tenant, cid))
                .map(rows -> {
                    List<SummaryHook.Live> live = new ArrayList<>(rows.size());
                    rows.forEach(r -> live.add(new SummaryHook.Live(r.getUUID("id").toString(), r.getInteger("through_seq"),
                            r.getLong("created_us"), r.getInteger("token_count"), r.getLong("tokens_through"), cipher.open(r.getString("content")))));
                    return live;
                });
    }

    /** The session's running token sums through the summary's last message: without reasoning, and with it. */
    record Sums(long tokens, long total) {
    }

    Uni<Stored> findByKey(SqlClient sql, UUID sessionId, String key) {
        return sql.preparedQuery("SELECT " + COLUMNS + ", request_hash FROM summaries WHERE session_id = $1 AND idempotency_key = $2")
                .execute(Tuple.of(sessionId, key)).map(this::first);
    }

    /** The summary {@code id} of a session of the chain, through the messages the chain holds of that session. */
    Uni<Stored> find(SqlClient sql, List<ChainLink> chain, UUID id) {
        return sql.preparedQuery("SELECT " + COLUMNS + ", request_hash FROM summaries s JOIN " + CHAIN
                        + " ON s.session_id = l.sid AND s.through_seq <= l.upto WHERE s.id = $3")
                .execute(Tuple.of(ids(chain), uptos(chain), id)).map(this::first);
    }

    /**
     * One page of the chain's summaries (each session's through the messages the chain holds of it), newest first,
     * after the (created_at, id) of the last one read (or from the newest).
     */
    Uni<List<Stored>> page(SqlClient sql, List<ChainLink> chain, OffsetDateTime afterAt, UUID afterId, int limit) {
        return sql.preparedQuery("SELECT " + COLUMNS + ", request_hash FROM summaries s JOIN " + CHAIN
                        + " ON s.session_id = l.sid AND s.through_seq <= l.upto"
                        + " WHERE ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4)) ORDER BY created_at DESC, id DESC LIMIT $5")
                .execute(Tuple.from(Arrays.asList(ids(chain), uptos(chain), afterAt, afterId, limit)))
                .map(rows -> {
                    List<Stored> page = new ArrayList<>(rows.size());
                    rows.forEach(r -> page.add(stored(r)));
                    return page;
                });
    }

    Uni<Boolean> delete(SqlClient sql, UUID sessionId, UUID id) {
        return sql.preparedQuery("DELETE FROM summaries WHERE session_id = $1 AND id = $2").execute(Tuple.of(sessionId, id))
                .map(rows -> rows.rowCount() > 0);
    }

    /** Wipes and marks stale the live summaries of {@code sessionId} through {@code seq} or later, and all of {@code others}. */
    Uni<List<Staled>> makeStale(SqlClient sql, UUID sessionId, long seq, List<UUID> others) {
        return sql.preparedQuery("UPDATE summaries SET stale = true, content = NULL, metadata = NULL WHERE NOT stale"
                        + " AND ((session_id = $1 AND through_seq >= $2) OR session_id = ANY($3)) RETURNING id, continuation_id")
                .execute(Tuple.of(sessionId, (int) seq, others.toArray(UUID[]::new)))
                .map(rows -> {
                    List<Staled> staled = new ArrayList<>(rows.size());
                    rows.forEach(r -> staled.add(new Staled(r.getUUID("id").toString(), r.getString("continuation_id"))));
                    return staled;
                });
    }

    /** See {@link SummaryHook#best}: the levels are joined as arrays, the newest session first. */
    Uni<SummaryHook.Candidate> best(SqlClient sql, String tenant, List<SummaryHook.Level> levels, boolean withReasoning) {
        String through = withReasoning ? "s.total_through" : "s.tokens_through";
        int n = levels.size();
        String[] cids = new String[n];
        Integer[] maxThrough = new Integer[n];
        Long[] totals = new Long[n];
        Long[] budgets = new Long[n];
        Integer[] places = new Integer[n];
        for (int i = 0; i < n; i++) {
            SummaryHook.Level level = levels.get(i);
            cids[i] = level.continuationId();
            maxThrough[i] = (int) level.maxThrough();
            totals[i] = level.total();
            budgets[i] = level.budget();
            places[i] = i;
        }
        return sql.preparedQuery("SELECT s.id, s.continuation_id, s.through_seq, s.content, s.token_count, l.total - " + through
                        + " AS after FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::int[]) AS l(cid, upto, total, budget, place)"
                        + " JOIN summaries s ON s.tenant = $1 AND s.continuation_id = l.cid AND NOT s.stale AND s.through_seq <= l.upto"
                        + " AND s.token_count + l.total - " + through + " <= l.budget"
                        + " ORDER BY l.place, s.through_seq DESC, s.created_at DESC LIMIT 1")
                .execute(Tuple.from(Arrays.asList(tenant, cids, maxThrough, totals, budgets, places)))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return null;
                    }
                    Row r = rows.iterator().next();
                    return new SummaryHook.Candidate(r.getUUID("id").toString(), r.getString("continuation_id"), r.getInteger("through_seq"),
                            cipher.open(r.getString("content")), r.getInteger("token_count"), r.getLong("after"));
                });
    }

    /** A chain as a table {@code l(sid, upto)} from the arrays $1 and $2. */
    private static final String CHAIN = "unnest($1::uuid[], $2::int[]) AS l(sid, upto)";

    private static UUID[] ids(List<ChainLink> chain) {
        return chain.stream().map(ChainLink::id).toArray(UUID[]::new);
    }

    private static Integer[] uptos(List<ChainLink> chain) {
        return chain.stream().map(link -> (int) link.upto()).toArray(Integer[]::new);
    }

    private Stored first(RowSet<Row> rows) {
        return rows.size() == 0 ? null : stored(rows.iterator().next());
    }

    private Stored stored(Row r) {
        OffsetDateTime at = r.getOffsetDateTime("created_at");
        io.vertx.mutiny.core.buffer.Buffer hash = r.getBuffer("request_hash");
        return new Stored(new SummaryView(r.getUUID("id").toString(), r.getString("continuation_id"), r.getInteger("through_seq"), cipher.open(r.getString("content")),
                r.getInteger("token_count"), r.getBoolean("token_count_estimated"), r.getString("model"), r.getString("metadata"),
                Times.format(at), r.getBoolean("stale")), hash == null ? null : hash.getBytes(), at);
    }
}
