package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Written history survives a restart of the packaged service plus a Redis FLUSHALL: a miss, then a hit. */
class RestartIT {

    private static final String KEY = "restart-test-key";

    @Test
    void historySurvivesRestartAndFlushall() {
        String database = TestServers.createDatabase("exai_restart");
        String cid = "restart-" + System.nanoTime();
        String before;
        try (AppProcess first = AppProcess.start("restart-1", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            first.as(KEY).put("/sessions/" + cid).then().statusCode(201);
            first.as(KEY).body(List.of(Map.of("role", "user", "content", "one"), Map.of("role", "assistant", "content", "two"),
                    Map.of("role", "user", "content", "three"))).post("/sessions/" + cid + "/messages").then().statusCode(201);
            before = first.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).extract().asString();
            first.stop();
        }
        try (Jedis jedis = TestServers.jedis()) {
            jedis.flushAll();
        }
        try (AppProcess second = AppProcess.start("restart-2", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            String miss = second.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "miss")
                    .body("items.content", equalTo(List.of("one", "two", "three"))).extract().asString();
            String hit = second.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "hit")
                    .extract().asString();
            assertThat(miss).isEqualTo(before);
            assertThat(hit).isEqualTo(before);
        }
    }
}
