package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Streamed answers in PostgreSQL: their pieces ({@code message_chunks}, one row each, written once) and the
 * streaming columns of {@code chat_messages}. Writers of one answer take turns on its message row's lock; completion
 * locks the session row first, as appends do, so the running token sums it moves cannot cross an append.
 */
@ApplicationScoped
class StreamRows {

    /** The running sums move by the finished answer's tokens from its own seq on (docs/design.md, "Streamed answers"). */
    private static final String SHIFT = "WITH later AS (UPDATE chat_messages SET tokens_through = tokens_through + $3,"
            + " total_through = total_through + $3 + $4 WHERE session_id = $1 AND seq >= $2 RETURNING seq, tokens_through),"
            + " s AS (UPDATE chat_sessions SET tokens_total = tokens_total + $3, reasoning_total = reasoning_total + $4,"
            + " version = version + 1, updated_at = now() WHERE id = $1 RETURNING " + Rows.SESSION_COLUMNS + ")"
            + " SELECT s.*, (SELECT array_agg(seq ORDER BY seq) FROM later) AS seqs,"
            + " (SELECT array_agg(tokens_through ORDER BY seq) FROM later) AS throughs FROM s";

    private final Database db;
    private final Cipher cipher;

    StreamRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /** An answer's message row as its writers see it, locked for this transaction. */
    record Open(UUID id, UUID sessionId, String status, boolean streamed, int received, int contiguous, double quietSeconds) {
        boolean streaming() {
            return Message.STREAMING.equals(status);
        }
    }

    /** Marks the appended messages {@code seqs} of the session as streamed answers just opened. */
    Uni<Void> open(SqlClient sql, UUID sessionId, List<Long> seqs) {
        return sql.preparedQuery("UPDATE chat_messages SET status = 'streaming', chunks_received = 0, chunks_contiguous = 0,"
                        + " last_chunk_at = now() WHERE session_id = $1 AND seq = ANY($2::bigint[])")
                .execute(Tuple.of(sessionId, seqs.toArray(Long[]::new))).replaceWithVoid();
    }

    /** Locks the live session's message {@code seq}; null when there is none. */
    Uni<Open> lockMessage(SqlClient sql, String tenant, String cid, long seq) {
        return sql.preparedQuery("SELECT m.id, m.session_id, m.status, m.chunks_received IS NOT NULL AS streamed,"
                        + " coalesce(m.chunks_received, 0) AS received, coalesce(m.chunks_contiguous, 0) AS contiguous,"
                        + " coalesce(extract(epoch FROM now() - m.last_chunk_at)::float8, 0) AS quiet FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                        + " WHERE s.tenant = $1 AND s.continuation_id = $2 AND " + Rows.LIVE_S + " AND m.seq = $3 FOR UPDATE OF m")
                .execute(Tuple.of(tenant, cid, seq))
                .map(rows -> Rows.first(rows, r -> new Open(r.getUUID("id"), r.getUUID("session_id"), r.getString("status"),
                        r.getBoolean("streamed"), r.getInteger("received"), r.getInteger("contiguous"), r.getDouble("quiet"))));
    }

    /** Locks the live session's row (before its message's, as appends lock it before inserting); false when there is none. */
    Uni<Boolean> lockSession(SqlClient sql, String tenant, String cid) {
        return sql.preparedQuery("SELECT 1 FROM chat_sessions WHERE tenant = $1 AND continuation_id = $2 AND " + Rows.LIVE + " FOR UPDATE")
                .execute(Tuple.of(tenant, cid)).map(rows -> rows.size() == 1);
    }

    /** Stores the pieces not stored yet (sealed for the tenant, {@link Cipher#seal}); answers how many it stored. */
    Uni<Integer> insert(SqlClient sql, String tenant, UUID messageId, List<StreamedAnswers.Piece> pieces) {
        return sql.preparedQuery("INSERT INTO message_chunks (message_id, idx, content, reasoning)"
                        + " SELECT $1, t.idx, t.content, t.reasoning FROM unnest($2::int[], $3::text[], $4::text[]) AS t(idx, content, reasoning)"
                        + " ON CONFLICT DO NOTHING")
                .execute(Tuple.of(messageId, pieces.stream().map(StreamedAnswers.Piece::index).toArray(Integer[]::new),
                        pieces.stream().map(p -> cipher.seal(tenant, p.content())).toArray(String[]::new),
                        pieces.stream().map(p -> cipher.seal(tenant, p.reasoning())).toArray(String[]::new)))
                .map(rows -> rows.rowCount());
    }

    /**
     * The indexes among {@code pieces} already stored with other text (at most ten), lowest first. Compared here, not in
     * SQL: sealed twice, the same text is two different values.
     */
    Uni<List<Integer>> conflicting(SqlClient sql, UUID messageId, List<StreamedAnswers.Piece> pieces) {
        Map<Integer, StreamedAnswers.Piece> asked = new HashMap<>();
        pieces.forEach(p -> asked.put(p.index(), p));
        return sql.preparedQuery("SELECT idx, content, reasoning FROM message_chunks WHERE message_id = $1 AND idx = ANY($2::int[])"
                        + " ORDER BY idx")
                .execute(Tuple.of(messageId, asked.keySet().toArray(Integer[]::new)))
                .map(rows -> {
                    List<Integer> conflicts = new ArrayList<>();
                    for (Row r : rows) {
                        StreamedAnswers.Piece p = asked.get(r.getInteger("idx"));
                        if (conflicts.size() < 10 && (!p.content().equals(cipher.open(r.getString("content")))
                                || !Objects.equals(p.reasoning(), cipher.open(r.getString("reasoning"))))) {
                            conflicts.add(p.index());
                        }
                    }
                    return conflicts;
                });
    }

    /** Counts {@code stored} more pieces and sets the contiguous count; answers {received, contiguous}. */
    Uni<int[]> advance(SqlClient sql, UUID messageId, int stored, int contiguous) {
        return sql.preparedQuery("UPDATE chat_messages SET chunks_received = chunks_received + $2, chunks_contiguous = $3,"
                        + " last_chunk_at = now() WHERE id = $1 RETURNING chunks_received, chunks_contiguous")
                .execute(Tuple.of(messageId, stored, contiguous))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new int[] {r.getInteger(0), r.getInteger(1)};
                });
    }

    /** The indexes of the answer's pieces from {@code from} on, ascending: the ones that wait past a gap, and the new ones. */
    Uni<List<Integer>> indexesFrom(SqlClient sql, UUID messageId, int from) {
        return sql.preparedQuery("SELECT idx FROM message_chunks WHERE message_id = $1 AND idx >= $2 ORDER BY idx")
                .execute(Tuple.of(messageId, from)).map(StreamRows::integers);
    }

    /** The indexes below {@code chunks} that are missing (at most twenty), looking only past the contiguous ones. */
    Uni<List<Integer>> missing(SqlClient sql, Open open, int chunks) {
        if (open.contiguous() >= chunks) {
            return Uni.createFrom().item(List.of());
        }
        return sql.preparedQuery("SELECT g FROM generate_series($2::int, $3::int - 1) AS g WHERE NOT EXISTS"
                        + " (SELECT 1 FROM message_chunks WHERE message_id = $1 AND idx = g) ORDER BY g LIMIT 20")
                .execute(Tuple.of(open.id(), open.contiguous(), chunks)).map(StreamRows::integers);
    }

    /** The text and reasoning of pieces {@code 0..count-1}, in order and opened (reasoning null when no piece had any). */
    Uni<String[]> text(SqlClient sql, UUID messageId, int count) {
        return sql.preparedQuery("SELECT coalesce(string_agg(content, '' ORDER BY idx), ''), string_agg(reasoning, '' ORDER BY idx)"
                        + " FROM message_chunks WHERE message_id = $1 AND idx < $2")
                .execute(Tuple.of(messageId, count))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new String[] {cipher.open(r.getString(0)), cipher.open(r.getString(1))};
                });
    }

    /**
     * Writes a finished answer's text, counts and status once, drops its pieces, and moves the running token sums of
     * it and every later message, and the session's totals, by its tokens. Answers the message and what the cache takes.
     */
    Uni<Finished> finish(SqlClient sql, String tenant, Open open, long seq, Ending ending) {
        Cipher.Blind blind = cipher.blind(tenant);
        String doc = Rows.searchDoc("$2", "$3", blind == null ? null : "$14");
        List<Object> args = new ArrayList<>(Arrays.asList(open.id(), ending.content(), SearchQuery.pieces(ending.content(), blind != null),
                cipher.seal(tenant, ending.reasoning()), ending.tokens(), ending.reasoningTokens(), ending.estimated(), ending.inputTokens(),
                ending.outputTokens(), ending.status(), ending.finishReason(), ending.pieces()));
        if (blind != null) {
            args.add(cipher.seal(tenant, ending.content()));
            args.add(Buffer.buffer(blind.key()));
        }
        return sql.preparedQuery("UPDATE chat_messages SET content = " + (blind == null ? "$2" : "$13")
                        + ", reasoning = $4, token_count = $5, reasoning_token_count = $6,"
                        + " token_count_estimated = $7, input_tokens = coalesce($8, input_tokens), output_tokens = coalesce($9, output_tokens),"
                        + " status = $10, finish_reason = $11, chunks_contiguous = $12, search_doc = " + doc
                        + " WHERE id = $1")
                .execute(Tuple.from(args))
                .chain(() -> sql.preparedQuery("DELETE FROM message_chunks WHERE message_id = $1").execute(Tuple.of(open.id())))
                .chain(() -> sql.preparedQuery(SHIFT).execute(Tuple.of(open.sessionId(), seq, ending.tokens(), ending.reasoningTokens())))
                .chain(shifted -> {
                    Row r = shifted.iterator().next();
                    StoredSession session = Rows.session(r, cipher);
                    Long[] seqs = r.getArrayOfLongs("seqs");
                    Long[] throughs = r.getArrayOfLongs("throughs");
                    return sql.preparedQuery("SELECT " + Rows.MESSAGE_COLUMNS + " FROM chat_messages WHERE id = $1")
                            .execute(Tuple.of(open.id()))
                            .map(rows -> new Finished(Rows.messages(rows, cipher).get(0), session, List.of(seqs), List.of(throughs)));
                });
    }

    /** How an answer ends: its final text and counts, status (complete or incomplete), finish reason and piece count. */
    record Ending(String content, String reasoning, int tokens, int reasoningTokens, boolean estimated, Integer inputTokens,
                  Integer outputTokens, String status, String finishReason, int pieces) {
    }

    /** A finished answer, its session as updated, and the running sums (seq, tokens through) of it and every later message. */
    record Finished(Message message, StoredSession session, List<Long> seqs, List<Long> throughs) {
    }

    /** Message {@code seq} of the session, as reads show it. */
    Uni<Message> message(UUID sessionId, long seq) {
        return db.run(pool -> pool.preparedQuery("SELECT " + Rows.MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = $1 AND seq = $2")
                .execute(Tuple.of(sessionId, seq))
                .map(rows -> Rows.messages(rows, cipher).get(0)));
    }

    /** Answers that received nothing for {@code idleSeconds}: (tenant, continuation_id, seq), oldest first, at most {@code limit}. */
    Uni<List<Idle>> idle(long idleSeconds, int limit) {
        return db.run(pool -> pool.preparedQuery("SELECT s.tenant, s.continuation_id, m.seq FROM chat_messages m"
                        + " JOIN chat_sessions s ON s.id = m.session_id WHERE m.status = 'streaming' AND " + Rows.LIVE_S
                        + " AND m.last_chunk_at < now() - $1::bigint * interval '1 second' ORDER BY m.last_chunk_at LIMIT $2")
                .execute(Tuple.of(idleSeconds, limit))
                .map(rows -> {
                    List<Idle> list = new ArrayList<>(rows.size());
                    rows.forEach(r -> list.add(new Idle(r.getString(0), r.getString(1), r.getLong(2))));
                    return list;
                }));
    }

    /** An answer left streaming too long. */
    record Idle(String tenant, String continuationId, long seq) {
    }

    private static List<Integer> integers(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<Integer> list = new ArrayList<>(rows.size());
        rows.forEach(r -> list.add(r.getInteger(0)));
        return list;
    }
}
