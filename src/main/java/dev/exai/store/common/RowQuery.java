package dev.exai.store.common;

import java.util.List;

/**
 * A read of rows in a row API's words (the Supabase door's PostgREST): filters on named columns, an order, a window.
 * The room that owns the rows turns it into its own SQL ({@link RowSql}) over the columns it names; a column it does
 * not name is an {@link UnknownColumn}.
 */
public record RowQuery(List<Filter> filters, List<Order> orders, Long limit, long offset) {

    /** The comparison operators PostgREST's filters use. */
    public enum Op { EQ, NEQ, GT, GTE, LT, LTE, LIKE, ILIKE, IN, IS }

    /** {@code column op value}, negated by {@code not.}; {@code in} takes several values, {@code is} one of null, true, false. */
    public record Filter(String column, Op op, boolean negated, List<String> values) {
    }

    /** One sort key; {@code nullsFirst} null means the database's default for the direction. */
    public record Order(String column, boolean descending, Boolean nullsFirst) {
    }

    /** A query, or a row to write, named a column the rows do not have. */
    public static final class UnknownColumn extends RuntimeException {

        private final String column;

        public UnknownColumn(String column) {
            super("unknown column " + column, null, false, false);
            this.column = column;
        }

        public String column() {
            return column;
        }
    }
}
