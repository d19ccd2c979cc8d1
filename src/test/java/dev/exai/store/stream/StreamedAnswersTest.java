package dev.exai.store.stream;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.EventStream;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Streamed answers: an answer takes its seq when it opens, receives numbered pieces (each stored once, a retry
 * storing nothing, a conflicting retry refused), shows the contiguous text so far, and completes (or ends short) with
 * its tokens counted exactly into the context read's budget, from PostgreSQL and from the cache alike.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class StreamedAnswersTest {

    @Inject
    IdleAnswersJob idleJob;

    @AfterEach
    void restore() {
        StoreTestResource.redisProxy().restore();
    }

    private static String session() {
        String cid = "stream-" + UUID.randomUUID();
        alpha().body(Map.of("continuation_id", cid)).post("/sessions").then().statusCode(201);
        return cid;
    }

    private static long open(String cid) {
        return alpha().body(Map.of("role", "assistant", "status", "streaming", "model", "kimi-k2"))
                .post("/sessions/" + cid + "/messages").then().statusCode(201)
                .body("status", equalTo("streaming")).body("content", equalTo("")).body("chunks_received", equalTo(0))
                .extract().jsonPath().getLong("seq");
    }

    private static void say(String cid, String role, String content, int tokens) {
        alpha().body(Map.of("role", role, "content", content, "token_count", tokens)).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).body("status", equalTo("complete"));
    }

    private static JsonPath pieces(String cid, long seq, int status, Object body) {
        return alpha().body(body).post("/sessions/" + cid + "/messages/" + seq + "/chunks").then().statusCode(status).extract().jsonPath();
    }

    private static Map<String, Object> piece(int index, String content) {
        return Map.of("index", index, "content", content);
    }

    private static JsonPath message(String cid, long seq, String cache) {
        JsonPath page = alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", cache).extract().jsonPath();
        return new JsonPath(page.prettify()).setRootPath("items.find { it.seq == " + seq + " }");
    }

    @Test
    void anAnswerTakesItsSeqWhenItOpensAndShowsItsContiguousTextAsItGrows() throws Exception {
        String cid = session();
        say(cid, "user", "first question", 3);
        long answer = open(cid);
        say(cid, "user", "asked while it streamed", 4);
        long second = open(cid);
        assertThat(answer).isEqualTo(2);
        assertThat(second).isEqualTo(4);

        try (EventStream feed = EventStream.open(Api.ALPHA_KEY, "?types=message.chunk,message.completed&continuation_id=" + cid, null)) {
            JsonPath stored = pieces(cid, answer, 200, List.of(piece(2, "C"), piece(0, "A")));
            assertThat(stored.getInt("stored")).isEqualTo(2);
            assertThat(stored.getInt("chunks_received")).isEqualTo(2);
            assertThat(stored.getInt("chunks_contiguous")).isEqualTo(1);
            // a reader never sees a hole: the text is the pieces from 0 up to the first missing one
            assertThat(message(cid, answer, "miss").getString("content")).isEqualTo("A");
            assertThat(message(cid, answer, "miss").getString("status")).isEqualTo("streaming");
            stored = pieces(cid, answer, 200, piece(1, "B"));
            assertThat(stored.getInt("chunks_contiguous")).isEqualTo(3);
            assertThat(message(cid, answer, "miss").getString("content")).isEqualTo("ABC");
            alpha().get("/sessions/" + cid + "/messages?last=1").then().statusCode(200).body("items[0].status", equalTo("streaming"));

            // a retry of stored pieces stores nothing; the same index with other text is refused and stores nothing
            assertThat(pieces(cid, answer, 200, List.of(piece(0, "A"), piece(1, "B"))).getInt("stored")).isEqualTo(0);
            alpha().body(List.of(piece(3, "D"), piece(1, "b"))).post("/sessions/" + cid + "/messages/" + answer + "/chunks")
                    .then().statusCode(409).body("detail", containsString("piece index 1"));
            assertThat(message(cid, answer, "miss").getInt("chunks_received")).isEqualTo(3);
            alpha().body(List.of(piece(3, "D"), piece(3, "E"))).post("/sessions/" + cid + "/messages/" + answer + "/chunks")
                    .then().statusCode(400).body("detail", containsString("repeats index 3"));

            // completion names what is missing, and refuses until it is there
            alpha().body(Map.of("chunks", 6)).post("/sessions/" + cid + "/messages/" + answer + "/complete")
                    .then().statusCode(409).body("detail", containsString("missing piece index 3, 4, 5"));
            pieces(cid, answer, 200, List.of(piece(3, "D")));
            alpha().body(Map.of("chunks", 3)).post("/sessions/" + cid + "/messages/" + answer + "/complete")
                    .then().statusCode(409).body("detail", containsString("holds 4 pieces"));
            alpha().body(Map.of("chunks", 4, "finish_reason", "length", "usage", Map.of("input_tokens", 9, "output_tokens", 2)))
                    .post("/sessions/" + cid + "/messages/" + answer + "/complete").then().statusCode(200)
                    .body("status", equalTo("complete")).body("content", equalTo("ABCD")).body("finish_reason", equalTo("length"))
                    .body("usage.input_tokens", equalTo(9)).body("chunks_contiguous", equalTo(4));
            // idempotent: a retried completion answers it as it is; pieces after it are refused
            alpha().body(Map.of("chunks", 4)).post("/sessions/" + cid + "/messages/" + answer + "/complete").then().statusCode(200)
                    .body("status", equalTo("complete")).body("content", equalTo("ABCD")).body("finish_reason", equalTo("length"));
            alpha().body(piece(4, "E")).post("/sessions/" + cid + "/messages/" + answer + "/chunks").then().statusCode(409)
                    .body("detail", containsString("is complete"));

            List<String> seen = new ArrayList<>();
            for (EventStream.Event event : feed.next(4, Duration.ofSeconds(10))) {
                seen.add(event.type() + ":" + event.data().path("index").asText("") + ":" + event.data().path("count").asText(""));
                assertThat(event.data().toString()).doesNotContain("\"content\"");
            }
            assertThat(seen).containsExactly("message.chunk:0:2", "message.chunk:1:1", "message.chunk:3:1", "message.completed::");
        }
        // the completed answer is searchable and cached; the other is still streaming, so reads go to PostgreSQL
        assertThat(message(cid, answer, "miss").getString("status")).isEqualTo("complete");
        alpha().body(Map.of("chunks", 0, "finish_reason", "aborted")).post("/sessions/" + cid + "/messages/" + second + "/complete")
                .then().statusCode(200).body("status", equalTo("incomplete")).body("content", equalTo(""));
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit")
                .body("items.status", equalTo(List.of("complete", "complete", "complete", "incomplete")))
                .body("items[1].content", equalTo("ABCD"));
    }

    @Test
    void piecesAndCompletionsAreRefusedWhereTheyDoNotBelong() {
        String cid = session();
        say(cid, "user", "hello", 1);
        alpha().body(Map.of("role", "user", "status", "streaming")).post("/sessions/" + cid + "/messages").then().statusCode(400)
                .body("detail", containsString("its role is assistant"));
        alpha().body(Map.of("role", "assistant", "status", "streaming", "content", "early")).post("/sessions/" + cid + "/messages")
                .then().statusCode(400);
        alpha().body(Map.of("role", "assistant", "status", "done", "content", "x")).post("/sessions/" + cid + "/messages")
                .then().statusCode(400).body("detail", containsString("status"));
        pieces(cid, 1, 409, piece(0, "x"));
        pieces(cid, 9, 404, piece(0, "x"));
        long answer = open(cid);
        beta().body(piece(0, "x")).post("/sessions/" + cid + "/messages/" + answer + "/chunks").then().statusCode(404);
        pieces(cid, answer, 400, Map.of("index", -1, "content", "x"));
        pieces(cid, answer, 400, Map.of("index", 0));
        pieces(cid, answer, 400, Map.of("index", 0, "content", "x", "extra", 1));
        pieces(cid, answer, 400, List.of());
        alpha().body(Map.of()).post("/sessions/" + cid + "/messages/" + answer + "/complete").then().statusCode(400)
                .body("detail", containsString("chunks is required"));
        alpha().body(Map.of("chunks", 0, "finish_reason", "abandoned")).post("/sessions/" + cid + "/messages/" + answer + "/complete")
                .then().statusCode(400);
        alpha().body(Map.of("chunks", 0)).post("/sessions/" + cid + "/messages/1/complete").then().statusCode(409)
                .body("detail", containsString("not a streamed answer"));
        // a streaming answer changes only through its pieces and its completion
        alpha().delete("/sessions/" + cid + "/messages/" + answer).then().statusCode(409);
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of("a", 1)))
                .patch("/sessions/" + cid + "/messages/" + answer).then().statusCode(409);
        assertThat(message(cid, answer, "miss").getInt("chunks_received")).isEqualTo(0);
    }

    @Test
    void everyBadValueOfAPieceOrACompletionIsA400AndStoresNothing() {
        String cid = session();
        long answer = open(cid);
        String chunks = "/sessions/" + cid + "/messages/" + answer + "/chunks";
        String complete = "/sessions/" + cid + "/messages/" + answer + "/complete";
        for (Object index : new Object[] {-1, 10_000_000, 1.5, "0", true, null, List.of(0), Map.of(), 9_999_999_999L}) {
            Map<String, Object> bad = new HashMap<>(Map.of("content", "x"));
            bad.put("index", index);
            alpha().body(bad).post(chunks).then().statusCode(400).body("detail", containsString("index"));
        }
        for (Object content : new Object[] {1, true, List.of("x"), Map.of("a", 1)}) {
            alpha().body(Map.of("index", 0, "content", content)).post(chunks).then().statusCode(400).body("detail", containsString("content"));
        }
        alpha().body(Map.of("index", 0, "content", "x", "reasoning", 5)).post(chunks).then().statusCode(400);
        alpha().body("\"text\"").post(chunks).then().statusCode(400);
        alpha().body("[1, 2]").post(chunks).then().statusCode(400);
        List<Map<String, Object>> tooMany = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            tooMany.add(piece(i, "x"));
        }
        alpha().body(tooMany).post(chunks).then().statusCode(400).body("detail", containsString("1000"));
        alpha().body(piece(0, "x".repeat(1_100_000))).post(chunks).then().statusCode(413);
        for (String field : List.of("chunks", "token_count")) {
            for (Object value : new Object[] {-1, 1.5, "3", true, List.of(1), 99_999_999_999L}) {
                Map<String, Object> bad = new HashMap<>(Map.of("chunks", 0));
                bad.put(field, value);
                alpha().body(bad).post(complete).then().statusCode(400).body("detail", containsString(field));
            }
        }
        for (Object usage : new Object[] {1, "x", List.of(), Map.of("input_tokens", -1), Map.of("output_tokens", "2")}) {
            alpha().body(Map.of("chunks", 0, "usage", usage)).post(complete).then().statusCode(400).body("detail", containsString("usage"));
        }
        for (Object reason : new Object[] {"", "r".repeat(65), 7, List.of("stop")}) {
            alpha().body(Map.of("chunks", 0, "finish_reason", reason)).post(complete).then().statusCode(400)
                    .body("detail", containsString("finish_reason"));
        }
        alpha().body(Map.of("chunks", 0, "extra", 1)).post(complete).then().statusCode(400);
        alpha().body("[]").post(complete).then().statusCode(400);
        for (Object status : new Object[] {"", "incomplete", 1, true, List.of("streaming")}) {
            alpha().body(Map.of("role", "assistant", "status", status)).post("/sessions/" + cid + "/messages").then().statusCode(400)
                    .body("detail", containsString("status"));
        }
        // nothing was stored by any of them: the answer still has no piece and streams on
        assertThat(message(cid, answer, "miss").getInt("chunks_received")).isEqualTo(0);
        assertThat(message(cid, answer, "miss").getString("status")).isEqualTo("streaming");
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(1));
    }

    @Test
    void theContextBudgetStaysExactWhenAnAnswerCompletesBehindLaterMessages() {
        String cid = session();
        say(cid, "user", "q1", 10);
        long answer = open(cid);
        say(cid, "user", "q2", 20);
        say(cid, "assistant", "a2", 30);
        pieces(cid, answer, 200, List.of(piece(0, "the streamed "), piece(1, "answer")));
        String path = "/sessions/" + cid + "/context?max_tokens=";
        // streaming: left out and counted as nothing; include_streaming shows its text so far
        alpha().get(path + 60).then().statusCode(200).body("messages.seq", equalTo(List.of(1, 3, 4)))
                .body("totals.tokens", equalTo(60));
        alpha().get(path + 60 + "&include_streaming=true").then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2, 3, 4)))
                .body("messages[1].content", equalTo("the streamed answer")).body("messages[1].status", equalTo("streaming"));
        alpha().body(Map.of("chunks", 2, "token_count", 7)).post("/sessions/" + cid + "/messages/" + answer + "/complete")
                .then().statusCode(200).body("token_count", equalTo(7));
        say(cid, "user", "q3", 5);
        // it counts its own tokens, no more and no less, from PostgreSQL and from the cache alike
        for (int round = 0; round < 2; round++) {
            String cache = round == 0 ? "miss" : "hit";
            alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
            alpha().get(path + 62).then().statusCode(200).header("X-Cache", "hit").body("messages.seq", equalTo(List.of(2, 3, 4, 5)))
                    .body("totals.tokens", equalTo(62));
            alpha().get(path + 61).then().statusCode(200).body("messages.seq", equalTo(List.of(3, 4, 5)))
                    .body("totals.tokens", equalTo(55));
            alpha().get(path + 72).then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2, 3, 4, 5)))
                    .body("totals.tokens", equalTo(72));
            alpha().get("/sessions/" + cid + "/context?max_tokens=62&include_reasoning=true").then().statusCode(200)
                    .body("messages.seq", equalTo(List.of(2, 3, 4, 5)));
            // Redis loses everything: the sums come back from PostgreSQL the same
            try (Jedis jedis = TestServers.jedis()) {
                jedis.keys("exai:*{alpha:" + cid + "}:*").forEach(jedis::del);
            }
            assertThat(cache).isNotNull();
        }
        alpha().get("/sessions/" + cid).then().statusCode(200).body("message_count", equalTo(5));
        alpha().get("/messages/search?q=streamed&continuation_id=" + cid).then().statusCode(200).body("items.seq", equalTo(List.of(2)));
    }

    @Test
    void anAnswerThatReceivesNothingForTheIdleTimeEndsIncompleteWithWhatItHad() throws Exception {
        String cid = session();
        long answer = open(cid);
        long fresh = open(cid);
        pieces(cid, answer, 200, List.of(piece(0, "partial "), piece(1, "text"), piece(3, "after a hole")));
        pieces(cid, fresh, 200, piece(0, "still coming"));
        idleJob.endIdle().await().indefinitely();
        assertThat(message(cid, answer, "miss").getString("status")).isEqualTo("streaming"); // not idle yet
        TestServers.execute(StoreTestResource.database(), "UPDATE chat_messages SET last_chunk_at = now() - interval '1 hour'"
                + " WHERE seq = " + answer + " AND session_id = (SELECT id FROM chat_sessions WHERE continuation_id = '" + cid + "')");
        idleJob.endIdle().await().indefinitely();
        JsonPath ended = message(cid, answer, "miss");
        assertThat(ended.getString("status")).isEqualTo("incomplete");
        assertThat(ended.getString("finish_reason")).isEqualTo("abandoned");
        assertThat(ended.getString("content")).isEqualTo("partial text");
        assertThat(ended.getInt("chunks_received")).isEqualTo(3);
        assertThat(message(cid, fresh, "miss").getString("status")).isEqualTo("streaming");
        // incomplete answers count in the context read, marked as such
        alpha().get("/sessions/" + cid + "/context?max_tokens=1000").then().statusCode(200)
                .body("messages.status", equalTo(List.of("incomplete")));
        alpha().body(Map.of("chunks", 1)).post("/sessions/" + cid + "/messages/" + fresh + "/complete").then().statusCode(200);
        String exported = alpha().get("/sessions/" + cid + "/export").then().statusCode(200)
                .body(containsString("\"status\":\"incomplete\"")).body(containsString("still coming")).extract().asString();
        // an import keeps how each answer ended
        String copy = "stream-copy-" + UUID.randomUUID();
        alpha().contentType("application/x-ndjson").body(exported.getBytes(java.nio.charset.StandardCharsets.UTF_8)).post("/sessions/import?continuation_id=" + copy).then().statusCode(201);
        alpha().get("/sessions/" + copy + "/messages").then().statusCode(200)
                .body("items.status", equalTo(List.of("incomplete", "complete")))
                .body("items[0].finish_reason", equalTo("abandoned")).body("items[0].content", equalTo("partial text"));
    }

    @Test
    void aReaderNeverSeesAStaleStatusWhenRedisMissesTheCompletion() throws Exception {
        Api.awaitRedis("up");
        String cid = session();
        say(cid, "user", "q", 2);
        long answer = open(cid);
        pieces(cid, answer, 200, piece(0, "kept"));
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "miss").body("items[1].status", equalTo("streaming"));
        int tokens;
        try {
            StoreTestResource.redisProxy().cut();
            tokens = alpha().body(Map.of("chunks", 1)).post("/sessions/" + cid + "/messages/" + answer + "/complete").then().statusCode(200)
                    .extract().jsonPath().getInt("token_count");
        } finally {
            StoreTestResource.redisProxy().restore();
        }
        Api.awaitRedis("up");
        for (int i = 0; i < 3; i++) {
            alpha().get("/sessions/" + cid + "/messages").then().statusCode(200)
                    .body("items[1].status", equalTo("complete")).body("items[1].content", equalTo("kept"));
        }
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit");
        Map<String, Object> counts = new HashMap<>(alpha().get("/sessions/" + cid + "/context?max_tokens=100").then().statusCode(200)
                .extract().jsonPath().getMap("totals"));
        assertThat(tokens).isPositive();
        assertThat(counts.get("tokens")).isEqualTo(2 + tokens);
        alpha().get("/sessions/" + cid + "/context?max_tokens=100&summaries=true").then().statusCode(200).body("summary", nullValue());
    }
}
