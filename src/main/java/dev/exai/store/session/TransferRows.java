package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** Export and import in PostgreSQL: a history read in bounded parts, imported messages inserted with their own times, import keys. */
@ApplicationScoped
class TransferRows {

    private final Database db;
    private final Cipher cipher;

    TransferRows(Database db, Cipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /**
     * The next part of an export: messages after {@code afterSeq} through {@code upto}, at most 200 and about 2 MiB of
     * text (always at least one), so an export of any length holds one part in memory at a time.
     */
    Uni<List<Message>> exportPart(UUID sessionId, long afterSeq, long upto) {
        return db.run(pool -> pool.preparedQuery("SELECT * FROM (SELECT " + Rows.MESSAGE_COLUMNS + ", sum(octet_length(content)"
                        + " + coalesce(octet_length(reasoning), 0)) OVER (ORDER BY seq) AS bytes FROM chat_messages"
                        + " WHERE session_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 200) part"
                        + " WHERE bytes <= 2097152 OR seq = $2 + 1 ORDER BY seq")
                .execute(Tuple.of(sessionId, afterSeq, upto))
                .map(rows -> Rows.messages(rows, cipher)));
    }


    /**
     * Inserts imported messages {@code firstSeq..} with their own times, flags and the token counts to store ({@code tokens},
     * {@code reasoningTokens}), and the running
     * token sums from {@code tokensBefore}/{@code totalBefore}; the caller sets the session's counts afterwards.
     */
    Uni<Void> insertImported(SqlClient sql, String tenant, UUID sessionId, long firstSeq, List<SessionTransfer.ImportedMessage> part,
                             int[] tokens, int[] reasoningTokens, long tokensBefore, long totalBefore) {
        int n = part.size();
        List<NewMessage> messages = part.stream().map(SessionTransfer.ImportedMessage::message).toList();
        MessageColumns c = new MessageColumns(messages, tokens, reasoningTokens, tokensBefore, totalBefore, cipher.enabled());
        Boolean[] estimated = new Boolean[n];
        Boolean[] redacted = new Boolean[n];
        OffsetDateTime[] created = new OffsetDateTime[n];
        String[] status = new String[n];
        String[] finishReason = new String[n];
        for (int i = 0; i < n; i++) {
            estimated[i] = part.get(i).tokenCountEstimated();
            redacted[i] = part.get(i).redacted();
            created[i] = part.get(i).createdAt();
            status[i] = part.get(i).status();
            finishReason[i] = part.get(i).finishReason();
        }
        boolean sealed = cipher.enabled();
        Cipher.Blind blind = cipher.blind(tenant);
        return sql.preparedQuery("INSERT INTO chat_messages (session_id, seq, role, content, metadata, tool_name, model, provider,"
                        + " input_tokens, output_tokens, files, images, reasoning, token_count, reasoning_token_count,"
                        + " token_count_estimated, tokens_through, total_through, created_at, redacted, search_doc, status, finish_reason)"
                        + " SELECT $1, $2 + t.ord - 1, t.role, " + (sealed ? "t.sealed" : "t.content") + ", t.metadata::jsonb, t.tool, t.model, t.provider, t.input, t.output,"
                        + " string_to_array(NULLIF(t.files, ''), ',')::uuid[], string_to_array(NULLIF(t.images, ''), ',')::uuid[],"
                        + " t.reasoning, t.tokens, t.reasoning_tokens, t.estimated, t.tokens_through, t.total_through,"
                        + " coalesce(t.created, now()), t.redacted, " + Rows.searchDoc("t.content", "t.pieces", sealed ? "$25" : null) + ", t.status, t.finish_reason"
                        + " FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[],"
                        + " $11::text[], $12::text[], $13::text[], $14::int[], $15::int[], $16::boolean[], $17::bigint[], $18::bigint[],"
                        + " $19::timestamptz[], $20::boolean[], $21::text[], $22::text[], $23::text[]" + (sealed ? ", $24::text[]" : "")
                        + ") WITH ORDINALITY AS t(role, content,"
                        + " metadata, tool, model, provider, input, output, files, images, reasoning, tokens, reasoning_tokens, estimated,"
                        + " tokens_through, total_through, created, redacted, pieces, status, finish_reason, " + (sealed ? "sealed, " : "") + "ord)")
                .execute(Tuple.from(arguments(sessionId, firstSeq, c, tenant, estimated, created, redacted, status, finishReason, blind)))
                .replaceWithVoid();
    }

    private List<Object> arguments(UUID sessionId, long firstSeq, MessageColumns c, String tenant, Boolean[] estimated,
                                   OffsetDateTime[] created, Boolean[] redacted, String[] status, String[] finishReason, Cipher.Blind blind) {
        List<Object> args = new ArrayList<>(Arrays.asList(sessionId, firstSeq, c.roles, c.contents, c.metadata, c.tools, c.models,
                c.providers, c.inputs, c.outputs, c.files, c.images, MessageColumns.sealed(cipher, tenant, c.reasonings), c.counts,
                c.reasoningCounts, estimated, c.tokensThrough, c.totalThrough, created, redacted, c.pieces, status, finishReason));
        if (blind != null) {
            args.add(MessageColumns.sealed(cipher, tenant, c.contents));
            args.add(Buffer.buffer(blind.key()));
        }
        return args;
    }


    /** Sets an imported session's counts once its messages are in; answers the session as stored. */
    Uni<StoredSession> finishImport(SqlClient sql, UUID sessionId, int count, long tokensTotal, long reasoningTotal) {
        return sql.preparedQuery("UPDATE chat_sessions SET message_count = $2, tokens_total = $3, reasoning_total = $4,"
                        + " version = version + 1 WHERE id = $1 RETURNING " + Rows.SESSION_COLUMNS)
                .execute(Tuple.of(sessionId, count, tokensTotal, reasoningTotal))
                .map(rows -> Rows.first(rows, r -> Rows.session(r, cipher)));
    }


    /** Claims an import's idempotency key for the tenant: true when this request owns it now. */
    Uni<Boolean> claimImportKey(SqlClient sql, String tenant, String key, byte[] requestHash, String cid) {
        return sql.preparedQuery("INSERT INTO import_idempotency_keys (tenant, key, request_hash, continuation_id)"
                        + " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(tenant, key, Buffer.buffer(requestHash), cid))
                .map(rows -> rows.rowCount() == 1);
    }


    /** The body hash and session of an import key used before, or null. */
    Uni<UsedImportKey> usedImportKey(SqlClient sql, String tenant, String key) {
        return sql.preparedQuery("SELECT request_hash, continuation_id FROM import_idempotency_keys WHERE tenant = $1 AND key = $2")
                .execute(Tuple.of(tenant, key))
                .map(rows -> Rows.first(rows, r -> new UsedImportKey(r.getBuffer("request_hash").getBytes(), r.getString("continuation_id"))));
    }

    record UsedImportKey(byte[] requestHash, String continuationId) {
    }

}
