package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Export as JSON lines or Markdown, import back all or nothing, and export again to the same bytes. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class ExportImportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_LINES = "application/x-ndjson";

    private static String richSession() {
        String cid = newId();
        alpha().body(Map.of("title", "Export me", "user_id", "u-export", "metadata", Map.of("project", "exai"), "max_messages", 50))
                .put("/sessions/" + cid).then().statusCode(201);
        String fileId = alpha().contentType("text/plain").queryParam("filename", "notes.txt").body("some notes".getBytes())
                .post("/files").then().statusCode(201).extract().path("id");
        alpha().body(List.of(
                Map.of("role", "system", "content", "You are terse."),
                Map.of("role", "user", "content", "总结一下 the notes, please\nline two", "files", List.of(fileId),
                        "metadata", Map.of("k", List.of(1, 2))),
                Map.of("role", "assistant", "content", "Done.", "tool_name", "chat", "model", "kimi-k2", "provider", "kimi",
                        "usage", Map.of("input_tokens", 12, "output_tokens", 3), "reasoning", "short answer", "token_count", 7),
                Map.of("role", "user", "content", "secret to forget")))
                .post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().delete("/sessions/" + cid + "/messages/4").then().statusCode(204);
        return cid;
    }

    private static String export(String cid) {
        return alpha().accept(JSON_LINES).get("/sessions/" + cid + "/export").then().statusCode(200)
                .header("Content-Type", containsString(JSON_LINES))
                .header("Content-Disposition", containsString(cid + ".jsonl")).extract().asString();
    }

    @Test
    void theExportIsTheSessionThenEachMessageAsTheApiShowsIt() throws Exception {
        String cid = richSession();
        String[] lines = export(cid).split("\n");
        assertThat(lines).hasSize(5);
        JsonNode header = JSON.readTree(lines[0]);
        assertThat(header.get("exai_store_export").asInt()).isEqualTo(1);
        assertThat(header.at("/session/continuation_id").asText()).isEqualTo(cid);
        assertThat(header.at("/session/message_count").asInt()).isEqualTo(4);
        List<JsonNode> history = new ArrayList<>();
        JSON.readTree(alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).extract().asString())
                .get("items").forEach(history::add);
        for (int i = 1; i < lines.length; i++) {
            assertThat(JSON.readTree(lines[i])).isEqualTo(history.get(i - 1));
        }
        assertThat(lines[4]).contains("\"redacted\":true").doesNotContain("secret to forget");

        String markdown = alpha().accept("text/markdown").get("/sessions/" + cid + "/export").then().statusCode(200)
                .header("Content-Type", containsString("text/markdown")).extract().asString();
        assertThat(markdown).startsWith("# Export me\n").contains("## 3. assistant (").contains("tool chat, model kimi-k2")
                .contains("> short answer").contains("## 4. user (").contains("_redacted_").doesNotContain("secret to forget");

        alpha().accept(JSON_LINES).get("/sessions/" + newId() + "/export").then().statusCode(404)
                .header("Content-Type", containsString("problem+json"));
        beta().accept(JSON_LINES).get("/sessions/" + cid + "/export").then().statusCode(404);
    }

    @Test
    void exportImportExportGivesTheSameBytesApartFromIdsAndSessionTimes() throws Exception {
        String cid = richSession();
        String first = export(cid);
        String copy = newId();
        alpha().contentType(JSON_LINES).queryParam("continuation_id", copy).body(bytes(first)).post("/sessions/import")
                .then().statusCode(201).header("Location", containsString("/sessions/" + copy))
                .body("continuation_id", equalTo(copy)).body("message_count", equalTo(4)).body("title", equalTo("Export me"));
        String second = export(copy);
        assertThat(normalized(second)).isEqualTo(normalized(first));
        // the copy reads, searches and appends like any session
        alpha().get("/sessions/" + copy + "/messages").then().statusCode(200).body("items.seq", equalTo(List.of(1, 2, 3, 4)));
        alpha().queryParam("q", "总结").queryParam("continuation_id", copy).get("/messages/search").then().statusCode(200)
                .body("items.seq", equalTo(List.of(2)));
        alpha().body(Map.of("role", "user", "content", "next")).post("/sessions/" + copy + "/messages").then().statusCode(201)
                .body("seq", equalTo(5));
        alpha().queryParam("max_tokens", 1000).get("/sessions/" + copy + "/context").then().statusCode(200)
                .body("messages.size()", equalTo(5));

        // without continuation_id the import makes a new one; into a taken id it is a 409
        String made = alpha().contentType(JSON_LINES).body(bytes(first)).post("/sessions/import").then().statusCode(201)
                .extract().path("continuation_id");
        assertThat(made).isNotEqualTo(cid).isNotEqualTo(copy);
        alpha().contentType(JSON_LINES).queryParam("continuation_id", copy).body(bytes(first)).post("/sessions/import")
                .then().statusCode(409);
    }

    @Test
    void aBadLineStoresNothingAndIsNamed() throws Exception {
        String cid = richSession();
        String[] lines = export(cid).split("\n");
        String target = newId();
        String broken = String.join("\n", lines[0], lines[1], lines[2], "{\"role\": \"user\", \"content\": 5}", lines[4]) + "\n";
        alpha().contentType(JSON_LINES).queryParam("continuation_id", target).body(bytes(broken)).post("/sessions/import")
                .then().statusCode(400).header("Content-Type", containsString("problem+json"))
                .body("detail", containsString("line 4"));
        alpha().get("/sessions/" + target).then().statusCode(404);

        String notJson = String.join("\n", lines[0], lines[1], "{oops", lines[3]);
        alpha().contentType(JSON_LINES).queryParam("continuation_id", target).body(bytes(notJson)).post("/sessions/import")
                .then().statusCode(400).body("detail", containsString("line 3 is not JSON"));
        String gap = String.join("\n", lines[0], lines[1], lines[3]);
        alpha().contentType(JSON_LINES).queryParam("continuation_id", target).body(bytes(gap)).post("/sessions/import")
                .then().statusCode(400).body("detail", containsString("line 3: seq is 3 where 2 was expected"));
        ObjectNode foreignFile = (ObjectNode) JSON.readTree(lines[2]);
        foreignFile.putArray("files").add("00000000-0000-0000-0000-000000000000");
        String unknownFile = String.join("\n", lines[0], lines[1], foreignFile.toString());
        alpha().contentType(JSON_LINES).queryParam("continuation_id", target).body(bytes(unknownFile)).post("/sessions/import")
                .then().statusCode(400).body("detail", containsString("line 3.files[0] names no file of yours"));
        alpha().contentType(JSON_LINES).queryParam("continuation_id", target).body(bytes("{\"session\": {}}")).post("/sessions/import")
                .then().statusCode(400).body("detail", containsString("line 1"));
        alpha().get("/sessions/" + target).then().statusCode(404);
    }

    @Test
    void anImportWithAnIdempotencyKeyHappensOnce() {
        String body = export(richSession());
        String key = "import-" + newId();
        String cid = alpha().contentType(JSON_LINES).header("Idempotency-Key", key).body(bytes(body)).post("/sessions/import")
                .then().statusCode(201).extract().path("continuation_id");
        alpha().contentType(JSON_LINES).header("Idempotency-Key", key).body(bytes(body)).post("/sessions/import")
                .then().statusCode(201).header("Idempotent-Replayed", "true").body("continuation_id", equalTo(cid));
        alpha().contentType(JSON_LINES).header("Idempotency-Key", key).body(bytes(body.replace("Export me", "Other"))).post("/sessions/import")
                .then().statusCode(422);
        assertThat(alpha().queryParam("user_id", "u-export").queryParam("q", "Export me").queryParam("limit", 200).get("/sessions")
                .then().extract().jsonPath().getList("items.continuation_id", String.class)).containsOnlyOnce(cid);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The export with what an import makes anew blanked: the session's id and times, the message ids. */
    private static List<String> normalized(String export) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : export.split("\n")) {
            ObjectNode node = (ObjectNode) JSON.readTree(line);
            if (node.has("session")) {
                ObjectNode session = (ObjectNode) node.get("session");
                for (String field : List.of("continuation_id", "created_at", "updated_at", "expires_at")) {
                    session.put(field, "*");
                }
            } else {
                node.put("id", "*");
            }
            out.add(node.toString());
        }
        return out;
    }
}
