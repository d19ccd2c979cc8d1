package dev.exai.store.supabase;

import dev.exai.store.common.RowQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A PostgREST request's query string, parsed for one table: the selected columns, the filters, the order and the
 * window, in the table's column names (checked: 42703 for an unknown one, PGRST100 for what does not parse), then
 * given to the session room as a {@link RowQuery} over its view's names.
 */
record PostgrestQuery(List<String> select, RowQuery rows, String onConflict) {

    private static final Map<String, RowQuery.Op> OPS = Map.of("eq", RowQuery.Op.EQ, "neq", RowQuery.Op.NEQ, "gt", RowQuery.Op.GT,
            "gte", RowQuery.Op.GTE, "lt", RowQuery.Op.LT, "lte", RowQuery.Op.LTE, "like", RowQuery.Op.LIKE, "ilike", RowQuery.Op.ILIKE,
            "in", RowQuery.Op.IN, "is", RowQuery.Op.IS);

    /**
     * Parses {@code query} (decoded, each name with its values in order) for {@code table}; {@code range} is a
     * {@code Range: 0-9} header's value, or null.
     */
    static PostgrestQuery parse(DoorTable table, Map<String, List<String>> query, String range) {
        List<String> select = table.names();
        List<RowQuery.Filter> filters = new ArrayList<>();
        List<RowQuery.Order> orders = new ArrayList<>();
        Long limit = null;
        long offset = 0;
        String onConflict = null;
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            String name = parameter.getKey();
            for (String value : parameter.getValue()) {
                switch (name) {
                    case "select" -> select = select(table, value);
                    case "order" -> orders.addAll(order(table, value));
                    case "limit" -> limit = number("limit", value);
                    case "offset" -> offset = number("offset", value);
                    case "on_conflict" -> onConflict = value;
                    case "columns" -> columns(table, value);
                    default -> {
                        if (name.equals("or") || name.equals("and") || name.contains("(")) {
                            throw PostgrestError.badFilter(name + "=" + value, "exai-store's door takes column filters only, not "
                                    + name + "=(...) nor embedded resources");
                        }
                        filters.add(filter(table, name, value));
                    }
                }
            }
        }
        if (range != null && !range.isBlank()) {
            long[] window = range(range);
            offset = window[0];
            limit = window[1] < 0 ? limit : (Long) (window[1] - window[0] + 1);
        }
        return new PostgrestQuery(select, new RowQuery(filters, orders, limit, offset), onConflict);
    }

    /** Whether the request narrows its rows at all (a PATCH or DELETE without a filter is refused, as pg-safeupdate does). */
    boolean filtered() {
        return !rows.filters().isEmpty();
    }

    private static List<String> select(DoorTable table, String value) {
        String compact = value.replaceAll("\\s+", "");
        if (compact.isEmpty() || compact.equals("*")) {
            return table.names();
        }
        List<String> columns = new ArrayList<>();
        for (String item : compact.split(",")) {
            if (item.equals("*")) {
                columns.addAll(table.names());
                continue;
            }
            if (!item.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw PostgrestError.badFilter("select=" + value, "exai-store's door selects plain columns (no aliases, casts, "
                        + "aggregates or embedded resources)");
            }
            table.column(item);
            columns.add(item);
        }
        return columns;
    }

    private static List<RowQuery.Order> order(DoorTable table, String value) {
        List<RowQuery.Order> orders = new ArrayList<>();
        for (String term : value.split(",")) {
            String[] parts = term.trim().split("\\.");
            String view = table.column(parts[0]).view();
            boolean descending = false;
            Boolean nullsFirst = null;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i].toLowerCase(Locale.ROOT)) {
                    case "asc" -> descending = false;
                    case "desc" -> descending = true;
                    case "nullsfirst" -> nullsFirst = true;
                    case "nullslast" -> nullsFirst = false;
                    default -> throw PostgrestError.badFilter("order=" + value, "unexpected \"" + parts[i] + "\"");
                }
            }
            orders.add(new RowQuery.Order(view, descending, nullsFirst));
        }
        return orders;
    }

    /** {@code columns="a","b"} of an array insert: each must be a column (PGRST204 otherwise). */
    private static void columns(DoorTable table, String value) {
        for (String item : value.split(",")) {
            String name = item.trim().replace("\"", "");
            if (!table.columns().containsKey(name)) {
                throw PostgrestError.unknownBodyColumn(table.name(), name);
            }
        }
    }

    private static RowQuery.Filter filter(DoorTable table, String name, String expression) {
        String view = table.column(name).view();
        String rest = expression;
        boolean negated = false;
        if (rest.startsWith("not.")) {
            negated = true;
            rest = rest.substring(4);
        }
        int dot = rest.indexOf('.');
        RowQuery.Op op = dot < 0 ? null : OPS.get(rest.substring(0, dot));
        if (op == null) {
            throw PostgrestError.badFilter(name + "=" + expression, "unexpected operator; exai-store's door takes "
                    + "eq, neq, gt, gte, lt, lte, like, ilike, in, is and not.");
        }
        String value = rest.substring(dot + 1);
        return switch (op) {
            case IN -> new RowQuery.Filter(view, op, negated, list(name, expression, value));
            case IS -> {
                String lower = value.toLowerCase(Locale.ROOT);
                if (!Set.of("null", "true", "false", "unknown").contains(lower)) {
                    throw PostgrestError.badFilter(name + "=" + expression, "is takes null, true, false or unknown");
                }
                yield new RowQuery.Filter(view, op, negated, List.of(lower));
            }
            default -> new RowQuery.Filter(view, op, negated, List.of(value));
        };
    }

    /** The values of {@code in.(a,"b,c",d)}: comma-separated, double quotes around values holding , : ( ) or quotes. */
    private static List<String> list(String name, String expression, String value) {
        if (!value.startsWith("(") || !value.endsWith(")")) {
            throw PostgrestError.badFilter(name + "=" + expression, "in takes a list in parentheses: in.(a,b)");
        }
        String inner = value.substring(1, value.length() - 1);
        List<String> values = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '\\' && quoted && i + 1 < inner.length()) {
                current.append(inner.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                values.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!inner.isEmpty()) {
            values.add(current.toString());
        }
        return values;
    }

    private static long number(String name, String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw PostgrestError.badFilter(name + "=" + value, name + " must be a whole number of 0 or more");
    }

    /** {@code Range: first-last} (last may be empty): {first, last or -1}. */
    private static long[] range(String header) {
        String spec = header.trim();
        int dash = spec.indexOf('-');
        try {
            long first = Long.parseLong(spec.substring(0, dash).trim());
            String last = spec.substring(dash + 1).trim();
            long end = last.isEmpty() ? -1 : Long.parseLong(last);
            if (first >= 0 && (end < 0 || end >= first)) {
                return new long[] {first, end};
            }
        } catch (RuntimeException e) {
            // answered below
        }
        throw new PostgrestError(416, "PGRST103", "Requested range not satisfiable", "Range: " + header, null);
    }
}
