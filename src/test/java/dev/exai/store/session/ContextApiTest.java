package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Turns that know their tool, model and files; token counts; the context read within a token budget, across chains
 * and forks; turn caps and sliding expiry. Every budget cut is checked against a brute-force walk of the history.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class ContextApiTest {

    @BeforeEach
    void cacheInUse() throws InterruptedException {
        Api.awaitRedis("up");
    }

    @Test
    void turnsKeepToolModelUsageFilesAndReasoningOnEveryRead() {
        String cid = newId();
        String file = upload("notes.txt", "some notes");
        String image = upload("chart.png", "\u0089PNG\r\n\u001a\nfake");
        alpha().body(List.of(
                        Map.of("role", "user", "content", "Summarise the notes", "files", List.of(file), "images", List.of(image)),
                        Map.of("role", "assistant", "content", "They say hello.", "tool_name", "chat", "model", "glm-4.6",
                                "provider", "zhipu", "usage", Map.of("input_tokens", 120, "output_tokens", 8),
                                "reasoning", "The user wants a summary; the notes are short.", "token_count", 5)))
                .queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201)
                .body("[0].files[0]", equalTo(file)).body("[0].images[0]", equalTo(image))
                .body("[0].token_count_estimated", equalTo(true)).body("[0].tool_name", nullValue())
                .body("[1].tool_name", equalTo("chat")).body("[1].usage.input_tokens", equalTo(120))
                .body("[1].token_count", equalTo(5)).body("[1].token_count_estimated", equalTo(false));
        for (boolean cached : List.of(true, false)) {
            if (!cached) {
                forgetCache(cid);
            }
            alpha().get("/sessions/" + cid + "/messages").then().statusCode(200)
                    .header("X-Cache", cached ? "hit" : "miss")
                    .body("items[0].files", equalTo(List.of(file))).body("items[0].images", equalTo(List.of(image)))
                    .body("items[1].model", equalTo("glm-4.6")).body("items[1].provider", equalTo("zhipu"))
                    .body("items[1].usage.output_tokens", equalTo(8))
                    .body("items[1].reasoning", equalTo("The user wants a summary; the notes are short."));
        }
        alpha().get("/sessions/" + cid + "/messages?tool_name=chat").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].seq", equalTo(2));
        alpha().get("/sessions/" + cid + "/messages?model=kimi-k2").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    void tokenCountsComeFromTheTokenizerWhenTheClientGivesNone() {
        String cid = newId();
        int english = alpha().body(Map.of("role", "user", "content", "The quick brown fox jumps over the lazy dog."))
                .queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201)
                .extract().path("token_count");
        assertThat(english).isEqualTo(10); // o200k_base: 9 words and the full stop
        int chinese = alpha().body(Map.of("role", "user", "content", "今天天气很好，我们去公园散步吧。"))
                .post("/sessions/" + cid + "/messages").then().statusCode(201).extract().path("token_count");
        assertThat(chinese).isBetween(5, 16);
    }

    @Test
    void unknownOrForeignFileIdsAreRefusedAndNothingIsStored() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        String mine = upload("a.txt", "mine");
        String theirs = beta().contentType("text/plain").queryParam("filename", "b.txt").body("theirs".getBytes())
                .post("/files").then().statusCode(201).extract().path("id");
        alpha().body(List.of(Map.of("role", "user", "content", "ok", "files", List.of(mine)),
                        Map.of("role", "user", "content", "x", "images", List.of(mine, theirs))))
                .post("/sessions/" + cid + "/messages").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("messages[1].images[1]")).body("detail", containsString(theirs));
        alpha().body(Map.of("role", "user", "content", "x", "files", List.of("not-a-uuid")))
                .post("/sessions/" + cid + "/messages").then().statusCode(400).body("detail", containsString("message.files[0]"));
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(0));
    }

    @Test
    void theBudgetCutIsExactAgainstABruteForceWalkCachedOrNot() throws InterruptedException {
        Api.awaitRedis("up"); // a fault test before this one may have left the cache recovering
        Random random = new Random(20261130);
        for (int round = 0; round < 6; round++) {
            String cid = newId();
            int n = 1 + random.nextInt(40);
            List<Integer> counts = new ArrayList<>();
            List<Map<String, Object>> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int tokens = random.nextInt(5) == 0 ? 0 : random.nextInt(300);
                counts.add(tokens);
                batch.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", "m" + i, "token_count", tokens));
            }
            alpha().body(batch).queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
            List<Segment> chain = List.of(new Segment(cid, counts));
            for (int probe = 0; probe < 8; probe++) {
                int budget = 1 + random.nextInt(counts.stream().mapToInt(Integer::intValue).sum() + 50);
                JsonPath cached = context(cid, budget, "hit");
                assertMatchesBruteForce(cached, chain, budget);
                forgetCache(cid);
                JsonPath fromDatabase = context(cid, budget, "miss");
                assertThat(fromDatabase.getList("messages")).isEqualTo(cached.getList("messages"));
                alpha().get("/sessions/" + cid + "/messages?limit=1000").then().statusCode(200); // re-warms the cache
            }
        }
    }

    @Test
    void aThreeDeepChainIsWalkedAndItsFilesAreListedOnceNewestFirst() {
        String f1 = upload("one.txt", "1");
        String f2 = upload("two.txt", "2");
        String f3 = upload("three.txt", "3");
        String root = newId();
        appendAll(root, List.of(turn(10, f1), turn(20, f2), turn(30, null), turn(40, f1), turn(50, null), turn(60, f3)));
        String child = newId();
        alpha().body(Map.of("parent_continuation_id", root, "parent_seq", 4)).put("/sessions/" + child).then().statusCode(201)
                .body("parent_continuation_id", equalTo(root)).body("parent_seq", equalTo(4));
        appendAll(child, List.of(turn(5, f2), turn(15, null), turn(25, f3), turn(35, null), turn(45, null)));
        String grandchild = newId();
        alpha().body(Map.of("parent_continuation_id", child, "parent_seq", 3)).put("/sessions/" + grandchild).then().statusCode(201);
        appendAll(grandchild, List.of(turn(7, null), turn(8, f1), turn(9, null), turn(11, null)));
        List<Segment> chain = List.of(new Segment(root, List.of(10, 20, 30, 40)), new Segment(child, List.of(5, 15, 25)),
                new Segment(grandchild, List.of(7, 8, 9, 11)));
        for (int budget : List.of(1, 11, 35, 36, 60, 80, 100, 120, 160, 175, 1000)) {
            assertMatchesBruteForce(context(grandchild, budget, null), chain, budget);
        }
        JsonPath all = context(grandchild, 1000, null);
        // references newest first: grandchild's f1, child's f3 (seq 3), child's f2, root's f1 (already listed), root's f2
        assertThat(all.getList("files.id")).containsExactly(f1, f3, f2);
        assertThat(all.getList("files.filename")).containsExactly("one.txt", "three.txt", "two.txt");
        JsonPath own = JsonPath.from(alpha().get("/sessions/" + grandchild + "/context?max_tokens=1000&include_chain=false")
                .then().statusCode(200).extract().asString());
        assertThat(own.getList("messages.seq", Integer.class)).containsExactly(1, 2, 3, 4);
        assertThat(own.getInt("omitted_messages")).isZero();
        // the whole chain in order, paged
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            var request = alpha().queryParam("chain", true).queryParam("limit", 4);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = JsonPath.from(request.get("/sessions/" + grandchild + "/messages").then().statusCode(200).extract().asString());
            List<String> cids = page.getList("items.continuation_id");
            List<Integer> seqs = page.getList("items.seq");
            for (int i = 0; i < cids.size(); i++) {
                seen.add(cids.get(i) + "#" + seqs.get(i));
            }
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        assertThat(seen).containsExactly(root + "#1", root + "#2", root + "#3", root + "#4", child + "#1", child + "#2",
                child + "#3", grandchild + "#1", grandchild + "#2", grandchild + "#3", grandchild + "#4");
        // a parent with continuations is not deleted by accident
        alpha().delete("/sessions/" + root).then().statusCode(409).body("detail", containsString(child));
        alpha().delete("/sessions/" + root + "?cascade=true").then().statusCode(204);
        for (String gone : List.of(root, child, grandchild)) {
            alpha().get("/sessions/" + gone).then().statusCode(404);
        }
    }

    @Test
    void aForkSeesTheParentUpToItsPointThenItsOwnWhileTheParentGoesOn() {
        String parent = newId();
        List<Map<String, Object>> ten = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            ten.add(Map.of("role", "user", "content", "parent " + i, "token_count", 1));
        }
        appendAll(parent, ten);
        String fork = alpha().body(Map.of("at_seq", 5)).post("/sessions/" + parent + "/fork").then().statusCode(201)
                .header("Location", containsString("/sessions/")).body("parent_seq", equalTo(5))
                .extract().path("continuation_id");
        alpha().body(Map.of("role", "user", "content", "fork 1", "token_count", 1)).post("/sessions/" + fork + "/messages").then().statusCode(201);
        alpha().body(List.of(Map.of("role", "user", "content", "parent 11"), Map.of("role", "user", "content", "parent 12")))
                .post("/sessions/" + parent + "/messages").then().statusCode(201);
        JsonPath forked = context(fork, 100, null);
        assertThat(forked.getList("messages.content")).containsExactly("parent 1", "parent 2", "parent 3", "parent 4", "parent 5", "fork 1");
        assertThat(context(parent, 1000, null).getList("messages")).hasSize(12);
        alpha().body(Map.of("at_seq", 13)).post("/sessions/" + parent + "/fork").then().statusCode(400);
        alpha().post("/sessions/" + newId() + "/fork").then().statusCode(404);
        beta().post("/sessions/" + parent + "/fork").then().statusCode(404);
    }

    @Test
    void aChainDeeperThanTwentyIsRefused() {
        String previous = newId();
        alpha().put("/sessions/" + previous).then().statusCode(201);
        for (int depth = 1; depth <= 20; depth++) {
            String next = newId();
            alpha().body(Map.of("parent_continuation_id", previous)).put("/sessions/" + next).then().statusCode(201);
            previous = next;
        }
        alpha().body(Map.of("parent_continuation_id", previous)).put("/sessions/" + newId()).then().statusCode(400)
                .body("detail", containsString("at most 20"));
        alpha().body(Map.of("parent_continuation_id", newId())).put("/sessions/" + newId()).then().statusCode(400);
    }

    @Test
    void contextAfterRedisWasFlushedEqualsContextBefore() {
        String cid = newId();
        String file = upload("r.txt", "r");
        appendAll(cid, List.of(turn(100, file), turn(200, null), turn(300, file), turn(50, null)));
        Response before = alpha().get("/sessions/" + cid + "/context?max_tokens=560");
        before.then().statusCode(200).header("X-Cache", "hit");
        try (Jedis jedis = TestServers.jedis()) {
            jedis.flushAll();
        }
        Response after = alpha().get("/sessions/" + cid + "/context?max_tokens=560");
        after.then().statusCode(200).header("X-Cache", "miss");
        assertThat(after.asString()).isEqualTo(before.asString());
        JsonPath answer = after.jsonPath();
        assertThat(answer.getList("messages.seq", Integer.class)).containsExactly(2, 3, 4);
        assertThat(answer.getInt("totals.tokens")).isEqualTo(550);
        assertThat(answer.getInt("omitted_messages")).isEqualTo(1);
        assertThat(answer.getInt("first_included_seq")).isEqualTo(2);
    }

    @Test
    void reasoningIsLeftOutAndUncountedUnlessAskedFor() {
        String cid = newId();
        alpha().body(List.of(Map.of("role", "user", "content", "q", "token_count", 10),
                        Map.of("role", "assistant", "content", "a", "token_count", 10, "reasoning", "think ".repeat(500))))
                .queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
        JsonPath plain = context(cid, 20, null);
        assertThat(plain.getList("messages")).hasSize(2);
        assertThat(plain.getString("messages[1].reasoning")).isNull();
        JsonPath thinking = JsonPath.from(alpha().get("/sessions/" + cid + "/context?max_tokens=20&include_reasoning=true")
                .then().statusCode(200).extract().asString());
        assertThat(thinking.getList("messages")).hasSize(1);
        assertThat(thinking.getBoolean("newest_exceeds_budget")).isTrue();
        assertThat(thinking.getString("messages[0].reasoning")).startsWith("think think");
    }

    @Test
    void concurrentAppendsNeverPassATurnCap() throws Exception {
        String cid = newId();
        alpha().body(Map.of("max_messages", 25)).put("/sessions/" + cid).then().statusCode(201)
                .body("max_messages", equalTo(25)).body("remaining_messages", equalTo(25));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                statuses.add(pool.submit(() -> alpha().body(Map.of("role", "user", "content", "turn " + n))
                        .post("/sessions/" + cid + "/messages").then().extract().statusCode()));
            }
            Map<Integer, Integer> byStatus = new HashMap<>();
            for (Future<Integer> status : statuses) {
                byStatus.merge(status.get(), 1, Integer::sum);
            }
            assertThat(byStatus).containsEntry(201, 25).containsEntry(409, 15);
        } finally {
            pool.shutdownNow();
        }
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(25)).body("remaining_messages", equalTo(0));
        alpha().body(Map.of("role", "user", "content", "one more")).post("/sessions/" + cid + "/messages").then().statusCode(409)
                .body("detail", containsString("remaining_messages: 0"));
        alpha().header("Idempotency-Key", "capped").body(Map.of("role", "user", "content", "keyed"))
                .post("/sessions/" + cid + "/messages").then().statusCode(409);
    }

    @Test
    void aSlidingExpiryMovesWithEveryAppendAndNotWithReads() {
        String cid = newId();
        String created = alpha().body(Map.of("ttl_seconds", 3600, "ttl_sliding", true)).put("/sessions/" + cid).then().statusCode(201)
                .body("ttl_sliding", equalTo(true)).body("ttl_seconds", equalTo(3600)).extract().path("expires_at");
        String appended = alpha().body(Map.of("role", "user", "content", "still here")).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).extract().path("created_at");
        String moved = alpha().get("/sessions/" + cid).then().statusCode(200).extract().path("expires_at");
        assertThat(Instant.parse(moved)).isAfter(Instant.parse(created))
                .isEqualTo(Instant.parse(appended).plusSeconds(3600));
        // reads do not keep an idle session alive
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
        alpha().get("/sessions/" + cid + "/context?max_tokens=100").then().statusCode(200);
        alpha().get("/sessions/" + cid).then().body("expires_at", equalTo(moved));
        String fixed = newId();
        String fixedExpiry = alpha().body(Map.of("ttl_seconds", 3600)).put("/sessions/" + fixed).then().extract().path("expires_at");
        alpha().body(Map.of("role", "user", "content", "x")).post("/sessions/" + fixed + "/messages").then().statusCode(201);
        alpha().get("/sessions/" + fixed).then().body("expires_at", equalTo(fixedExpiry));
        alpha().body(Map.of("ttl_sliding", true)).put("/sessions/" + newId()).then().statusCode(400);
    }

    // --- helpers -------------------------------------------------------------------------------------------

    /** One session's part of a chain: its continuation_id and the token counts of the messages the chain holds. */
    private record Segment(String cid, List<Integer> counts) {
    }

    /** The context read, checked against the newest-first walk of the chain's messages. */
    private static void assertMatchesBruteForce(JsonPath answer, List<Segment> chain, int budget) {
        List<String> ids = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Segment segment : chain) {
            for (int i = 0; i < segment.counts().size(); i++) {
                ids.add(segment.cid() + "#" + (i + 1));
                counts.add(segment.counts().get(i));
            }
        }
        int used = 0;
        int first = counts.size();
        while (first > 0 && used + counts.get(first - 1) <= budget) {
            used += counts.get(--first);
        }
        boolean exceeds = false;
        if (first == counts.size()) { // the newest alone is over the budget: it is kept, flagged
            first--;
            used = counts.get(first);
            exceeds = true;
        }
        List<String> expected = ids.subList(first, ids.size());
        List<String> cids = answer.getList("messages.continuation_id");
        List<Integer> seqs = answer.getList("messages.seq");
        List<String> got = new ArrayList<>();
        for (int i = 0; i < cids.size(); i++) {
            got.add(cids.get(i) + "#" + seqs.get(i));
        }
        assertThat(got).as("budget %d", budget).isEqualTo(expected);
        assertThat(answer.getInt("totals.tokens")).as("budget %d", budget).isEqualTo(used);
        assertThat(answer.getInt("totals.messages")).isEqualTo(expected.size());
        assertThat(answer.getInt("omitted_messages")).as("budget %d", budget).isEqualTo(first);
        assertThat(answer.getBoolean("newest_exceeds_budget")).as("budget %d", budget).isEqualTo(exceeds);
        String firstId = expected.get(0);
        assertThat(answer.getString("first_included_continuation_id") + "#" + answer.getInt("first_included_seq")).isEqualTo(firstId);
    }

    private static JsonPath context(String cid, int budget, String cache) {
        var then = alpha().get("/sessions/" + cid + "/context?max_tokens=" + budget).then().statusCode(200);
        if (cache != null) {
            then.header("X-Cache", cache);
        }
        return JsonPath.from(then.extract().asString());
    }

    private static Map<String, Object> turn(int tokens, String file) {
        return file == null
                ? Map.of("role", "user", "content", "t" + tokens, "token_count", tokens)
                : Map.of("role", "user", "content", "t" + tokens, "token_count", tokens, "files", List.of(file));
    }

    private static void appendAll(String cid, List<Map<String, Object>> messages) {
        alpha().body(messages).queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
    }

    private static String upload(String name, String text) {
        return alpha().contentType("text/plain").queryParam("filename", name).body(text.getBytes())
                .post("/files").then().statusCode(201).extract().path("id");
    }

    /** Drops one session's cached keys, so the next read must come from PostgreSQL. */
    private static void forgetCache(String cid) {
        try (Jedis jedis = TestServers.jedis()) {
            for (String key : jedis.keys("*{alpha:" + cid + "}*")) {
                jedis.del(key);
            }
        }
    }
}
