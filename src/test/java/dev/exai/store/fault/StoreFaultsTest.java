package dev.exai.store.fault;

import static dev.exai.store.testing.Api.alpha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.RestAssuredConfig;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Faults of the stores under load, with clients that log every acknowledged write and check it afterwards:
 * PostgreSQL connections terminated and the server unreachable for a while during appends, and Redis frozen.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class StoreFaultsTest {

    private static final RestAssuredConfig BOUNDED = Api.bounded(15_000);

    @AfterEach
    void restore() {
        StoreTestResource.postgresProxy().restore();
    }

    @Test
    void postgresConnectionsKilledAndServerAwayLoseNothing() throws Exception {
        String cid = "pg-fault-" + System.nanoTime();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger unavailable = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            clients.add(pool.submit(() -> {
                for (int i = 0; i < 60; i++) {
                    String content = "client " + client + " message " + i;
                    while (true) {
                        var response = alpha().config(BOUNDED).header("Idempotency-Key", content.replace(' ', '-'))
                                .body(Map.of("role", "user", "content", content)).post("/sessions/" + cid + "/messages");
                        if (response.statusCode() == 201) {
                            acknowledged.put(content, response.jsonPath().getLong("seq"));
                            break;
                        }
                        if (response.statusCode() == 503) {
                            unavailable.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                        }
                        Thread.sleep(50);
                    }
                }
                return null;
            }));
        }
        while (acknowledged.size() < 40) {
            Thread.sleep(10);
        }
        terminateBackends();
        Thread.sleep(200);
        terminateBackends();
        StoreTestResource.postgresProxy().cut(); // the server is away
        Thread.sleep(1500);
        StoreTestResource.postgresProxy().restore();
        for (Future<?> client : clients) {
            client.get();
        }
        pool.shutdown();
        assertThat(other.get()).as("answers other than 201 and 503").isZero();
        assertThat(unavailable.get()).as("requests refused while PostgreSQL was away").isPositive();
        assertThat(acknowledged).hasSize(240);
        try (var c = TestServers.connect(StoreTestResource.database());
             ResultSet rs = c.createStatement().executeQuery("SELECT m.content, m.seq FROM chat_messages m JOIN chat_sessions s "
                     + "ON s.id = m.session_id WHERE s.continuation_id = '" + cid + "' ORDER BY m.seq")) {
            Map<String, Long> stored = new HashMap<>();
            List<Long> seqs = new ArrayList<>();
            while (rs.next()) {
                assertThat(stored.put(rs.getString(1), rs.getLong(2))).as("stored twice").isNull();
                seqs.add(rs.getLong(2));
            }
            assertThat(stored).isEqualTo(acknowledged);
            assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, 240).boxed().toList());
        }
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.size()", equalTo(100));
    }

    @Test
    void aFrozenRedisIsServedAroundFromPostgres() throws Exception {
        Api.awaitRedis("up");
        String cid = "frozen-" + System.nanoTime();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "before")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        try (Jedis jedis = TestServers.jedis()) {
            jedis.clientPause(3000);
        }
        // answered from PostgreSQL while Redis does not answer (the client's 2 s bound turns a hang into a failure)
        RestAssuredConfig quick = Api.bounded(2_000);
        alpha().config(quick).body(Map.of("role", "user", "content", "during")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().config(quick).get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "miss")
                .body("items.content", equalTo(List.of("before", "during")));
        Thread.sleep(3000);
        Api.awaitRedis("up");
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.content", equalTo(List.of("before", "during")));
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "hit")
                .body("items.content", equalTo(List.of("before", "during")));
    }

    private static void terminateBackends() throws Exception {
        try (var c = TestServers.connect("postgres")) {
            c.createStatement().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                    + StoreTestResource.database() + "' AND pid <> pg_backend_pid()");
        }
    }
}
