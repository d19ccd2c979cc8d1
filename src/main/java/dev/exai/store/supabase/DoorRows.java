package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.exai.store.common.ViewRow;
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

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private DoorRows() {
    }

    /** A view row as the table shows it: the selected columns, in order. */
    static ObjectNode render(DoorTable table, List<String> select, ViewRow row) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String name : select) {
            DoorTable.DoorColumn column = table.column(name);
            put(out, column, row.value(column.view()));
        }
        return out;
    }

    private static void put(ObjectNode out, DoorTable.DoorColumn column, Object value) {
        if (value == null) {
            out.putNull(column.name());
            return;
        }
        switch (column.type()) {
            case JSON -> out.putRawValue(column.name(), new RawValue((String) value)); // PostgreSQL's JSON text, as PostgREST's
            case TIMESTAMPTZ -> out.put(column.name(), timestamp((OffsetDateTime) value) + "+00:00");
            case TIMESTAMP -> out.put(column.name(), timestamp((OffsetDateTime) value));
            case UUID -> out.put(column.name(), ((UUID) value).toString());
            case INTEGER -> out.put(column.name(), ((Number) value).longValue());
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
        String digits = Integer.toString(1_000_000 + micros); // "1" and six digits
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return text + "." + digits.substring(1, end);
    }
}
