package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** Full-text search over a tenant's messages in PostgreSQL (the {@code search_doc} column and its GIN index). */
@ApplicationScoped
class SearchRows {

    private final Database db;

    SearchRows(Database db) {
        this.db = db;
    }

    /**
     * Ranked search over the tenant's live sessions with the filters given, best first, after the cursor's (rank, id).
     * The rank reads the stored search_doc; the snippet is computed for the page only. The query is MATERIALIZED so it
     * is built once: inlined, PostgreSQL would rebuild it for every row it rechecks and ranks.
     */
    Uni<List<SearchHit>> search(String tenant, SearchQuery query, SearchFilters filters, Float afterRank, UUID afterId, int limit) {
        String words = "(CASE WHEN $2 <> '' THEN websearch_to_tsquery('english', $2) END)";
        String pieces = "(CASE WHEN $3 <> '' THEN to_tsquery('simple', $3) END)";
        String statement = "WITH q AS MATERIALIZED (SELECT coalesce(" + words + " && " + pieces + ", " + words + ", " + pieces + ") AS q,"
                + " " + words + " AS words),"
                + " hits AS (SELECT s.continuation_id, m.id, m.seq, m.role, m.content, m.metadata::text AS metadata, m.tool_name,"
                + " m.model, m.token_count, m.created_at, ts_rank(m.search_doc, q.q) AS rank, q.words"
                + " FROM q, chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                + " WHERE m.search_doc @@ q.q AND s.tenant = $1 AND " + Rows.LIVE_S
                + " AND ($4::text IS NULL OR s.user_id = $4) AND ($5::text IS NULL OR s.continuation_id = $5)"
                + " AND ($6::text IS NULL OR m.role = $6) AND ($7::text IS NULL OR m.tool_name = $7)"
                + " AND ($8::text IS NULL OR m.model = $8) AND ($9::timestamptz IS NULL OR m.created_at >= $9)"
                + " AND ($10::timestamptz IS NULL OR m.created_at < $10) AND ($11::text IS NULL OR m.metadata @> $11::jsonb)"
                + " AND NOT m.redacted)"
                + " SELECT h.*, CASE WHEN h.words IS NOT NULL THEN ts_headline('english', left(h.content, 262144), h.words,"
                + " 'StartSel=" + SearchQuery.MARK + ", StopSel=" + SearchQuery.UNMARK + ", MaxWords=30, MinWords=10, MaxFragments=2,"
                + " FragmentDelimiter=\" … \"') END AS headline"
                + " FROM (SELECT * FROM hits WHERE $12::real IS NULL OR (rank, id) < ($12::real, $13::uuid)"
                + " ORDER BY rank DESC, id DESC LIMIT $14) h ORDER BY h.rank DESC, h.id DESC";
        return db.run(pool -> pool.preparedQuery(statement)
                .execute(Tuple.from(Arrays.asList(tenant, query.words, query.pieces, filters.userId(), filters.continuationId(),
                        filters.role(), filters.toolName(), filters.model(), filters.from(), filters.to(), filters.metadata(),
                        afterRank, afterId, limit)))
                .map(rows -> {
                    List<SearchHit> hits = new ArrayList<>();
                    for (Row r : rows) {
                        String content = r.getString("content");
                        hits.add(new SearchHit(r.getString("continuation_id"), r.getUUID("id").toString(), r.getLong("seq"),
                                r.getString("role"), content, r.getString("metadata"), r.getString("tool_name"), r.getString("model"),
                                r.getInteger("token_count"), Times.format(r.getOffsetDateTime("created_at")), r.getFloat("rank"),
                                query.snippet(r.getString("headline"), content)));
                    }
                    return hits;
                }));
    }

}
