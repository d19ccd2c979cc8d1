package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A table as the door's clients see it (EXAI's and the seed's schemas, not ours), mapped onto the session room's row
 * views or onto a table of the door's own ({@link OwnTables}): each column with the view column it is, its type, and
 * whether a client may write it.
 */
record DoorTable(String name, Kind kind, Map<String, DoorColumn> columns, Own own) {

    /** Which rows a table shows: sessions, messages, or rows of a door table of its own. */
    enum Kind { SESSIONS, MESSAGES, OWN }

    /** How a column's values look on the wire, and the SQL type a value is cast to. */
    enum Type {
        UUID("uuid"), TEXT("text"), JSON("jsonb"), TIMESTAMPTZ("timestamptz"), TIMESTAMP("timestamp"), INTEGER("integer"),
        FILE_TYPE("file_type");

        private final String sql;

        Type(String sql) {
            this.sql = sql;
        }

        String sql() {
            return sql;
        }
    }

    /**
     * Where a table of the door's own lives: its SQL table, its primary key's client columns (and whether the key
     * includes the tenant), its other unique keys by constraint name, the column an update sets to now().
     */
    record Own(String sqlTable, List<String> primaryKey, boolean primaryKeyHasTenant, Map<String, List<String>> uniqueKeys, String touched) {

        /** The key a conflict target names (in any order), as the key's own column list; null when none matches. */
        List<String> key(List<String> target) {
            if (Set.copyOf(target).equals(Set.copyOf(primaryKey)) && target.size() == primaryKey.size()) {
                return primaryKey;
            }
            return uniqueKeys.values().stream().filter(k -> k.size() == target.size() && Set.copyOf(k).equals(Set.copyOf(target)))
                    .findFirst().orElse(null);
        }
    }

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
            "provider_file_uploads", own("provider_file_uploads",
                    new Own("door_provider_file_uploads", List.of("id"), false,
                            Map.of("provider_file_uploads_provider_provider_file_id_key", List.of("provider", "provider_file_id")), "updated_at"),
                    new DoorColumn("id", "id", Type.UUID, true, false),
                    new DoorColumn("provider", "provider", Type.TEXT, true, true),
                    new DoorColumn("provider_file_id", "provider_file_id", Type.TEXT, true, true),
                    new DoorColumn("purpose", "purpose", Type.TEXT, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false),
                    new DoorColumn("last_used", "last_used", Type.TIMESTAMPTZ, true, false),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMPTZ, false, false),
                    new DoorColumn("updated_at", "updated_at", Type.TIMESTAMPTZ, false, false)),
            "files", own("files",
                    new Own("door_files", List.of("id"), false, Map.of("files_storage_path_key", List.of("storage_path")), null),
                    new DoorColumn("id", "id", Type.UUID, true, false),
                    new DoorColumn("storage_path", "storage_path", Type.TEXT, true, true),
                    new DoorColumn("original_name", "original_name", Type.TEXT, true, true),
                    new DoorColumn("mime_type", "mime_type", Type.TEXT, true, false),
                    new DoorColumn("size_bytes", "size_bytes", Type.INTEGER, true, false),
                    new DoorColumn("file_type", "file_type", Type.FILE_TYPE, true, false),
                    new DoorColumn("metadata", "metadata", Type.JSON, true, false),
                    new DoorColumn("created_at", "created_at", Type.TIMESTAMPTZ, true, false)),
            "conversation_files", own("conversation_files",
                    new Own("door_conversation_files", List.of("conversation_id", "file_id"), true, Map.of(), null),
                    new DoorColumn("conversation_id", "conversation_id", Type.UUID, true, true),
                    new DoorColumn("file_id", "file_id", Type.UUID, true, true),
                    new DoorColumn("added_at", "added_at", Type.TIMESTAMPTZ, true, false)));

    private static DoorTable of(String name, Kind kind, DoorColumn... columns) {
        return new DoorTable(name, kind, byName(columns), null);
    }

    private static DoorTable own(String name, Own own, DoorColumn... columns) {
        return new DoorTable(name, Kind.OWN, byName(columns), own);
    }

    private static Map<String, DoorColumn> byName(DoorColumn... columns) {
        Map<String, DoorColumn> byName = new LinkedHashMap<>();
        for (DoorColumn column : columns) {
            byName.put(column.name(), column);
        }
        return byName;
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
