package dev.exai.store.session;

import dev.exai.store.common.Times;
import dev.exai.store.security.Cipher;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The session room's columns and row mappers, shared by its stores so that a row reads the same wherever it is read. */
final class Rows {

    static final String SESSION_COLUMNS = sessionColumns("");
    static final String MESSAGE_COLUMNS = qualified("");
    /** The streamed-answer columns an append's RETURNING adds to the others it names. */
    static final String STREAM_COLUMNS = "status, finish_reason, chunks_received, chunks_contiguous";
    static final String LIVE = "(expires_at IS NULL OR expires_at > now())";
    /** {@link #LIVE} for chat_sessions aliased {@code s}. */
    static final String LIVE_S = "(s.expires_at IS NULL OR s.expires_at > now())";
    /**
     * A message's search_doc from its content and unspaced-script pieces ({@link SearchQuery#pieces}), SQL expressions:
     * the same value as {@code exai_search_document} in migration V7, computed cheaply. With a blind-index key (an SQL
     * expression; encryption on) each word is replaced by its keyed hash, positions kept (migration V24); written out
     * here rather than called as a function, which PostgreSQL cannot inline and which cost twice the hashing.
     */
    static String searchDoc(String content, String pieces, String blindKey) {
        return wordsDoc("english", content, pieces, blindKey);
    }

    /** The same for a document of {@code config}'s words (english for messages, simple for titles). */
    static String wordsDoc(String config, String content, String pieces, String blindKey) {
        String doc = "to_tsvector('" + config + "'::regconfig, left(" + content + ", " + SearchQuery.SEARCHED_CHARS
                + ")) || to_tsvector('simple'::regconfig, " + pieces + ")";
        return blindKey == null ? doc : "(SELECT coalesce(string_agg(left(encode(sha256(" + blindKey + "::bytea || convert_to(d.lexeme,"
                + " 'UTF8')), 'hex'), 20) || coalesce(':' || array_to_string(d.positions, ','), ''), ' '), '')::tsvector"
                + " FROM unnest(" + doc + ") AS d)";
    }

    private Rows() {
    }

    /**
     * The message columns for chat_messages aliased {@code alias} ("" or "m."). A streaming answer's content and
     * reasoning are its contiguous pieces from index 0, assembled here, so every read shows the answer as far as it goes.
     */
    static String qualified(String alias) {
        String a = alias.isEmpty() ? "chat_messages." : alias;
        return a + "id, " + a + "seq, " + a + "role, " + assembled(a, "content") + ", " + a + "metadata::text AS metadata, "
                + a + "tool_name, " + a + "model, " + a + "provider, " + a + "input_tokens, " + a + "output_tokens, "
                + a + "files::text[] AS files, " + a + "images::text[] AS images, " + assembled(a, "reasoning") + ", "
                + a + "token_count, " + a + "token_count_estimated, " + a + "reasoning_token_count, " + a + "created_at, "
                + a + "tokens_through, " + a + "total_through, " + a + "redacted, " + a + "edits, " + a + "status, "
                + a + "finish_reason, " + a + "chunks_received, " + a + "chunks_contiguous";
    }

    private static String assembled(String a, String column) {
        String pieces = "(SELECT string_agg(c." + column + ", '' ORDER BY c.idx) FROM message_chunks c WHERE c.message_id = "
                + a + "id AND c.idx < " + a + "chunks_contiguous)";
        return "CASE WHEN " + a + "status = 'streaming' THEN " + (column.equals("content") ? "coalesce(" + pieces + ", '')" : pieces)
                + " ELSE " + a + column + " END AS " + column;
    }

    static String sessionColumns(String alias) {
        return String.join(", ", alias + "id", alias + "continuation_id", alias + "user_id", alias + "title",
                alias + "metadata::text AS metadata", alias + "message_count", alias + "version", alias + "created_at",
                alias + "updated_at", alias + "expires_at", alias + "parent_id", alias + "parent_continuation_id",
                alias + "parent_seq", alias + "depth", alias + "max_messages", alias + "ttl_seconds", alias + "ttl_sliding",
                alias + "tokens_total", alias + "reasoning_total");
    }


    static StoredSession session(Row row, Cipher cipher) {
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        int count = row.getInteger("message_count");
        Integer max = row.getInteger("max_messages");
        Session view = new Session(row.getString("continuation_id"), row.getString("user_id"), cipher.open(row.getString("title")),
                row.getString("metadata"), count, Times.format(row.getOffsetDateTime("created_at")),
                Times.format(row.getOffsetDateTime("updated_at")), Times.format(expires),
                row.getString("parent_continuation_id"), row.getInteger("parent_seq"), max,
                max == null ? null : Math.max(0, max - count), row.getLong("ttl_seconds"), row.getBoolean("ttl_sliding"));
        return new StoredSession(row.getUUID("id"), row.getLong("version"), expires, row.getUUID("parent_id"),
                row.getInteger("depth"), row.getLong("tokens_total"), row.getLong("reasoning_total"), view);
    }

    static List<Message> messages(RowSet<Row> rows, Cipher cipher) {
        List<Message> list = new ArrayList<>(rows.size());
        for (Row r : rows) {
            list.add(message(r, "id", "metadata", "created_at", cipher));
        }
        return list;
    }


    /** A message row as the API shows it, its content and reasoning opened ({@link Cipher#open}). */
    static Message message(Row r, String idColumn, String metadataColumn, String createdColumn, Cipher cipher) {
        Integer input = r.getInteger("input_tokens");
        Integer output = r.getInteger("output_tokens");
        return new Message(r.getUUID(idColumn).toString(), r.getLong("seq"), r.getString("role"), cipher.open(r.getString("content")),
                r.getString(metadataColumn), r.getString("tool_name"), r.getString("model"), r.getString("provider"),
                input == null && output == null ? null : new Message.Usage(input, output), ids(r, "files"), ids(r, "images"),
                cipher.open(r.getString("reasoning")), r.getInteger("token_count"), r.getBoolean("token_count_estimated"),
                Times.format(r.getOffsetDateTime(createdColumn)), r.getBoolean("redacted"), r.getString("status"),
                r.getString("finish_reason"), r.getInteger("chunks_received"), r.getInteger("chunks_contiguous"),
                r.getInteger("reasoning_token_count"),
                r.getLong("tokens_through"), r.getLong("total_through"), r.getInteger("edits"));
    }

    private static List<String> ids(Row row, String column) {
        String[] ids = row.getArrayOfStrings(column);
        return ids == null ? List.of() : List.of(ids);
    }

    static <T> T first(RowSet<Row> rows, Function<Row, T> mapper) {
        var it = rows.iterator();
        return it.hasNext() ? mapper.apply(it.next()) : null;
    }
}
