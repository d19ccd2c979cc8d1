package dev.exai.store.supabase;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.session.MessageRow;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A door row's renderings, as PostgREST writes them: timestamps to the microsecond without trailing zeros, JSON as stored. */
class DoorRowsTest {

    private static final DoorTable MESSAGES = DoorTable.ALL.get("messages");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void timestampsDropTrailingZerosOfTheirMicroseconds() throws Exception {
        assertThat(createdAt("2026-11-26T14:18:50.123456Z")).isEqualTo("2026-11-26T14:18:50.123456+00:00");
        assertThat(createdAt("2026-11-26T14:18:50.120000Z")).isEqualTo("2026-11-26T14:18:50.12+00:00");
        assertThat(createdAt("2026-11-26T14:18:50.000005Z")).isEqualTo("2026-11-26T14:18:50.000005+00:00");
        assertThat(createdAt("2026-11-26T14:18:00Z")).isEqualTo("2026-11-26T14:18:00+00:00");
        assertThat(createdAt("2026-11-26T16:18:50.5+02:00")).isEqualTo("2026-11-26T14:18:50.5+00:00");
    }

    @Test
    void jsonColumnsAreTheStoredJsonText() throws Exception {
        String metadata = "{\"tool\": \"chat\", \"nested\": {\"list\": [1, 2.5, null, \"\\u00e9\\\"\"]}}";
        String rendered = JSON.writeValueAsString(DoorRows.render(MESSAGES, List.of("metadata", "content"),
                row("2026-11-26T14:18:50Z", metadata)));
        assertThat(rendered).isEqualTo("{\"metadata\":" + metadata + ",\"content\":\"hi\"}");
        assertThat(JSON.readTree(rendered).get("metadata")).isEqualTo(JSON.readTree(metadata));
    }

    private static String createdAt(String time) throws Exception {
        return JSON.readTree(JSON.writeValueAsString(DoorRows.render(MESSAGES, List.of("created_at"), row(time, "{}"))))
                .get("created_at").asText();
    }

    private static MessageRow row(String createdAt, String metadata) {
        return new MessageRow(UUID.randomUUID(), UUID.randomUUID(), "cid", 1, "user", "hi", metadata,
                OffsetDateTime.parse(createdAt), null);
    }
}
