package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import dev.exai.store.common.RowQuery;
import dev.exai.store.common.RowSql;
import dev.exai.store.common.ViewRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The door's one table of its own, {@code provider_file_uploads} (migration V14): EXAI's records of files it gave a
 * model provider, which name no file of exai-store's, kept per tenant with the columns EXAI's module writes.
 */
@ApplicationScoped
class ProviderUploads {

    private static final String TABLE = "door_provider_file_uploads";
    private static final String COLUMNS = "id, provider, provider_file_id, purpose, metadata::text AS metadata, last_used, created_at,"
            + " updated_at";
    private static final Map<String, RowSql.Column> VIEW = Map.of("id", new RowSql.Column("id", "uuid"),
            "provider", new RowSql.Column("provider", "text"), "provider_file_id", new RowSql.Column("provider_file_id", "text"),
            "purpose", new RowSql.Column("purpose", "text"), "metadata", new RowSql.Column("metadata", "jsonb"),
            "last_used", new RowSql.Column("last_used", "timestamptz"), "created_at", new RowSql.Column("created_at", "timestamptz"),
            "updated_at", new RowSql.Column("updated_at", "timestamptz"));
    /** The columns a client may write, in the order of the insert's parameters $2... */
    private static final List<String> WRITABLE = List.of("provider", "provider_file_id", "purpose", "metadata", "last_used");

    private final Database db;

    ProviderUploads(Database db) {
        this.db = db;
    }

    /** One record, read by its view's column names. */
    record UploadRow(UUID id, String provider, String providerFileId, String purpose, String metadata, OffsetDateTime lastUsed,
                     OffsetDateTime createdAt, OffsetDateTime updatedAt) implements ViewRow {
        @Override
        public Object value(String column) {
            return switch (column) {
                case "id" -> id;
                case "provider" -> provider;
                case "provider_file_id" -> providerFileId;
                case "purpose" -> purpose;
                case "metadata" -> metadata;
                case "last_used" -> lastUsed;
                case "created_at" -> createdAt;
                case "updated_at" -> updatedAt;
                default -> throw new IllegalArgumentException("no provider upload column " + column);
            };
        }
    }

    Uni<List<UploadRow>> rows(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE tenant = $1 AND (" + where + ")"
                        + " ORDER BY " + RowSql.orderBy(query, VIEW, "id") + (query.limit() == null ? "" : " LIMIT " + query.limit())
                        + " OFFSET " + query.offset())
                .execute(Tuple.from(params)).map(ProviderUploads::uploads));
    }

    Uni<Long> count(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("SELECT count(*) FROM " + TABLE + " WHERE tenant = $1 AND (" + where + ")")
                .execute(Tuple.from(params)).map(found -> found.iterator().next().getLong(0)));
    }

    /**
     * Inserts the rows, all or nothing. A row whose (provider, provider_file_id) the tenant has is skipped with
     * {@code ignoreDuplicates}, merged (the columns it gives replace the stored ones) with {@code merge}, else a 409 23505.
     */
    Uni<List<UploadRow>> insert(String tenant, List<ObjectNode> rows, boolean ignoreDuplicates, boolean merge) {
        String insert = "INSERT INTO " + TABLE + " (tenant, provider, provider_file_id, purpose, metadata, last_used)"
                + " VALUES ($1, $2, $3, coalesce($4, 'file-extract'), coalesce($5::text::jsonb, '{}'), coalesce($6::text::timestamptz, now()))"
                + " ON CONFLICT ON CONSTRAINT provider_file_uploads_provider_provider_file_id_key DO "
                + (merge ? "UPDATE SET purpose = coalesce($4, " + TABLE + ".purpose), metadata = coalesce($5::text::jsonb, " + TABLE
                        + ".metadata), last_used = coalesce($6::text::timestamptz, " + TABLE + ".last_used), updated_at = now()" : "NOTHING")
                + " RETURNING " + COLUMNS;
        return db.inTransaction(conn -> {
            Uni<List<UploadRow>> done = Uni.createFrom().item(new ArrayList<>());
            for (ObjectNode row : rows) {
                List<Object> args = new ArrayList<>(List.of(tenant));
                WRITABLE.forEach(column -> args.add(text(row.get(column))));
                done = done.chain(list -> conn.preparedQuery(insert).execute(Tuple.from(args)).map(found -> {
                    if (found.size() == 0 && !ignoreDuplicates) {
                        throw PostgrestError.duplicate("provider_file_uploads_provider_provider_file_id_key", "provider, provider_file_id",
                                args.get(1) + ", " + args.get(2));
                    }
                    list.addAll(uploads(found));
                    return list;
                }));
            }
            return done;
        });
    }

    /** Sets the patch's columns on every row the query selects; answers them as they are now. */
    Uni<List<UploadRow>> update(String tenant, RowQuery query, ObjectNode patch) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        List<String> sets = new ArrayList<>();
        for (String column : WRITABLE) {
            if (patch.has(column)) {
                params.add(text(patch.get(column)));
                sets.add(column + " = $" + params.size() + "::text::" + VIEW.get(column).type());
            }
        }
        sets.add("updated_at = now()");
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("UPDATE " + TABLE + " SET " + String.join(", ", sets)
                        + " WHERE tenant = $1 AND (" + where + ") RETURNING " + COLUMNS)
                .execute(Tuple.from(params)).map(ProviderUploads::uploads));
    }

    /** Deletes every row the query selects; answers them as they were. */
    Uni<List<UploadRow>> delete(String tenant, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, VIEW, params);
        return db.run(pool -> pool.preparedQuery("DELETE FROM " + TABLE + " WHERE tenant = $1 AND (" + where + ") RETURNING " + COLUMNS)
                .execute(Tuple.from(params)).map(ProviderUploads::uploads));
    }

    /** A JSON value as the text PostgreSQL casts: objects as JSON, null as SQL null. */
    private static String text(JsonNode value) {
        return value == null || value.isNull() ? null : value.isContainerNode() ? value.toString() : value.asText();
    }

    private static List<UploadRow> uploads(RowSet<Row> found) {
        List<UploadRow> list = new ArrayList<>(found.size());
        for (Row r : found) {
            list.add(new UploadRow(r.getUUID("id"), r.getString("provider"), r.getString("provider_file_id"), r.getString("purpose"),
                    r.getString("metadata"), r.getOffsetDateTime("last_used"), r.getOffsetDateTime("created_at"),
                    r.getOffsetDateTime("updated_at")));
        }
        return list;
    }
}
