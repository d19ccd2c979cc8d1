package dev.exai.store.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged service on one database, the second started with the admin key and no bootstrap keys
 * (the prod profile accepts that): a key made through one works on the other, and once revoked
 * through one it is refused by the other within one key check (500 ms by default), with no restart. The test waits
 * up to 10 s (a noisy machine) and prints how long it took; the design's bound is one check plus one request.
 */
class KeysAcrossReplicasIT {

    private static final String ADMIN = "admin-key-for-replicas-0123456789";

    @Test
    void aKeyMadeOnOneReplicaWorksOnTheOtherAndARevocationReachesItWithoutARestart() throws Exception {
        String database = TestServers.createDatabase("exai_keys");
        Map<String, String> env = Map.of("EXAI_STORE_ADMIN_KEY", ADMIN);
        try (AppProcess a = AppProcess.start("keys-a", database, "alpha:alpha-key-0123", env).awaitReady(Duration.ofSeconds(60));
             // B has no bootstrap keys at all: the admin key alone lets the prod profile start
             AppProcess b = AppProcess.start("keys-b", database, "", env).awaitReady(Duration.ofSeconds(60))) {
            long madeAt = System.nanoTime();
            var made = a.as(ADMIN).body(Map.of("name", "rotation")).post("/admin/tenants/zeta/keys").then().statusCode(201)
                    .extract().jsonPath();
            String key = made.getString("key");
            long known = awaitStatus(b, key, 200);
            b.as(key).put("/sessions/on-b").then().statusCode(201);
            a.as(key).get("/sessions/on-b").then().statusCode(200);

            long revokedAt = System.nanoTime();
            a.as(ADMIN).delete("/admin/tenants/zeta/keys/" + made.getString("id")).then().statusCode(204);
            a.as(key).get("/sessions/on-b").then().statusCode(401);
            long refused = awaitStatus(b, key, 401);
            System.out.printf("made key usable on the other replica after %d ms; revoked key refused there %d ms after the revocation%n",
                    (known - madeAt) / 1_000_000, (refused - revokedAt) / 1_000_000);
            // the admin key is no tenant key on either replica
            b.as(ADMIN).get("/sessions").then().statusCode(403);
            assertThat(a.as("alpha-key-0123").get("/sessions").then().extract().statusCode()).isEqualTo(200);
            assertThat(b.as("alpha-key-0123").get("/sessions").then().extract().statusCode()).isEqualTo(401);
        }
    }

    /** Polls the session list with {@code key} on {@code replica} until it answers {@code status}; answers when (nanoTime). */
    private static long awaitStatus(AppProcess replica, String key, int status) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (replica.as(key).get("/sessions").then().extract().statusCode() == status) {
                return System.nanoTime();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the replica never answered " + status + " within 10 s");
    }
}
