package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.newId;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every bad request gets the contract's status as problem+json, and leaves nothing written. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class BadInputTest {

    private String cid;

    @BeforeEach
    void session() {
        cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
    }

    @Test
    void malformedJson() {
        problem(alpha().body("{\"role\": \"user\", \"content\": ").post(messages()), 400).body("detail", containsString("not valid JSON"));
        problem(alpha().body("{not json").post("/sessions"), 400);
        assertNothingWritten();
    }

    @Test
    void unknownRoleMissingContentAndBadFields() {
        problem(alpha().body(Map.of("role", "wizard", "content", "x")).post(messages()), 400).body("detail", containsString("role"));
        problem(alpha().body(Map.of("role", "user")).post(messages()), 400).body("detail", containsString("content"));
        problem(alpha().body(Map.of("role", "user", "content", 5)).post(messages()), 400);
        problem(alpha().body(Map.of("role", "user", "content", "x", "metadata", List.of(1))).post(messages()), 400);
        problem(alpha().body(Map.of("role", "user", "content", "x", "token_count", -1)).post(messages()), 400);
        problem(alpha().body(Map.of("role", "user", "content", "nul \u0000 inside")).post(messages()), 400);
        // one bad message rejects the whole batch
        problem(alpha().body(List.of(Map.of("role", "user", "content", "fine"), Map.of("role", "nobody", "content", "x"))).post(messages()), 400)
                .body("detail", containsString("messages[1].role"));
        problem(alpha().body(List.of()).post(messages()), 400);
        problem(alpha().body(java.util.Collections.nCopies(101, Map.of("role", "user", "content", "x"))).post(messages()), 400);
        problem(alpha().body(Map.of("ttl_seconds", -5)).put("/sessions/" + newId()), 400);
        problem(alpha().body(Map.of("continuation_id", cid)).contentType("application/merge-patch+json").patch("/sessions/" + cid), 400);
        problem(alpha().header("Idempotency-Key", "x".repeat(256)).body(Map.of("role", "user", "content", "x")).post(messages()), 400);
        assertNothingWritten();
    }

    @Test
    void contentOverTheLimitIs413() {
        String big = "x".repeat(1024 * 1024 + 1);
        problem(alpha().body(Map.of("role", "user", "content", big)).post(messages()), 413);
        problem(alpha().body(List.of(Map.of("role", "user", "content", "small"), Map.of("role", "user", "content", big))).post(messages()), 413);
        alpha().body(Map.of("role", "user", "content", "x".repeat(1024 * 1024))).post(messages()).then().statusCode(201);
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(1));
    }

    @Test
    void bodyOverTheHttpLimitIs413() throws Exception {
        // Declares 17 MiB but sends only a little: the answer must come from the declared length, before any read.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.setSoTimeout(10_000);
            String head = "POST " + messages() + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + Api.ALPHA_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + (17 * 1024 * 1024) + "\r\n\r\n[{\"role\":";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[4096];
            int n;
            while (!answer.toString().endsWith("}") && (n = socket.getInputStream().read(buffer)) > 0) {
                answer.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
            assertThat(answer).startsWith("HTTP/1.1 413").contains("application/problem+json").contains("\"status\":413");
        }
        assertNothingWritten();
    }

    @Test
    void invalidContinuationIds() {
        problem(alpha().get("/sessions/" + "bad%20id"), 400).body("detail", containsString("continuation_id"));
        problem(alpha().get("/sessions/" + "a".repeat(129)), 400);
        problem(alpha().body(Map.of("continuation_id", "no/slash")).post("/sessions"), 400);
        problem(alpha().get("/sessions/b%C3%A4d/messages"), 400);
    }

    @Test
    void outOfRangeLimitsAreRefusedNotClamped() {
        problem(alpha().queryParam("limit", 0).get(messages()), 400).body("detail", containsString("limit"));
        problem(alpha().queryParam("limit", 1001).get(messages()), 400);
        problem(alpha().queryParam("last", 0).get(messages()), 400);
        problem(alpha().queryParam("limit", 201).get("/sessions"), 400);
        problem(alpha().queryParam("limit", "many").get("/sessions"), 400);
        problem(alpha().queryParam("order", "sideways").get(messages()), 400);
        problem(alpha().queryParam("cursor", "garbage!").get("/sessions"), 400);
        problem(alpha().queryParam("q", "").get("/messages/search"), 400);
    }

    @Test
    void frameworkErrorsAreProblemsToo() {
        problem(alpha().get("/no/such/route"), 404);
        problem(alpha().delete("/sessions"), 405);
        problem(alpha().contentType("text/plain").body("role=user").post(messages()), 415);
    }

    @Test
    void missingOrWrongKeyIs401() {
        problem(given().get("/sessions/" + cid), 401);
        problem(Api.as("not-a-key-at-all").get("/sessions/" + cid), 401);
        problem(given().header("Authorization", "Basic YWxwaGE6YWxwaGE=").get("/sessions"), 401);
        problem(given().body(Map.of("role", "user", "content", "x")).contentType("application/json").post(messages()), 401);
        problem(given().get("/no/such/route"), 401);
        given().get("/q/health/live").then().statusCode(200);
        assertNothingWritten();
    }

    private String messages() {
        return "/sessions/" + cid + "/messages";
    }

    @Test
    void aLoneSurrogateAnywhereInTheBodyIsRefusedAndNothingIsStored() {
        // raw JSON text: the escapes must reach the service as written
        problem(alpha().body("{\"role\": \"user\", \"content\": \"broken \\ud800 here\"}").post(messages()), 400)
                .body("detail", containsString("$.content")).body("detail", containsString("lone UTF-16 surrogate"));
        problem(alpha().body("[{\"role\": \"user\", \"content\": \"fine\"}, {\"role\": \"user\", \"content\": \"x\", "
                + "\"metadata\": {\"note\": \"\\udc00\"}}]").post(messages()), 400).body("detail", containsString("$[1].metadata.note"));
        problem(alpha().body("{\"role\": \"user\", \"content\": \"x\", \"metadata\": {\"k\\ud83d\": 1}}").post(messages()), 400);
        problem(alpha().body("{\"role\": \"user\", \"content\": \"reversed \\ude00\\ud83d pair\"}").post(messages()), 400);
        String other = newId();
        problem(alpha().body("{\"title\": \"\\ud800\"}").put("/sessions/" + other), 400);
        alpha().get("/sessions/" + other).then().statusCode(404);
        problem(alpha().body("{\"tool\": \"chat\", \"latency_ms\": 5, \"params\": {\"q\": \"\\ud800\"}}").post("/perf/samples"), 400);
        assertNothingWritten();
        // a real pair (an emoji) is valid Unicode, stored and read back exactly
        alpha().body("{\"role\": \"user\", \"content\": \"smile \\ud83d\\ude00\"}").post(messages()).then().statusCode(201)
                .body("content", equalTo("smile \uD83D\uDE00"));
        alpha().get(messages() + "?last=1").then().statusCode(200).body("items[0].content", equalTo("smile \uD83D\uDE00"));
    }

    private static ValidatableResponse problem(io.restassured.response.Response response, int status) {
        return response.then().statusCode(status)
                .contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("type", not(equalTo(null)))
                .body("title", not(equalTo(null)))
                .body("detail", not(equalTo(null)))
                .body(not(containsString("\tat ")));
    }

    private void assertNothingWritten() {
        try (var c = TestServers.connect(StoreTestResource.database());
             var rs = c.createStatement().executeQuery("SELECT s.message_count, (SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id) "
                     + "FROM chat_sessions s WHERE s.continuation_id = '" + cid + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
            assertThat(rs.getInt(2)).isZero();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
