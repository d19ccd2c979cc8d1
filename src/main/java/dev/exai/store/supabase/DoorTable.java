package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A table as the door's clients see it (EXAI's and the seed's schemas, not ours), mapped onto the session room's row
 * views: each column with the view column it is, its type, and whether a client may write it.
 */
record DoorTable(String name, Kind kind, Map<String, DoorColumn> columns) {

    /** Which rows a table shows: sessions, messages, or the door's own provider upload records. */
    enum Kind { SESSIONS, MESSAGES, PROVIDER_UPLOADS }

    /** How a column's values look on the wire. */
    enum Type { UUID, TEXT, JSON, TIMESTAMPTZ, TIMESTAMP }

    /** One column: its name here, the row view's column, its type, whether an insert may give it, whether it must. */
    record DoorColumn(String name, String view, Type type, boolean writable, boolean required) {
    }

    /** The tables the door serves; any other name is PGRST205. */
    static final Map<String, DoorTable> ALL = Map.of(
            "conversations", of("conversations", Kind.SESSIONS,
                    new DoorColumn("id", "id", Type.UUID, false, false),
                    new DoorColumn("continuation_id", "continuation_id", Type.TEXT, true, true),
                    new DoorColumn("title", "title", Type.TEXT, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMPTZ, false, false),
                    new DoorColumn("updated_at", "updated_at", Type.TIMESTAMPTZ, false, false)),
            "chat_sessions", of("chat_sessions", Kind.SESSIONS,
                    new DoorColumn("id", "id", Type.UUID, false, false),
                    new DoorColumn("continuation_id", "continuation_id", Type.TEXT, true, true),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMP, false, false),
                    new DoorColumn("updated_at", "updated_at", Type.TIMESTAMP, false, false),
                    new DoorColumn("user_id", "user_id", Type.TEXT, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false)),
            "messages", of("messages", Kind.MESSAGES,
                    new DoorColumn("id", "id", Type.UUID, false, false),
                    new DoorColumn("conversation_id", "session_id", Type.UUID, true, true),
                    new DoorColumn("role", "role", Type.TEXT, true, true),
                    new DoorColumn("content", "content", Type.TEXT, true, true),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false),
                    new DoorColumn("idempotency_key", "client_key", Type.TEXT, true, false),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMPTZ, true, false)),
            "chat_messages", of("chat_messages", Kind.MESSAGES,
                    new DoorColumn("id", "id", Type.UUID, false, false),
                    new DoorColumn("session_id", "session_id", Type.UUID, true, true),
                    new DoorColumn("role", "role", Type.TEXT, true, true),
                    new DoorColumn("content", "content", Type.TEXT, true, true),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMP, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false)),
            "provider_file_uploads", of("provider_file_uploads", Kind.PROVIDER_UPLOADS,
                    new DoorColumn("id", "id", Type.UUID, false, false),
                    new DoorColumn("provider", "provider", Type.TEXT, true, true),
                    new DoorColumn("provider_file_id", "provider_file_id", Type.TEXT, true, true),
                    new DoorColumn("purpose", "purpose", Type.TEXT, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false),
                    new DoorColumn("last_used", "last_used", Type.TIMESTAMPTZ, true, false),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMPTZ, false, false),
                    new DoorColumn("updated_at", "updated_at", Type.TIMESTAMPTZ, false, false)));

    private static DoorTable of(String name, Kind kind, DoorColumn... columns) {
        Map<String, DoorColumn> byName = new LinkedHashMap<>();
        for (DoorColumn column : columns) {
            byName.put(column.name(), column);
        }
        return new DoorTable(name, kind, byName);
    }

    /** The column of that name, or PostgREST's 42703. */
    DoorColumn column(String name) {
        DoorColumn column = columns.get(name);
        if (column == null) {
            throw PostgrestError.unknownColumn(this.name, name);
        }
        return column;
    }

    /** Every column, in the table's order (what {@code select=*} shows). */
    List<String> names() {
        return List.copyOf(columns.keySet());
    }

    /** The columns an insert must give (23502 otherwise). */
    void checkRequired(ObjectNode row) {
        columns.values().stream().filter(DoorColumn::required)
                .filter(c -> !row.hasNonNull(c.name()))
                .findFirst().ifPresent(c -> {
                    throw PostgrestError.notNull(name, c.name());
                });
    }

    /** The roles a message row may have: EXAI's enum has no {@code tool}; the seed's text column takes ours. */
    List<String> roles() {
        return name.equals("messages") ? List.of("user", "assistant", "system") : List.of("user", "assistant", "system", "tool");
    }
}
