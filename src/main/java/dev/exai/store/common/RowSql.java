package dev.exai.store.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link RowQuery} into the WHERE and ORDER BY of a room's own statement, over the SQL expressions the room
 * maps its column names to. Every value is a parameter cast to the column's type, so PostgreSQL itself refuses a bad
 * value with its own SQLSTATE and words ({@code 22P02 invalid input syntax for type uuid: "None"}), as PostgREST's
 * clients expect to read them.
 */
public final class RowSql {

    /** A column as SQL: its expression and the type its values are cast to ({@code uuid}, {@code text}, {@code jsonb}, ...). */
    public record Column(String expression, String type) {
    }

    private RowSql() {
    }

    /** {@code AND}-joined conditions for the query's filters (or {@code true}), adding their values to {@code params}. */
    public static String where(RowQuery query, Map<String, Column> columns, List<Object> params) {
        if (query.filters().isEmpty()) {
            return "true";
        }
        List<String> conditions = new ArrayList<>();
        for (RowQuery.Filter filter : query.filters()) {
            Column column = column(columns, filter.column());
            String condition = condition(column, filter, params);
            conditions.add(filter.negated() ? "NOT (" + condition + ")" : condition);
        }
        return String.join(" AND ", conditions);
    }

    /** The ORDER BY list for the query's order (after it, {@code tiebreak} keeps pages stable), never empty. */
    public static String orderBy(RowQuery query, Map<String, Column> columns, String tiebreak) {
        List<String> keys = new ArrayList<>();
        for (RowQuery.Order order : query.orders()) {
            Column column = column(columns, order.column());
            keys.add(column.expression() + (order.descending() ? " DESC" : " ASC")
                    + (order.nullsFirst() == null ? "" : order.nullsFirst() ? " NULLS FIRST" : " NULLS LAST"));
        }
        keys.add(tiebreak);
        return String.join(", ", keys);
    }

    /** The column of that name, or an {@link RowQuery.UnknownColumn}. */
    public static Column column(Map<String, Column> columns, String name) {
        Column column = columns.get(name);
        if (column == null) {
            throw new RowQuery.UnknownColumn(name);
        }
        return column;
    }

    private static String condition(Column column, RowQuery.Filter filter, List<Object> params) {
        String e = column.expression();
        // sent as text and cast by PostgreSQL, so a bad value is PostgreSQL's own error, not the client driver's
        String cast = "::text::" + column.type();
        return switch (filter.op()) {
            case EQ -> e + " = " + param(params, filter.values().get(0)) + cast;
            case NEQ -> e + " <> " + param(params, filter.values().get(0)) + cast;
            case GT -> e + " > " + param(params, filter.values().get(0)) + cast;
            case GTE -> e + " >= " + param(params, filter.values().get(0)) + cast;
            case LT -> e + " < " + param(params, filter.values().get(0)) + cast;
            case LTE -> e + " <= " + param(params, filter.values().get(0)) + cast;
            // PostgREST reads * as % in patterns, so a URL need not escape %
            case LIKE -> e + "::text LIKE " + param(params, filter.values().get(0).replace('*', '%'));
            case ILIKE -> e + "::text ILIKE " + param(params, filter.values().get(0).replace('*', '%'));
            case IN -> e + " = ANY(" + param(params, filter.values().toArray(String[]::new)) + "::text[]::" + column.type() + "[])";
            case IS -> e + " IS " + switch (filter.values().get(0).toLowerCase()) {
                case "null" -> "NULL";
                case "true" -> "TRUE";
                case "false" -> "FALSE";
                default -> "UNKNOWN";
            };
        };
    }

    private static String param(List<Object> params, Object value) {
        params.add(value);
        return "$" + params.size();
    }
}
