package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.Times;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
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
    private final Cipher cipher;

    SearchRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /**
     * Ranked search over the tenant's live sessions with the filters given, best first, after the cursor's (rank, id).
     * The rank reads the stored search_doc; the snippet is computed for the page only. The query is MATERIALIZED so it
     * is built once: inlined, PostgreSQL would rebuild it for every row it rechecks and ranks. With encryption on, the
     * query's words are hashed as the blind index's are, and the page's snippets are made from its opened text by a
     * second statement (the stored text is sealed).
     */
    Uni<List<SearchHit>> search(String tenant, String q, SearchFilters filters, Float afterRank, UUID afterId, int limit) {
        Cipher.Blind blind = cipher.blind(tenant);
        SearchQuery query = SearchQuery.parse(q, blind != null);
        String words = blinded("(CASE WHEN $2 <> '' THEN websearch_to_tsquery('english', $2) END)", blind);
        String pieces = blinded("(CASE WHEN $3 <> '' THEN to_tsquery('simple', $3) END)", blind);
        String headline = blind != null ? "NULL::text" : "CASE WHEN h.words IS NOT NULL THEN " + HEADLINE.formatted("left(h.content, 262144)", "h.words") + " END";
        String statement = "WITH q AS MATERIALIZED (SELECT " + SearchQuery.both(words, pieces) + " AS q,"
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
                + " SELECT h.*, " + headline + " AS headline"
                + " FROM (SELECT * FROM hits WHERE $12::real IS NULL OR (rank, id) < ($12::real, $13::uuid)"
                + " ORDER BY rank DESC, id DESC LIMIT $14) h ORDER BY h.rank DESC, h.id DESC";
        List<Object> args = new ArrayList<>(Arrays.asList(tenant, query.words, query.pieces, filters.userId(), filters.continuationId(),
                filters.role(), filters.toolName(), filters.model(), filters.from(), filters.to(), filters.metadata(),
                afterRank, afterId, limit));
        if (blind != null) {
            args.add(Buffer.buffer(blind.key()));
        }
        return db.run(pool -> pool.preparedQuery(statement).execute(Tuple.from(args))
                .chain(rows -> {
                    List<Row> found = new ArrayList<>();
                    rows.forEach(found::add);
                    List<String> contents = found.stream().map(r -> cipher.open(r.getString("content"))).toList();
                    Uni<List<String>> headlines = blind == null || query.words.isBlank() || found.isEmpty()
                            ? Uni.createFrom().item(found.stream().map(r -> r.getString("headline")).toList())
                            : headlines(pool, contents, query.words);
                    return headlines.map(marked -> {
                        List<SearchHit> hits = new ArrayList<>(found.size());
                        for (int i = 0; i < found.size(); i++) {
                            Row r = found.get(i);
                            hits.add(new SearchHit(r.getString("continuation_id"), r.getUUID("id").toString(), r.getLong("seq"),
                                    r.getString("role"), contents.get(i), r.getString("metadata"), r.getString("tool_name"), r.getString("model"),
                                    r.getInteger("token_count"), Times.format(r.getOffsetDateTime("created_at")), r.getFloat("rank"),
                                    query.snippet(marked.get(i), contents.get(i))));
                        }
                        return hits;
                    });
                }));
    }

    /** PostgreSQL's headline of a text for a words query, as SQL over the two expressions. */
    private static final String HEADLINE = "ts_headline('english', %s, %s, 'StartSel=" + SearchQuery.MARK + ", StopSel="
            + SearchQuery.UNMARK + ", MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=\" … \"')";

    /** The query with its words hashed as the blind index's are (encryption on: the key at $15). */
    private static String blinded(String tsquery, Cipher.Blind blind) {
        return blind == null ? tsquery : "exai_blind_query(" + tsquery + ", $15::bytea)";
    }

    /** The headlines of opened texts (encryption on), in their order: the text is sent, never stored. */
    private static Uni<List<String>> headlines(io.vertx.mutiny.sqlclient.Pool pool, List<String> contents, String words) {
        return pool.preparedQuery("SELECT " + HEADLINE.formatted("left(u.c, 262144)", "websearch_to_tsquery('english', $2)")
                        + " FROM unnest($1::text[]) WITH ORDINALITY AS u(c, n) ORDER BY u.n")
                .execute(Tuple.of(contents.toArray(String[]::new), words))
                .map(rows -> {
                    List<String> marked = new ArrayList<>(rows.size());
                    rows.forEach(r -> marked.add(r.getString(0)));
                    return marked;
                });
    }

}
