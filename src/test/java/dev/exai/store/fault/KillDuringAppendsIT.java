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
 * kill -9 of the service while clients append. Keyed: 8 clients retry each message with the same Idempotency-Key
 * until it is answered (through the restart): afterwards every acknowledged message is stored exactly once, with the
 * seq it was acknowledged with, and seq has no gaps. Plain, through group commit: 32 clients over 8 sessions append
 * without keys until the kill: every acknowledged message is stored with its seq, and each session's seq is gapless.
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

    @Test
    void groupCommittedAppendsAcknowledgedBeforeAKillAreAllStored() throws Exception {
        String database = TestServers.createDatabase("exai_kill_batches");
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        AppProcess app = AppProcess.start("kill-batches", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        int sessions = 8;
        int clientCount = 32;
        for (int s = 0; s < sessions; s++) {
            app.as(KEY).put("/sessions/batched-" + s).then().statusCode(201);
        }
        ExecutorService pool = Executors.newFixedThreadPool(clientCount);
        List<Future<?>> clients = new ArrayList<>();
        try {
            for (int c = 0; c < clientCount; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    for (int i = 0; ; i++) {
                        String content = "client " + client + " message " + i;
                        HttpResponse<String> response;
                        try {
                            response = http.send(HttpRequest.newBuilder(URI.create(app.url() + "/sessions/batched-" + client % sessions + "/messages"))
                                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\",\"content\":\"" + content + "\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                        } catch (Exception killed) {
                            return null; // without a key a retry could store it twice: this client stops at the kill
                        }
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
                        acknowledged.put(content, Long.parseLong(response.body().replaceAll(".*\"seq\":(\\d+).*", "$1")));
                    }
                }));
            }
            while (acknowledged.size() < 1500) {
                Thread.sleep(10);
            }
            String metrics = app.as(KEY).get("/q/metrics").asString();
            app.kill();
            for (Future<?> client : clients) {
                client.get();
            }
            double batches = metric(metrics, "exai_store_append_batch_count");
            double appends = metric(metrics, "exai_store_append_batch_sum");
            assertThat(batches).as("commits for %s appends before the kill", appends).isLessThan(appends);
        } finally {
            pool.shutdown();
            app.close();
        }
        Map<String, Long> stored = new java.util.HashMap<>();
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT s.continuation_id, m.content, m.seq FROM chat_messages m"
                     + " JOIN chat_sessions s ON s.id = m.session_id ORDER BY s.continuation_id, m.seq")) {
            Map<String, Long> lastSeq = new java.util.HashMap<>();
            while (rs.next()) {
                assertThat(rs.getLong(3)).as("gapless seq in " + rs.getString(1)).isEqualTo(lastSeq.getOrDefault(rs.getString(1), 0L) + 1);
                lastSeq.put(rs.getString(1), rs.getLong(3));
                stored.put(rs.getString(2), rs.getLong(3));
            }
        }
        assertThat(stored).containsAllEntriesOf(acknowledged);
    }

    private static double metric(String metrics, String name) {
        java.util.regex.Matcher value = java.util.regex.Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+]+)$").matcher(metrics);
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }
}
