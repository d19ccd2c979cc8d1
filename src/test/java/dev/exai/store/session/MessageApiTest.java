package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class MessageApiTest {

    @Test
    void appendOneAndABatchThenPageAndReadTheNewest() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "hello", "metadata", Map.of("k", "v"), "token_count", 3))
                .post("/sessions/" + cid + "/messages")
                .then().statusCode(201)
                .body("seq", equalTo(1)).body("role", equalTo("user")).body("metadata.k", equalTo("v")).body("token_count", equalTo(3));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 2; i <= 12; i++) {
            batch.add(Map.of("role", i % 2 == 0 ? "assistant" : "user", "content", "m" + i));
        }
        alpha().body(batch).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).body("size()", equalTo(11)).body("[0].seq", equalTo(2)).body("[10].seq", equalTo(12));
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(12));

        // ascending pages of 5 by cursor
        List<Integer> seqs = new ArrayList<>();
        String cursor = null;
        do {
            var spec = alpha().queryParam("limit", 5);
            if (cursor != null) {
                spec.queryParam("cursor", cursor);
            }
            JsonPath page = spec.get("/sessions/" + cid + "/messages").then().statusCode(200).extract().jsonPath();
            seqs.addAll(page.getList("items.seq"));
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        assertThat(seqs).containsExactlyElementsOf(IntStream.rangeClosed(1, 12).boxed().toList());

        // descending pages of 5
        List<Integer> down = new ArrayList<>();
        cursor = null;
        do {
            var spec = alpha().queryParam("limit", 5).queryParam("order", "desc");
            if (cursor != null) {
                spec = alpha().queryParam("limit", 5).queryParam("cursor", cursor);
            }
            JsonPath page = spec.get("/sessions/" + cid + "/messages").then().statusCode(200).extract().jsonPath();
            down.addAll(page.getList("items.seq"));
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        assertThat(down).containsExactlyElementsOf(IntStream.iterate(12, i -> i >= 1, i -> i - 1).boxed().toList());

        alpha().queryParam("after_seq", 10).get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.seq", equalTo(List.of(11, 12)));
        alpha().queryParam("last", 3).get("/sessions/" + cid + "/messages").then().statusCode(200)
                .body("items.seq", equalTo(List.of(10, 11, 12))).body("next_cursor", equalTo(null));
    }

    @Test
    void aLargeHistoryPageIsOneResponseWithItsLengthNotAChunkedStream() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 1; i <= 60; i++) {
            batch.add(Map.of("role", "user", "content", "a turn long enough that sixty of them pass the 8 KiB stream buffer: " + "é".repeat(i)));
        }
        alpha().body(batch).post("/sessions/" + cid + "/messages").then().statusCode(201);
        var page = alpha().queryParam("last", 60).get("/sessions/" + cid + "/messages").then().statusCode(200).extract();
        byte[] body = page.asByteArray();
        assertThat(body.length).isGreaterThan(16 * 1024);
        // sent whole, in one write (JsonTextWriter): Content-Length counts the UTF-8 bytes, nothing is chunked
        assertThat(page.header("Transfer-Encoding")).isNull();
        assertThat(page.header("Content-Length")).isEqualTo(Integer.toString(body.length));
        assertThat(page.jsonPath().getList("items.seq")).hasSize(60);
    }

    @Test
    void createFlagMakesTheSessionAndWithoutItAMissingSessionIs404() {
        String cid = newId();
        alpha().body(Map.of("role", "user", "content", "x")).post("/sessions/" + cid + "/messages").then().statusCode(404);
        alpha().queryParam("create", true).body(Map.of("role", "user", "content", "x")).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).body("seq", equalTo(1));
        alpha().get("/sessions/" + cid).then().statusCode(200).body("message_count", equalTo(1));
    }

    @Test
    void idempotencyKeyReplaysAndRefusesAnotherBody() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        var first = alpha().header("Idempotency-Key", "k-1").body(List.of(Map.of("role", "user", "content", "a"), Map.of("role", "assistant", "content", "b")))
                .post("/sessions/" + cid + "/messages").then().statusCode(201).extract().asString();
        var replay = alpha().header("Idempotency-Key", "k-1").body(List.of(Map.of("role", "user", "content", "a"), Map.of("role", "assistant", "content", "b")))
                .post("/sessions/" + cid + "/messages").then().statusCode(201).header("Idempotent-Replayed", "true").extract().asString();
        assertThat(replay).isEqualTo(first);
        alpha().header("Idempotency-Key", "k-1").body(Map.of("role", "user", "content", "different"))
                .post("/sessions/" + cid + "/messages").then().statusCode(422).contentType("application/problem+json");
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(2));

        // the same key in another session, and for another tenant's session of the same id, is a new key
        String other = newId();
        alpha().put("/sessions/" + other).then().statusCode(201);
        alpha().header("Idempotency-Key", "k-1").body(Map.of("role", "user", "content", "other"))
                .post("/sessions/" + other + "/messages").then().statusCode(201).body("seq", equalTo(1));
        beta().put("/sessions/" + cid).then().statusCode(201);
        beta().header("Idempotency-Key", "k-1").body(Map.of("role", "user", "content", "a"))
                .post("/sessions/" + cid + "/messages").then().statusCode(201).body("seq", equalTo(1)).header("Idempotent-Replayed", (String) null);
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(2));
    }

    @Test
    void concurrentRetriesOfOneKeyStoreOnce() throws Exception {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(() -> alpha().header("Idempotency-Key", "same").body(Map.of("role", "user", "content", "once"))
                        .post("/sessions/" + cid + "/messages").then().statusCode(201).extract().<Integer>path("seq")));
            }
            for (Future<Integer> answer : answers) {
                assertThat(answer.get()).isEqualTo(1);
            }
        } finally {
            pool.shutdown();
        }
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(1));
    }

    @Test
    void sixteenConcurrentAppendersGetGaplessSeqAndCachedAndUncachedReadsAgree() throws Exception {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<List<Long>>> clients = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    List<Long> got = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        got.add(alpha().body(Map.of("role", "user", "content", "client " + client + " message " + i))
                                .post("/sessions/" + cid + "/messages").then().statusCode(201).extract().<Number>path("seq").longValue());
                    }
                    return got;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> client : clients) {
                all.addAll(client.get());
            }
            assertThat(all).hasSize(800).doesNotHaveDuplicates();
            assertThat(new HashSet<>(all)).isEqualTo(new HashSet<>(LongStream.rangeClosed(1, 800).boxed().toList()));
        } finally {
            pool.shutdown();
        }
        try (var c = TestServers.connect(StoreTestResource.database());
             var rs = c.createStatement().executeQuery("SELECT count(*), count(DISTINCT content), min(seq), max(seq) FROM chat_messages m "
                     + "JOIN chat_sessions s ON s.id = m.session_id WHERE s.continuation_id = '" + cid + "'")) {
            rs.next();
            assertThat(List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))).containsExactly(800L, 800L, 1L, 800L);
        }
        Api.awaitRedis("up");
        String uncached = readAll(cid, "miss", true);
        String cached = readAll(cid, "hit", false);
        assertThat(cached).isEqualTo(uncached);
    }

    @Test
    void searchFindsTheTenantsMessagesOnly() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().body(List.of(Map.of("role", "user", "content", "the quokka jumped over the fence"), Map.of("role", "assistant", "content", "unrelated")))
                .post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().queryParam("q", "quokkas jumping").get("/messages/search").then().statusCode(200)
                .body("items.continuation_id", hasItem(cid)).body("items[0].content", equalTo("the quokka jumped over the fence"));
        beta().queryParam("q", "quokka").get("/messages/search").then().statusCode(200).body("items.size()", equalTo(0));
    }

    /** Reads all 800 after flushing Redis (miss, then re-warmed) or as is; answers the items JSON. */
    private static String readAll(String cid, String expectedCache, boolean flushFirst) {
        if (flushFirst) {
            try (Jedis jedis = TestServers.jedis()) {
                jedis.flushAll();
            }
        }
        return alpha().queryParam("limit", 1000).get("/sessions/" + cid + "/messages")
                .then().statusCode(200).header("X-Cache", expectedCache).body("items.size()", equalTo(800))
                .extract().jsonPath().getList("items").toString();
    }
}
