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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Redis unreachable while PostgreSQL is fine: appends still answer 201, reads 200 from PostgreSQL, readiness
 * stays UP reporting Redis degraded; when Redis comes back still holding the keys from before the outage,
 * no read misses a message acknowledged during it.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class RedisOutageTest {

    @AfterEach
    void restore() {
        StoreTestResource.redisProxy().restore();
    }

    @Test
    void acknowledgedMessagesSurviveAnOutageAndStaleKeys() throws Exception {
        Api.awaitRedis("up");
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        append(cid, 1, 5);
        readAll(cid, 5);
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit");

        double fallbacksBefore = metric("exai_store_cache_fallbacks_total");
        StoreTestResource.redisProxy().cut();
        append(cid, 6, 10);
        // the cut is noticed by the first append's cache write (a failed call) or by the 1 s probe, whichever comes
        // first; either way the appends that follow skip Redis, and each skip is counted
        assertThat(metric("exai_store_cache_fallbacks_total")).isGreaterThan(fallbacksBefore);
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "miss").body("items.size()", equalTo(10));
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'redis' }.data.status", equalTo("degraded"));
        given().get("/q/health/live").then().statusCode(200);

        // Redis returns holding the keys written before the outage: 5 messages, count 5.
        try (Jedis jedis = TestServers.jedis()) {
            Set<String> stale = jedis.keys("exai:*:{alpha:" + cid + "}:meta");
            assertThat(stale).isNotEmpty();
            assertThat(stale.stream().map(k -> jedis.hget(k, "count")).toList()).contains("5");
        }
        StoreTestResource.redisProxy().restore();
        Api.awaitRedis("up");
        readAll(cid, 10);
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit").body("items.size()", equalTo(10));
        alpha().queryParam("last", 3).get("/sessions/" + cid + "/messages").then().body("items.seq", equalTo(List.of(8, 9, 10)));
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(10));
    }

    private static void append(String cid, int from, int to) {
        IntStream.rangeClosed(from, to).forEach(i -> alpha().body(Map.of("role", "user", "content", "message " + i))
                .post("/sessions/" + cid + "/messages").then().statusCode(201).body("seq", equalTo(i)));
    }

    private static void readAll(String cid, int count) {
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200)
                .body("items.seq", equalTo(IntStream.rangeClosed(1, count).boxed().toList()));
    }

    private static double metric(String name) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
