package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A 100,000-message session exported by the packaged service with a 64 MiB heap: every message arrives, in order,
 * and the process neither runs out of memory nor slows the stream to a stop. The export holds one part in memory at a
 * time, so its heap does not grow with the history (about 30 MB of JSON here).
 */
class LargeExportIT {

    private static final String KEY = "large-export-key";
    private static final int MESSAGES = 100_000;

    @Test
    void aHundredThousandMessagesStreamThroughA64MiBHeap() throws Exception {
        String database = TestServers.createDatabase("exai_export");
        String cid = "big-export";
        try (AppProcess app = AppProcess.start("large-export", database, "alpha:" + KEY, Map.of(), "-Xmx64m")
                .awaitReady(Duration.ofSeconds(90))) {
            app.as(KEY).put("/sessions/" + cid).then().statusCode(201);
            TestServers.execute(database,
                    "INSERT INTO chat_messages (session_id, seq, role, content, metadata, token_count, tokens_through, total_through, created_at)"
                            + " SELECT s.id, g, CASE WHEN g % 2 = 0 THEN 'assistant' ELSE 'user' END,"
                            + " 'message ' || g || ': ' || repeat('the history goes on and on, ', 8), jsonb_build_object('n', g), 50,"
                            + " g * 50, g * 50, now() FROM chat_sessions s, generate_series(1, " + MESSAGES + ") g"
                            + " WHERE s.continuation_id = '" + cid + "'",
                    "UPDATE chat_sessions SET message_count = " + MESSAGES + ", tokens_total = " + MESSAGES * 50L
                            + " WHERE continuation_id = '" + cid + "'");

            HttpRequest request = HttpRequest.newBuilder(URI.create(app.url() + "/sessions/" + cid + "/export"))
                    .header("Authorization", "Bearer " + KEY).header("Accept", "application/x-ndjson").build();
            HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            ObjectMapper json = new ObjectMapper();
            long lines = 0;
            long bytes = 0;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String header = reader.readLine();
                assertThat(json.readTree(header).at("/session/message_count").asInt()).isEqualTo(MESSAGES);
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        continue;
                    }
                    lines++;
                    bytes += line.length() + 1;
                    if (lines % 9973 == 1 || lines == MESSAGES) { // parse a sample; count them all
                        JsonNode message = json.readTree(line);
                        assertThat(message.get("seq").asLong()).isEqualTo(lines);
                        assertThat(message.get("content").asText()).startsWith("message " + lines + ": ");
                    }
                }
            }
            assertThat(lines).isEqualTo(MESSAGES);
            assertThat(app.alive()).isTrue();
            String log = Files.readString(Path.of("target", "it-logs", "large-export.log"));
            assertThat(log).doesNotContain("OutOfMemoryError");
            app.as(KEY).get("/q/health/ready").then().statusCode(200);
            System.out.printf("LargeExportIT: %d messages, %d MiB of JSON lines exported with -Xmx64m; peak RSS %d MiB%n",
                    lines, bytes >> 20, app.peakRssKib() >> 10);
        }
    }
}
