package dev.exai.store.fault;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.newId;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.RestAssuredConfig;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * PostgreSQL unreachable: writes and the reads Redis cannot answer fail fast with 503 problem+json (the client
 * gives up after 15 s, so a hang fails the test), nothing reaches Redis, liveness stays UP and readiness goes
 * DOWN; when PostgreSQL is back the same service instance serves again.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class DatabaseOutageTest {

    private static final RestAssuredConfig BOUNDED = Api.bounded(15_000);

    @AfterEach
    void restore() {
        StoreTestResource.postgresProxy().restore();
    }

    @Test
    void failsFastWithoutPartialWritesAndRecovers() throws Exception {
        String cid = newId();
        String uncached = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().put("/sessions/" + uncached).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "before")).post("/sessions/" + cid + "/messages").then().statusCode(201);

        StoreTestResource.postgresProxy().cut();
        try (Jedis jedis = TestServers.jedis()) {
            for (String key : jedis.keys("exai:*:{alpha:" + uncached + "}:*")) {
                jedis.del(key);
            }
        }
        unavailable(alpha().config(BOUNDED).body(Map.of("role", "user", "content", "during")).post("/sessions/" + cid + "/messages"));
        unavailable(alpha().config(BOUNDED).get("/sessions/" + uncached + "/messages"));
        unavailable(alpha().config(BOUNDED).put("/sessions/" + newId()));
        given().config(BOUNDED).get("/q/health/live").then().statusCode(200);
        given().config(BOUNDED).get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"));

        // nothing of the failed append reached the cache
        try (Jedis jedis = TestServers.jedis()) {
            Set<String> sets = jedis.keys("exai:*:{alpha:" + cid + "}:msgs");
            for (String key : sets) {
                assertThat(jedis.zrange(key, 0, -1)).noneMatch(json -> json.contains("during"));
            }
        }

        StoreTestResource.postgresProxy().restore();
        for (int i = 0; i < 100; i++) {
            if (given().get("/q/health/ready").statusCode() == 200) {
                break;
            }
            Thread.sleep(100);
        }
        alpha().body(Map.of("role", "user", "content", "after")).post("/sessions/" + cid + "/messages").then().statusCode(201).body("seq", equalTo(2));
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.content", equalTo(java.util.List.of("before", "after")));
    }

    private static void unavailable(io.restassured.response.Response response) {
        response.then().statusCode(503).contentType("application/problem+json").body("status", equalTo(503));
    }
}
