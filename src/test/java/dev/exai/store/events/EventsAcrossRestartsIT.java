package dev.exai.store.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.EventStream;
import dev.exai.store.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The feed's resume across processes: two replicas on one database take appends (each retried with its
 * Idempotency-Key on the other replica when one fails), a reader follows replica A, A is killed with kill -9 in the
 * middle, the reader resumes on replica B with Last-Event-ID, then on a restarted A with ?after=. Across the three
 * streams every stored message has exactly one {@code message.appended}, in seq order, ids strictly increasing.
 */
class EventsAcrossRestartsIT {

    private static final String KEY = "events-restart-key";
    private static final int MESSAGES = 300;
    private static final Duration SOON = Duration.ofSeconds(30);

    @Test
    void aReaderResumesAcrossKillNineAndAnotherReplicaWithNoGapAndNoDuplicate() throws Exception {
        String database = TestServers.createDatabase("exai_events_restart");
        AppProcess a = AppProcess.start("events-a", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        AppProcess b = AppProcess.start("events-b", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
        String query = "?types=message.appended&continuation_id=restarted";
        List<EventStream.Event> seen = new ArrayList<>();
        AtomicReference<String> first = new AtomicReference<>(a.url());
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (EventStream onA = EventStream.open(a.url(), KEY, query, null)) {
            b.as(KEY).put("/sessions/restarted").then().statusCode(201);
            Future<?> writing = writer.submit(() -> appendAll(first, b.url()));
            seen.addAll(onA.next(60, SOON));
            a.kill(); // mid-stream and mid-write: appends in flight on A are retried on B with their keys
            first.set(b.url());
            seen.addAll(onA.drain(Duration.ofMillis(500))); // whatever A sent before it died
            long resumeAt = seen.get(seen.size() - 1).id();
            try (EventStream onB = EventStream.open(b.url(), KEY, query, Long.toString(resumeAt))) {
                seen.addAll(onB.next(100, SOON));
            }
            AppProcess again = AppProcess.start("events-a-again", database, "alpha:" + KEY, Map.of()).awaitReady(Duration.ofSeconds(60));
            try (again; EventStream onAgain = EventStream.open(again.url(), KEY, query + "&after=" + seen.get(seen.size() - 1).id(), null)) {
                writing.get();
                seen.addAll(onAgain.next(MESSAGES - seen.size(), SOON));
                assertThat(onAgain.drain(Duration.ofSeconds(1))).isEmpty(); // and nothing more
            }
        } finally {
            writer.shutdownNow();
            a.close();
            b.close();
        }
        assertThat(seen).extracting(e -> e.data().path("seq").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, MESSAGES).boxed().toList());
        assertThat(seen).extracting(EventStream.Event::id).isSorted().doesNotHaveDuplicates();
    }

    /** Appends MESSAGES messages one by one, each retried with its key until acknowledged, on A until it fails, then B. */
    private static Void appendAll(AtomicReference<String> first, String other) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 0; i < MESSAGES; i++) {
            String url = i % 2 == 0 ? first.get() : other;
            while (true) {
                try {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url + "/sessions/restarted/messages"))
                            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                            .header("Idempotency-Key", "restart-" + i).timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\",\"content\":\"m" + i + "\"}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 201) {
                        break;
                    }
                } catch (java.io.IOException e) {
                    // the replica died: the same key on the other one
                }
                url = other;
                Thread.sleep(20);
            }
            Thread.sleep(5);
        }
        return null;
    }
}
