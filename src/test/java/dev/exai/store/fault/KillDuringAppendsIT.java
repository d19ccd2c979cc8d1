package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the service while 8 clients append, each retrying its message with the same Idempotency-Key until
 * it is answered (through the restart): afterwards every acknowledged message is stored exactly once, with the seq
 * it was acknowledged with, and seq has no gaps.
 */
class KillDuringAppendsIT {

    private static final String KEY = "kill-test-key";
    private static final int CLIENTS = 8;
    private static final int PER_CLIENT = 250;

    private volatile String url;

    @Test
    void nothingAcknowledgedIsLostOrDuplicated() throws Exception {
        String database = TestServers.createDatabase("exai_kill");
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        AppProcess first = AppProcess.start("kill-1", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        url = first.url();
        first.as(KEY).put("/sessions/killed").then().statusCode(201);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            clients.add(pool.submit(() -> {
                for (int i = 0; i < PER_CLIENT; i++) {
                    String content = "client " + client + " message " + i;
                    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                    while (System.nanoTime() < deadline) {
                        try {
                            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + "/sessions/killed/messages"))
                                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                                    .header("Idempotency-Key", content.replace(' ', '-')).timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\",\"content\":\"" + content + "\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (response.statusCode() == 201) {
                                acknowledged.put(content, Long.parseLong(response.body().replaceAll(".*\"seq\":(\\d+).*", "$1")));
                                break;
                            }
                        } catch (Exception retry) {
                            // the service is down or restarting: retry with the same key
                        }
                        Thread.sleep(100);
                    }
                }
                return null;
            }));
        }
        while (acknowledged.size() < 200) {
            Thread.sleep(10);
        }
        first.kill(); // SIGKILL: no shutdown hook, no graceful anything
        int atKill = acknowledged.size();
        AppProcess second = AppProcess.start("kill-2", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        url = second.url();
        try {
            for (Future<?> client : clients) {
                client.get();
            }
        } finally {
            pool.shutdown();
            second.close();
            first.close();
        }
        assertThat(atKill).as("the kill came in the middle of the run").isLessThan(CLIENTS * PER_CLIENT - 100);
        assertThat(acknowledged).hasSize(CLIENTS * PER_CLIENT);
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT m.content, m.seq FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id "
                     + "WHERE s.continuation_id = 'killed' ORDER BY m.seq")) {
            List<Long> seqs = new ArrayList<>();
            Map<String, Long> stored = new java.util.HashMap<>();
            while (rs.next()) {
                assertThat(stored.put(rs.getString(1), rs.getLong(2))).as("stored twice: " + rs.getString(1)).isNull();
                seqs.add(rs.getLong(2));
            }
            assertThat(stored).isEqualTo(acknowledged);
            assertThat(seqs).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, CLIENTS * PER_CLIENT).boxed().toList());
        }
    }
}
