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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the service in the middle of 20 streamed answers. Each writer sends its answer in batches of 8 pieces
 * and, after the kill, resends every batch that was not answered with the same indexes and text, then completes.
 * Before completion, every piece acknowledged before the kill is in PostgreSQL; afterwards every answer is complete,
 * its text is exactly its pieces in order (no piece lost, none twice), and its seq is the order the answers began.
 */
class KillDuringStreamsIT {

    private static final String KEY = "kill-streams-key";
    private static final int ANSWERS = 20;
    private static final int PIECES = 400;
    private static final int BATCH = 8;

    private volatile String url;

    @Test
    void noAcknowledgedPieceIsLostAndEveryAnswerResumesToCompletion() throws Exception {
        String database = TestServers.createDatabase("exai_kill_streams");
        AppProcess first = AppProcess.start("kill-streams-1", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        url = first.url();
        first.as(KEY).put("/sessions/streams").then().statusCode(201);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        long[] seqs = new long[ANSWERS];
        for (int a = 0; a < ANSWERS; a++) {
            String opened = send(http, "/sessions/streams/messages", "{\"role\":\"assistant\",\"status\":\"streaming\",\"model\":\"m" + a + "\"}", 201);
            seqs[a] = Long.parseLong(opened.replaceAll(".*\"seq\":(\\d+).*", "$1"));
        }
        Map<String, Boolean> acknowledged = new ConcurrentHashMap<>(); // "answer:index" of pieces a 200 covered
        AtomicInteger batchesAcknowledged = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(ANSWERS);
        List<Future<?>> writers = new ArrayList<>();
        for (int a = 0; a < ANSWERS; a++) {
            int answer = a;
            writers.add(pool.submit(() -> {
                for (int from = 0; from < PIECES; from += BATCH) {
                    StringBuilder body = new StringBuilder("[");
                    for (int i = from; i < from + BATCH; i++) {
                        body.append(i == from ? "" : ",").append("{\"index\":").append(i).append(",\"content\":\"").append(piece(answer, i)).append("\"}");
                    }
                    retried(http, "/sessions/streams/messages/" + seqs[answer] + "/chunks", body.append("]").toString());
                    for (int i = from; i < from + BATCH; i++) {
                        acknowledged.put(answer + ":" + i, true);
                    }
                    batchesAcknowledged.incrementAndGet();
                }
                retried(http, "/sessions/streams/messages/" + seqs[answer] + "/complete", "{\"chunks\":" + PIECES + "}");
                return null;
            }));
        }
        while (batchesAcknowledged.get() < ANSWERS * PIECES / BATCH / 3) {
            Thread.sleep(5);
        }
        first.kill(); // SIGKILL in the middle of every answer
        Map<String, Boolean> atKill = Map.copyOf(acknowledged);
        assertThat(atKill.size()).as("the kill came in the middle of the answers").isLessThan(ANSWERS * PIECES - 1000);
        // every piece acknowledged before the kill is stored, with its text
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT m.seq, k.idx, k.content FROM message_chunks k"
                     + " JOIN chat_messages m ON m.id = k.message_id")) {
            Map<String, String> stored = new java.util.HashMap<>();
            while (rs.next()) {
                int answer = indexOf(seqs, rs.getLong(1));
                stored.put(answer + ":" + rs.getInt(2), rs.getString(3));
            }
            for (String key : atKill.keySet()) {
                String[] parts = key.split(":");
                assertThat(stored.get(key)).as("acknowledged piece " + key).isEqualTo(piece(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
            }
        }
        AppProcess second = AppProcess.start("kill-streams-2", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        url = second.url();
        try {
            for (Future<?> writer : writers) {
                writer.get();
            }
        } finally {
            pool.shutdown();
            second.close();
            first.close();
        }
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT m.seq, m.status, m.content, m.chunks_received, m.model,"
                     + " (SELECT count(*) FROM message_chunks k WHERE k.message_id = m.id) AS left_over FROM chat_messages m"
                     + " JOIN chat_sessions s ON s.id = m.session_id WHERE s.continuation_id = 'streams' ORDER BY m.seq")) {
            int n = 0;
            while (rs.next()) {
                int answer = indexOf(seqs, rs.getLong(1));
                assertThat(rs.getString(5)).isEqualTo("m" + answer);
                assertThat(answer).as("seq is the order the answers began").isEqualTo(n);
                assertThat(rs.getString(2)).isEqualTo("complete");
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < PIECES; i++) {
                    expected.append(piece(answer, i));
                }
                assertThat(rs.getString(3)).isEqualTo(expected.toString());
                assertThat(rs.getInt(4)).isEqualTo(PIECES);
                assertThat(rs.getInt(6)).as("pieces are dropped once the text is written").isZero();
                n++;
            }
            assertThat(n).isEqualTo(ANSWERS);
        }
    }

    private static String piece(int answer, int index) {
        return "a" + answer + "p" + index + " ";
    }

    private static int indexOf(long[] seqs, long seq) {
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] == seq) {
                return i;
            }
        }
        throw new AssertionError("no answer has seq " + seq);
    }

    /** Sends until answered 200 (through the kill and the restart), always the same body. */
    private void retried(HttpClient http, String path, String body) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            } catch (java.io.IOException down) {
                // the service is down or restarting: send the same pieces again
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no answer for " + path + " within 120 s");
    }

    private String send(HttpClient http, String path, String body, int status) throws Exception {
        HttpResponse<String> response = http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response.body();
    }

    private HttpRequest request(String path, String body) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
