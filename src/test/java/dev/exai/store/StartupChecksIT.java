package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The packaged service (prod profile) refuses to start without keys unless auth is turned off explicitly. */
class StartupChecksIT {

    @Test
    void refusesToStartWithoutKeys() throws Exception {
        String database = TestServers.createDatabase("exai_startup");
        try (AppProcess app = AppProcess.start("no-keys", database, "", Map.of())) {
            assertThatThrownBy(() -> app.awaitReady(Duration.ofSeconds(60))).hasMessageContaining("exited");
        }
        assertThat(Files.readString(Path.of("target", "it-logs", "no-keys.log"))).contains("EXAI_STORE_API_KEYS is empty");
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
