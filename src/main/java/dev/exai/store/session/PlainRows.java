package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * Rows of the session room written before encryption was turned on, sealed in batches ({@link SealingJob}): message
 * content and reasoning with a blind search document, the pieces of open answers, and titles with their blind words.
 * Each batch is one statement, committed on its own; a row changed since it was read (edited, redacted, finished) is
 * left for the next batch, so the job never writes back a value a request replaced.
 */
@ApplicationScoped
class PlainRows {

    /** A text column's value is plain when it does not start with the sealed mark. */
    private static final String PLAIN = " NOT LIKE E'\\001E1:%'";

    private final Database db;
    private final Cipher cipher;

    PlainRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /** Seals up to {@code batch} plain messages (complete ones: a streaming answer's text is in its pieces); answers how many. */
    Uni<Integer> sealMessages(int batch) {
        return inBatch("SELECT m.id, s.tenant, m.content, m.reasoning, m.edits FROM chat_messages m"
                        + " JOIN chat_sessions s ON s.id = m.session_id WHERE m.status <> 'streaming' AND (m.content" + PLAIN
                        + " OR m.reasoning" + PLAIN + ") LIMIT $1", batch, (pool, rows) -> {
                    int n = rows.size();
                    UUID[] ids = new UUID[n];
                    Integer[] edits = new Integer[n];
                    String[] plain = new String[n];
                    String[] pieces = new String[n];
                    String[] content = new String[n];
                    String[] reasoning = new String[n];
                    Buffer[] keys = new Buffer[n];
                    int i = 0;
                    for (Row r : rows) {
                        String tenant = r.getString("tenant");
                        Cipher.Blind blind = cipher.blind(tenant);
                        ids[i] = r.getUUID("id");
                        edits[i] = r.getInteger("edits");
                        plain[i] = cipher.open(r.getString("content"));
                        pieces[i] = SearchQuery.pieces(plain[i], true);
                        content[i] = cipher.seal(tenant, plain[i]);
                        reasoning[i] = cipher.seal(tenant, cipher.open(r.getString("reasoning")));
                        keys[i] = Buffer.buffer(blind.key());
                        i++;
                    }
                    return pool.preparedQuery("UPDATE chat_messages m SET content = t.content, reasoning = t.reasoning,"
                                    + " search_doc = CASE WHEN m.redacted THEN m.search_doc ELSE "
                                    + Rows.searchDoc("t.plain", "t.pieces", "t.blind_key") + " END"
                                    + " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[])"
                                    + " AS t(id, edits, plain, pieces, content, reasoning, blind_key)"
                                    + " WHERE m.id = t.id AND m.edits = t.edits AND m.status <> 'streaming'")
                            .execute(Tuple.from(List.<Object>of(ids, edits, plain, pieces, content, reasoning, keys)))
                            .map(done -> n);
                });
    }

    /** Seals up to {@code batch} plain pieces of open streamed answers; answers how many. */
    Uni<Integer> sealPieces(int batch) {
        return inBatch("SELECT c.message_id, c.idx, s.tenant, c.content, c.reasoning FROM message_chunks c"
                        + " JOIN chat_messages m ON m.id = c.message_id JOIN chat_sessions s ON s.id = m.session_id"
                        + " WHERE c.content" + PLAIN + " OR c.reasoning" + PLAIN + " LIMIT $1", batch, (pool, rows) -> {
                    List<Object[]> sealed = new ArrayList<>();
                    for (Row r : rows) {
                        String tenant = r.getString("tenant");
                        sealed.add(new Object[] {r.getUUID("message_id"), r.getInteger("idx"),
                                cipher.seal(tenant, cipher.open(r.getString("content"))),
                                cipher.seal(tenant, cipher.open(r.getString("reasoning")))});
                    }
                    // a piece is written once and never changed: sealing it again (another replica's pass) only seals it anew
                    return pool.preparedQuery("UPDATE message_chunks c SET content = t.content, reasoning = t.reasoning"
                                    + " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS t(id, idx, content, reasoning)"
                                    + " WHERE c.message_id = t.id AND c.idx = t.idx")
                            .execute(Tuple.of(sealed.stream().map(p -> p[0]).toArray(UUID[]::new),
                                    sealed.stream().map(p -> p[1]).toArray(Integer[]::new),
                                    sealed.stream().map(p -> p[2]).toArray(String[]::new),
                                    sealed.stream().map(p -> p[3]).toArray(String[]::new)))
                            .map(done -> sealed.size());
                });
    }

    /** Seals up to {@code batch} plain titles with their blind words; answers how many. */
    Uni<Integer> sealTitles(int batch) {
        return inBatch("SELECT id, tenant, title FROM chat_sessions WHERE title" + PLAIN + " LIMIT $1", batch, (pool, rows) -> {
                    int n = rows.size();
                    UUID[] ids = new UUID[n];
                    String[] plain = new String[n];
                    String[] pieces = new String[n];
                    String[] sealed = new String[n];
                    Buffer[] keys = new Buffer[n];
                    int i = 0;
                    for (Row r : rows) {
                        Cipher.Blind blind = cipher.blind(r.getString("tenant"));
                        ids[i] = r.getUUID("id");
                        plain[i] = r.getString("title");
                        pieces[i] = SearchQuery.pieces(plain[i], true);
                        sealed[i] = cipher.seal(r.getString("tenant"), plain[i]);
                        keys[i] = Buffer.buffer(blind.key());
                        i++;
                    }
                    return pool.preparedQuery("UPDATE chat_sessions s SET title = t.sealed, title_doc = "
                                    + Rows.wordsDoc("simple", "t.plain", "t.pieces", "t.blind_key")
                                    + " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])"
                                    + " AS t(id, plain, pieces, sealed, blind_key) WHERE s.id = t.id AND s.title = t.plain")
                            .execute(Tuple.from(List.<Object>of(ids, plain, pieces, sealed, keys)))
                            .map(done -> n);
                });
    }

    /**
     * Reads a batch of plain rows ({@code select}, limited by $1, each with its tenant), makes their tenants' data keys
     * ready and seals them ({@code seal}); 0 when none is left.
     */
    private Uni<Integer> inBatch(String select, int batch, BiFunction<Pool, RowSet<Row>, Uni<Integer>> seal) {
        return db.run(pool -> pool.preparedQuery(select).execute(Tuple.of(batch))
                .chain(rows -> rows.size() == 0 ? Uni.createFrom().item(0) : ready(rows).chain(() -> seal.apply(pool, rows))));
    }

    /** Makes the data keys of the rows' tenants ready. */
    private Uni<Void> ready(RowSet<Row> rows) {
        List<String> tenants = new ArrayList<>();
        rows.forEach(r -> tenants.add(r.getString("tenant")));
        return cipher.ready(tenants);
    }
}
