package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Written history and files survive a restart of the packaged service plus a Redis FLUSHALL: history is a miss,
 * then a hit; file metadata and bytes are served.
 */
class RestartIT {

    private static final String KEY = "restart-test-key";

    @Test
    void historyAndFilesSurviveRestartAndFlushall() throws Exception {
        String database = TestServers.createDatabase("exai_restart");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-files").toString());
        byte[] bytes = "a file that must outlive the process".getBytes(StandardCharsets.UTF_8);
        String fileId;
        String cid = "restart-" + System.nanoTime();
        String before;
        try (AppProcess first = AppProcess.start("restart-1", database, "alpha:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            fileId = first.as(KEY).contentType("text/plain").queryParam("filename", "kept.txt").body(bytes).post("/files")
                    .then().statusCode(201).extract().path("id");
            first.as(KEY).get("/files/" + fileId).then().statusCode(200);
            first.as(KEY).put("/sessions/" + cid).then().statusCode(201);
            first.as(KEY).body(List.of(Map.of("role", "user", "content", "one"), Map.of("role", "assistant", "content", "two"),
                    Map.of("role", "user", "content", "three"))).post("/sessions/" + cid + "/messages").then().statusCode(201);
            before = first.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).extract().asString();
            first.stop();
        }
        try (Jedis jedis = TestServers.jedis()) {
            jedis.flushAll();
        }
        try (AppProcess second = AppProcess.start("restart-2", database, "alpha:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            second.as(KEY).get("/files/" + fileId).then().statusCode(200).body("filename", equalTo("kept.txt"))
                    .body("size", equalTo(bytes.length));
            assertThat(second.as(KEY).get("/files/" + fileId + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);
            second.awaitRedisInUse(Duration.ofSeconds(20)); // a started instance takes a new cache generation first
            String miss = second.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "miss")
                    .body("items.content", equalTo(List.of("one", "two", "three"))).extract().asString();
            String hit = second.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "hit")
                    .extract().asString();
            assertThat(miss).isEqualTo(before);
            assertThat(hit).isEqualTo(before);
        }
    }

    @Test
    void aRedactionOutlivesARestartWithTheCacheKept() throws Exception {
        String database = TestServers.createDatabase("exai_restart");
        String cid = "redacted-" + System.nanoTime();
        String secret = "pw-hunter2-wombatsecret";
        try (AppProcess first = AppProcess.start("redact-1", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            first.awaitRedisInUse(Duration.ofSeconds(20));
            first.as(KEY).body(List.of(Map.of("role", "user", "content", "my password is " + secret),
                    Map.of("role", "assistant", "content", "noted"))).queryParam("create", true)
                    .post("/sessions/" + cid + "/messages").then().statusCode(201);
            first.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200);
            first.as(KEY).get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit");
            first.as(KEY).delete("/sessions/" + cid + "/messages/1").then().statusCode(204);
            first.stop();
        }
        try (AppProcess second = AppProcess.start("redact-2", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            second.awaitRedisInUse(Duration.ofSeconds(20));
            for (int read = 0; read < 2; read++) { // a miss that re-warms the cache, then a hit
                String history = second.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200)
                        .body("items.seq", equalTo(List.of(1, 2))).body("items[0].redacted", equalTo(true))
                        .body("items[0].content", equalTo("")).extract().asString();
                assertThat(history).doesNotContain(secret);
            }
            second.as(KEY).queryParam("q", "wombatsecret").get("/messages/search").then().statusCode(200)
                    .body("items.size()", equalTo(0));
        }
    }
}
