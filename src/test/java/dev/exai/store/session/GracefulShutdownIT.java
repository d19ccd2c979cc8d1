package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM during 8 concurrent appenders: every request the service took is answered (a 201, or a 503 once it is
 * stopping) and every 201 is in PostgreSQL. A client can still see its connection close without an answer when
 * the request reached a server that was already closing its sockets; such a request must never have been stored
 * (the service did not take it), which is what the test checks for every unanswered request.
 */
class GracefulShutdownIT {

    private static final String KEY = "shutdown-test-key";

    @Test
    void inFlightAppendsAreAnsweredAndEveryAcknowledgedOneIsStored() throws Exception {
        String database = TestServers.createDatabase("exai_shutdown");
        ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> cutOff = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrongStatus = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        try (AppProcess app = AppProcess.start("shutdown", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60))) {
            app.as(KEY).put("/sessions/graceful").then().statusCode(201);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            for (int c = 0; c < 8; c++) {
                int client = c;
                pool.submit(() -> {
                    for (int i = 0; running.get(); i++) {
                        String content = "client " + client + " message " + i;
                        try {
                            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(app.url() + "/sessions/graceful/messages"))
                                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(30))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\",\"content\":\"" + content + "\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (response.statusCode() == 201) {
                                acknowledged.add(content);
                            } else if (response.statusCode() != 503) {
                                wrongStatus.add(content + " answered " + response.statusCode());
                            }
                        } catch (ConnectException notStarted) {
                            return; // the listener is closed: this request never reached the service
                        } catch (Exception e) {
                            cutOff.add(content); // no answer: checked below that the service never took it
                            return;
                        }
                    }
                });
            }
            Thread.sleep(1500);
            app.stop(); // SIGTERM, waits for the process to end
            running.set(false);
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(wrongStatus).isEmpty();
        assertThat(acknowledged).isNotEmpty();
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT content FROM chat_messages")) {
            List<String> stored = new java.util.ArrayList<>();
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
            assertThat(stored).containsAll(acknowledged);
            assertThat(stored).as("requests the service took but did not answer").doesNotContainAnyElementsOf(cutOff);
        }
    }
}
