package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.session.MessageRow;
import dev.exai.store.session.SessionRow;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;

/**
 * Rows as the door's clients read them: the selected columns of a table, in order, with PostgREST's renderings
 * (a timestamptz as {@code 2025-11-26T14:18:50.123456+00:00}, a timestamp without zone without the offset).
 */
final class DoorRows {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private DoorRows() {
    }

    static ObjectNode session(DoorTable table, List<String> select, SessionRow row) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String name : select) {
            DoorTable.DoorColumn column = table.column(name);
            Object value = switch (column.view()) {
                case "id" -> row.id();
                case "continuation_id" -> row.continuationId();
                case "title" -> row.title();
                case "metadata" -> row.metadata();
                case "user_id" -> row.userId();
                case "created_at" -> row.createdAt();
                case "updated_at" -> row.updatedAt();
                default -> throw new IllegalStateException("no session view column " + column.view());
            };
            put(out, column, value);
        }
        return out;
    }

    static ObjectNode message(DoorTable table, List<String> select, MessageRow row) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String name : select) {
            DoorTable.DoorColumn column = table.column(name);
            Object value = switch (column.view()) {
                case "id" -> row.id();
                case "session_id" -> row.sessionId();
                case "role" -> row.role();
                case "content" -> row.content();
                case "metadata" -> row.metadata();
                case "client_key" -> row.clientKey();
                case "created_at" -> row.createdAt();
                default -> throw new IllegalStateException("no message view column " + column.view());
            };
            put(out, column, value);
        }
        return out;
    }

    private static void put(ObjectNode out, DoorTable.DoorColumn column, Object value) {
        if (value == null) {
            out.putNull(column.name());
            return;
        }
        switch (column.type()) {
            case JSON -> out.set(column.name(), json((String) value));
            case TIMESTAMPTZ -> out.put(column.name(), timestamp((OffsetDateTime) value) + "+00:00");
            case TIMESTAMP -> out.put(column.name(), timestamp((OffsetDateTime) value));
            case UUID -> out.put(column.name(), ((UUID) value).toString());
            default -> out.put(column.name(), value.toString());
        }
    }

    /** UTC, microseconds with trailing zeros dropped, as PostgreSQL's JSON writes a timestamp. */
    private static String timestamp(OffsetDateTime time) {
        OffsetDateTime utc = time.withOffsetSameInstant(ZoneOffset.UTC);
        String text = utc.format(SECONDS);
        int micros = utc.getNano() / 1000;
        if (micros == 0) {
            return text;
        }
        String fraction = String.format("%06d", micros).replaceAll("0+$", "");
        return text + "." + fraction;
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("stored metadata is not JSON", e);
        }
    }
}
