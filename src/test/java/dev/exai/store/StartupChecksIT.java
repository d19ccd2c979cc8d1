package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TcpProxy;
import dev.exai.store.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Start-up of the packaged service (prod profile): it refuses to start without keys unless auth is turned off
 * explicitly, or with an encryption key that is not 32 bytes, and it waits for a database that is not reachable yet
 * instead of exiting.
 */
class StartupChecksIT {

    @Test
    void refusesToStartWithoutKeys() throws Exception {
        String database = TestServers.createDatabase("exai_startup");
        try (AppProcess app = AppProcess.start("no-keys", database, "", Map.of())) {
            assertThatThrownBy(() -> app.awaitReady(Duration.ofSeconds(60))).hasMessageContaining("exited");
        }
        assertThat(Files.readString(Path.of("target", "it-logs", "no-keys.log"))).contains("none of EXAI_STORE_API_KEYS, EXAI_STORE_ADMIN_KEY or a JWT key is set");
    }

    @Test
    void refusesToStartWithAnEncryptionKeyThatIsNotOne() throws Exception {
        String database = TestServers.createDatabase("exai_startup");
        try (AppProcess app = AppProcess.start("bad-encryption-key", database, "alpha:bad-encryption-key",
                Map.of("EXAI_STORE_ENCRYPTION_KEY", "c2hvcnQ="))) {
            assertThatThrownBy(() -> app.awaitReady(Duration.ofSeconds(60))).hasMessageContaining("exited");
        }
        assertThat(Files.readString(Path.of("target", "it-logs", "bad-encryption-key.log")))
                .contains("EXAI_STORE_ENCRYPTION_KEY must be 32 bytes in base64 (it is 5; openssl rand -base64 32)");
    }

    @Test
    void waitsForADatabaseThatIsNotReachableYet() throws Exception {
        String database = TestServers.createDatabase("exai_startup");
        try (TcpProxy postgres = new TcpProxy(TestServers.postgres())) {
            postgres.cut();
            Map<String, String> env = Map.of("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + postgres.address() + "/" + database);
            try (AppProcess app = AppProcess.start("late-database", database, "alpha:late-database-key", env)) {
                Thread.sleep(4000);
                assertThat(app.alive()).as("still waiting for PostgreSQL, not exited").isTrue();
                postgres.restore();
                app.awaitReady(Duration.ofSeconds(60));
                app.as("late-database-key").put("/sessions/late").then().statusCode(201);
            }
        }
    }

    @Test
    void startsWithoutKeysWhenAuthIsTurnedOff() {
        String database = TestServers.createDatabase("exai_startup");
        try (AppProcess app = AppProcess.start("auth-off", database, "", Map.of("EXAI_STORE_AUTH_ENABLED", "false"))) {
            app.awaitReady(Duration.ofSeconds(60));
            io.restassured.RestAssured.given().baseUri(app.url()).put("/sessions/open-door").then().statusCode(201);
        }
    }
}
