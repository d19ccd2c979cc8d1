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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The door's tables of its own (migrations V14, V17): {@code provider_file_uploads}, {@code files} and
 * {@code conversation_files}, which hold what EXAI's module writes and no other room keeps. Each is a SQL table with a
 * tenant column and the client's columns; reads, inserts and upserts on a unique key, updates and deletes are
 * PostgreSQL's own, so defaults, NOT NULL, enum values and key clashes answer with PostgreSQL's codes and words.
 */
@ApplicationScoped
class OwnTables {

    private final Database db;

    OwnTables(Database db) {
        this.db = db;
    }

    /** One row, read by the table's column names. */
    record OwnRow(Map<String, Object> values) implements ViewRow {
        @Override
        public Object value(String column) {
            return values.get(column);
        }
    }

    Uni<List<OwnRow>> rows(String tenant, DoorTable table, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, view(table), params);
        return db.run(pool -> pool.preparedQuery("SELECT " + selected(table) + " FROM " + table.own().sqlTable()
                        + " WHERE tenant = $1 AND (" + where + ") ORDER BY " + RowSql.orderBy(query, view(table), tiebreak(table))
                        + (query.limit() == null ? "" : " LIMIT " + query.limit()) + " OFFSET " + query.offset())
                .execute(Tuple.from(params)).map(found -> rows(table, found)));
    }

    Uni<Long> count(String tenant, DoorTable table, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, view(table), params);
        return db.run(pool -> pool.preparedQuery("SELECT count(*) FROM " + table.own().sqlTable() + " WHERE tenant = $1 AND (" + where + ")")
                .execute(Tuple.from(params)).map(found -> found.iterator().next().getLong(0)));
    }

    /**
     * Inserts the rows in one transaction, all or nothing, each with the columns it gives (the others take their
     * defaults). With a conflict target (a unique key's columns), a row that clashes on it is skipped
     * ({@code ignore}) or has the columns it gives written over the stored ones ({@code merge}); without, a clash is
     * PostgreSQL's 23505. Answers the rows inserted or merged.
     */
    Uni<List<OwnRow>> insert(String tenant, DoorTable table, List<ObjectNode> given, List<String> target, boolean ignore, boolean merge) {
        DoorTable.Own own = table.own();
        return db.inTransaction(conn -> {
            Uni<List<OwnRow>> done = Uni.createFrom().item(new ArrayList<>());
            for (ObjectNode row : given) {
                List<String> columns = new ArrayList<>();
                row.fieldNames().forEachRemaining(columns::add);
                List<Object> args = new ArrayList<>(List.of(tenant));
                List<String> values = new ArrayList<>(List.of("$1"));
                for (String column : columns) {
                    args.add(text(row.get(column)));
                    values.add("$" + args.size() + "::text::" + table.column(column).type().sql());
                }
                String sql = "INSERT INTO " + own.sqlTable() + " (tenant" + columns.stream().map(c -> ", " + c).collect(Collectors.joining())
                        + ") VALUES (" + String.join(", ", values) + ")" + onConflict(table, columns, target, ignore, merge)
                        + " RETURNING " + selected(table);
                done = done.chain(list -> conn.preparedQuery(sql).execute(Tuple.from(args)).map(found -> {
                    list.addAll(rows(table, found));
                    return list;
                }));
            }
            return done;
        });
    }

    private static String onConflict(DoorTable table, List<String> columns, List<String> target, boolean ignore, boolean merge) {
        if (target == null || !(ignore || merge)) {
            return "";
        }
        // a key that is the tenant's (a unique constraint) includes the tenant column; the primary key is a uuid alone
        String keys = (target.equals(table.own().primaryKey()) && !table.own().primaryKeyHasTenant() ? "" : "tenant, ") + String.join(", ", target);
        if (ignore) {
            return " ON CONFLICT (" + keys + ") DO NOTHING";
        }
        List<String> sets = new ArrayList<>();
        columns.stream().filter(c -> !target.contains(c)).forEach(c -> sets.add(c + " = EXCLUDED." + c));
        if (table.own().touched() != null) {
            sets.add(table.own().touched() + " = now()");
        }
        if (sets.isEmpty()) {
            sets.add(target.get(0) + " = EXCLUDED." + target.get(0));
        }
        // never another tenant's row, whatever uuid a client gives
        return " ON CONFLICT (" + keys + ") DO UPDATE SET " + String.join(", ", sets) + " WHERE " + table.own().sqlTable()
                + ".tenant = EXCLUDED.tenant";
    }

    /** Sets the patch's columns on every row the query selects; answers them as they are now. */
    Uni<List<OwnRow>> update(String tenant, DoorTable table, RowQuery query, ObjectNode patch) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        List<String> sets = new ArrayList<>();
        patch.fieldNames().forEachRemaining(column -> {
            params.add(text(patch.get(column)));
            sets.add(column + " = $" + params.size() + "::text::" + table.column(column).type().sql());
        });
        if (table.own().touched() != null) {
            sets.add(table.own().touched() + " = now()");
        }
        if (sets.isEmpty()) {
            return rows(tenant, table, query);
        }
        String where = RowSql.where(query, view(table), params);
        return db.run(pool -> pool.preparedQuery("UPDATE " + table.own().sqlTable() + " SET " + String.join(", ", sets)
                        + " WHERE tenant = $1 AND (" + where + ") RETURNING " + selected(table))
                .execute(Tuple.from(params)).map(found -> rows(table, found)));
    }

    /** Deletes every row the query selects (and, by the foreign keys, what hangs on them); answers them as they were. */
    Uni<List<OwnRow>> delete(String tenant, DoorTable table, RowQuery query) {
        List<Object> params = new ArrayList<>(List.of(tenant));
        String where = RowSql.where(query, view(table), params);
        return db.run(pool -> pool.preparedQuery("DELETE FROM " + table.own().sqlTable() + " WHERE tenant = $1 AND (" + where + ")"
                        + " RETURNING " + selected(table))
                .execute(Tuple.from(params)).map(found -> rows(table, found)));
    }

    private static Map<String, RowSql.Column> view(DoorTable table) {
        Map<String, RowSql.Column> view = new LinkedHashMap<>();
        table.columns().values().forEach(c -> view.put(c.name(), new RowSql.Column(c.name(), c.type().sql())));
        return view;
    }

    private static String tiebreak(DoorTable table) {
        return String.join(", ", table.own().primaryKey());
    }

    /** Every column, JSON as its text (read back by {@link DoorRows}). */
    private static String selected(DoorTable table) {
        return table.columns().values().stream()
                .map(c -> c.type() == DoorTable.Type.JSON ? c.name() + "::text AS " + c.name()
                        : c.type() == DoorTable.Type.FILE_TYPE ? c.name() + "::text AS " + c.name() : c.name())
                .collect(Collectors.joining(", "));
    }

    /** A JSON value as the text PostgreSQL casts: objects as JSON, null as SQL null. */
    private static String text(JsonNode value) {
        return value == null || value.isNull() ? null : value.isContainerNode() ? value.toString() : value.asText();
    }

    private static List<OwnRow> rows(DoorTable table, RowSet<Row> found) {
        List<OwnRow> list = new ArrayList<>(found.size());
        for (Row r : found) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (DoorTable.DoorColumn c : table.columns().values()) {
                values.put(c.name(), switch (c.type()) {
                    case UUID -> r.getUUID(c.name());
                    case TIMESTAMPTZ, TIMESTAMP -> r.getOffsetDateTime(c.name());
                    case INTEGER -> r.getInteger(c.name());
                    default -> r.getString(c.name());
                });
            }
            list.add(new OwnRow(values));
        }
        return list;
    }
}
