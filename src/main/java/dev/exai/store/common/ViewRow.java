package dev.exai.store.common;

/** A row of a room's row view ({@link RowQuery}), read by column name: what a row API renders. */
public interface ViewRow {

    /** The value of a view column (a String, UUID, Long, OffsetDateTime or JSON text), or null. */
    Object value(String column);
}
