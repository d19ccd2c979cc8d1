package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.TextInput;
import dev.exai.store.session.NewMessage;
import dev.exai.store.session.NewMessageRow;
import dev.exai.store.session.SessionInput;
import dev.exai.store.session.SessionService.SessionPatch;
import dev.exai.store.session.SessionRequests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Rows a client writes, checked as PostgreSQL would check them against the door's tables (PGRST204 for an unknown
 * column, 23502 for a missing required one, 22P02 / 22007 for a value of the wrong type, 428C9 for a column
 * exai-store assigns) and turned into the session room's inputs.
 */
final class DoorWrites {

    private final ObjectMapper json;
    private final int maxContentBytes;

    DoorWrites(ObjectMapper json, int maxContentBytes) {
        this.json = json;
        this.maxContentBytes = maxContentBytes;
    }

    /** The body of an insert: one object or an array of them (PGRST102 otherwise), each key a writable column. */
    List<ObjectNode> rows(DoorTable table, String body) {
        JsonNode parsed = parse(body);
        List<ObjectNode> rows = new ArrayList<>();
        if (parsed.isObject()) {
            rows.add((ObjectNode) parsed);
        } else if (parsed.isArray() && !parsed.isEmpty()) {
            for (JsonNode element : parsed) {
                if (!element.isObject()) {
                    throw PostgrestError.badJson("every element of the array must be an object");
                }
                rows.add((ObjectNode) element);
            }
        } else {
            throw PostgrestError.badJson("the body must be a JSON object or a non-empty array of objects");
        }
        rows.forEach(row -> columns(table, row));
        return rows;
    }

    /** The body of a PATCH: one object of writable columns. */
    ObjectNode patch(DoorTable table, String body) {
        JsonNode parsed = parse(body);
        if (!parsed.isObject()) {
            throw PostgrestError.badJson("the body of an update must be a JSON object");
        }
        columns(table, (ObjectNode) parsed);
        return (ObjectNode) parsed;
    }

    /** A session row to create. */
    SessionInput session(DoorTable table, ObjectNode row) {
        String cid = text(table, row, "continuation_id");
        if (cid == null) {
            throw PostgrestError.notNull(table.name(), "continuation_id");
        }
        try {
            ContinuationIds.checked(cid);
        } catch (ProblemException e) {
            throw check(table, "continuation_id", "1 to 128 characters of A-Z a-z 0-9 . _ : -");
        }
        return new SessionInput(cid, row.has("user_id") ? text(table, row, "user_id") : null,
                row.has("title") ? text(table, row, "title") : null, metadata(row), null, false, null, null, null);
    }

    /** The change a session row's columns make (PostgREST replaces a column's value; it does not merge JSON). */
    UnaryOperator<SessionPatch> sessionPatch(DoorTable table, ObjectNode row) {
        for (String column : List.of("continuation_id", "user_id")) {
            if (row.has(column)) {
                throw PostgrestError.notAllowed("column " + table.name() + "." + column + " (it is set when the row is created)");
            }
        }
        String title = row.has("title") ? text(table, row, "title") : null;
        String metadata = row.has("metadata") ? metadata(row) : null;
        return current -> new SessionPatch(row.has("title") ? title : current.title(),
                metadata != null ? metadata : current.metadata(), null, true);
    }

    /** A message row to append. */
    NewMessageRow message(DoorTable table, ObjectNode row) {
        String sessionColumn = table.columns().containsKey("conversation_id") ? "conversation_id" : "session_id";
        String session = text(table, row, sessionColumn);
        if (session == null) {
            throw new PostgrestError(400, "23502", "null value in column \"" + sessionColumn + "\" of relation \"" + table.name()
                    + "\" violates not-null constraint", "exai-store keeps every message in a session: name one.", null);
        }
        UUID sessionId;
        try {
            sessionId = UUID.fromString(session);
        } catch (IllegalArgumentException e) {
            throw PostgrestError.badValue("uuid", session);
        }
        String role = text(table, row, "role");
        if (role == null) {
            throw PostgrestError.notNull(table.name(), "role");
        }
        if (!table.roles().contains(role)) {
            throw table.name().equals("messages")
                    ? new PostgrestError(400, "22P02", "invalid input value for enum message_role: \"" + role + "\"", null, null)
                    : check(table, "role", "one of " + String.join(", ", table.roles()));
        }
        String content = text(table, row, "content");
        if (content == null) {
            throw PostgrestError.notNull(table.name(), "content");
        }
        OffsetDateTime created = row.has("created_at") && !row.get("created_at").isNull()
                ? time(table, row.get("created_at").asText()) : null;
        String key = table.columns().containsKey("idempotency_key") ? text(table, row, "idempotency_key") : null;
        NewMessage message = new NewMessage(role, content, metadata(row), null, null, null, null, null, List.of(), List.of(), null, null, false);
        return new NewMessageRow(sessionId, message, created, key);
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            throw PostgrestError.badJson("the body is empty");
        }
        try {
            JsonNode parsed = json.readTree(body);
            TextInput.check(parsed, "");
            return parsed;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw PostgrestError.badJson(e.getOriginalMessage());
        } catch (IOException e) {
            throw PostgrestError.badJson(e.getMessage());
        } catch (ProblemException e) {
            throw new PostgrestError(400, "22021", e.getMessage(), "PostgreSQL text cannot hold NUL or unpaired surrogates", null);
        }
    }

    private void columns(DoorTable table, ObjectNode row) {
        for (Iterator<String> names = row.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            DoorTable.DoorColumn column = table.columns().get(name);
            if (column == null) {
                throw PostgrestError.unknownBodyColumn(table.name(), name);
            }
            if (!column.writable()) {
                throw PostgrestError.generated(name);
            }
            checkLength(table, column, row.get(name));
        }
    }

    /**
     * The native API's limits, so a row written through the door is one the native API could have written: a
     * message's content and any metadata up to EXAI_STORE_MESSAGES_MAX_CONTENT_BYTES (UTF-8), a user id up to 256
     * characters, any other text (titles, paths, names) up to 1024. Beyond them, PostgreSQL's 22001.
     */
    private void checkLength(DoorTable table, DoorTable.DoorColumn column, JsonNode value) {
        if (value == null || value.isNull()) {
            return;
        }
        if (column.type() == DoorTable.Type.JSON || column.name().equals("content")) {
            String text = value.isTextual() ? value.asText() : value.toString();
            if (text.getBytes(StandardCharsets.UTF_8).length > maxContentBytes) {
                throw tooLong(table, column, maxContentBytes + " bytes (EXAI_STORE_MESSAGES_MAX_CONTENT_BYTES)");
            }
        } else if (column.type() == DoorTable.Type.TEXT && value.isTextual()) {
            int limit = column.name().equals("user_id") ? SessionRequests.MAX_USER_ID : SessionRequests.MAX_TITLE;
            if (value.asText().codePointCount(0, value.asText().length()) > limit) {
                throw tooLong(table, column, limit + " characters");
            }
        }
    }

    private static PostgrestError tooLong(DoorTable table, DoorTable.DoorColumn column, String limit) {
        return new PostgrestError(400, "22001", "value too long for column \"" + column.name() + "\" of relation \"" + table.name() + "\"",
                "exai-store keeps at most " + limit + " there, as its native API does.", null);
    }

    private static String text(DoorTable table, ObjectNode row, String column) {
        JsonNode value = row.get(column);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isContainerNode()) {
            throw PostgrestError.badValue("text", value.toString());
        }
        return value.asText();
    }

    /** A metadata column: a JSON object, {} when absent or null. */
    private static String metadata(ObjectNode row) {
        JsonNode value = row.get("metadata");
        if (value == null || value.isNull()) {
            return "{}";
        }
        if (!value.isObject()) {
            throw new PostgrestError(400, "23514", "exai-store keeps metadata as a JSON object", "metadata was " + value, null);
        }
        return value.toString();
    }

    /** A time as PostgreSQL reads one: with an offset as given, without one in UTC (the database's zone). */
    private static OffsetDateTime time(DoorTable table, String text) {
        String value = text.trim().replace(' ', 'T');
        try {
            return OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(value).atOffset(ZoneOffset.UTC);
            } catch (DateTimeParseException again) {
                throw new PostgrestError(400, "22007", "invalid input syntax for type timestamp with time zone: \"" + text + "\"", null, null);
            }
        }
    }

    private static PostgrestError check(DoorTable table, String column, String rule) {
        return new PostgrestError(400, "23514", "new row for relation \"" + table.name() + "\" violates check constraint \""
                + table.name() + "_" + column + "_check\"", column + " must be " + rule, null);
    }
}
