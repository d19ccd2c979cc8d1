package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL that refuses writes, as a standby or a server with {@code default_transaction_read_only} does: an
 * append answers 503 saying the database is read-only (not a 500), readiness is DOWN with that reason, reads keep
 * working, and once the database takes writes again appends succeed without a restart.
 */
class ReadOnlyDatabaseIT {

    private static final String KEY = "read-only-test-key";

    @Test
    void aReadOnlyDatabaseAnswers503SayingWhyAndReadinessTellsIt() throws Exception {
        String database = TestServers.createDatabase("exai_read_only");
        try (AppProcess app = AppProcess.start("read-only", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            append(app, "before").then().statusCode(201);

            readOnly(database, true);
            Response refused = awaitAppend(app, 503, "read-only");
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.jsonPath().getString("detail")).contains("refuses writes");
            Response readiness = app.as(KEY).get("/q/health/ready");
            assertThat(readiness.statusCode()).isEqualTo(503);
            assertThat(readiness.asString()).contains("read-only");
            assertThat(app.as(KEY).get("/sessions/read-only/messages").then().statusCode(200).extract().jsonPath()
                    .getList("items.content")).containsExactly("before");

            readOnly(database, false);
            awaitAppend(app, 201, "");
            app.awaitReady(Duration.ofSeconds(40));
        }
    }

    private static Response append(AppProcess app, String content) {
        return app.as(KEY).contentType("application/json").body("{\"role\":\"user\",\"content\":\"" + content + "\"}")
                .post("/sessions/read-only/messages?create=true");
    }

    /** Appends until one gets the status (the pool's old connections go first, answering 503 unavailable). */
    private static Response awaitAppend(AppProcess app, int status, String detail) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response last;
        do {
            last = append(app, "during");
            if (last.statusCode() == status && last.asString().contains(detail)) {
                return last;
            }
            assertThat(last.statusCode()).as(last.asString()).isIn(201, 503);
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no append answered " + status + " with '" + detail + "'; the last: " + last.asString());
    }

    /** Sets the database's default and ends its sessions, so the service's pool reconnects under the new setting. */
    private static void readOnly(String database, boolean on) {
        TestServers.execute("postgres", "ALTER DATABASE " + database + " SET default_transaction_read_only = " + on,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "' AND pid <> pg_backend_pid()");
    }
}
