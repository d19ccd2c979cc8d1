package dev.exai.store.events;

import static dev.exai.store.testing.Api.alpha;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.EventStream;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The change feed against real PostgreSQL and Redis: each type with its fields, in commit order; no event for a
 * refused or replayed write; resume by Last-Event-ID and by ?after= with no gap and no duplicate; a slow writer's event
 * never lands below an id already served; the start id; the retention purge; filters, tenants apart, heartbeats, 401,
 * 400, 410 and 429.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class EventsTest {

    private static final Duration SOON = Duration.ofSeconds(10);

    @Inject
    Pool pool;

    @Inject
    EventNotifier notifier;

    @Test
    void everyChangeIsAnEventWithItsFieldsInCommitOrder() throws Exception {
        String cid = "ev-" + UUID.randomUUID();
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, null)) {
            alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
            alpha().body(List.of(Map.of("role", "user", "content", "secret question"),
                    Map.of("role", "assistant", "content", "secret answer", "model", "kimi-k2", "provider", "kimi")))
                    .post("/sessions/" + cid + "/messages").then().statusCode(201);
            alpha().contentType("application/merge-patch+json").body(Map.of("title", "renamed")).patch("/sessions/" + cid)
                    .then().statusCode(200);
            alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of("k", "v")))
                    .patch("/sessions/" + cid + "/messages/1").then().statusCode(200);
            alpha().delete("/sessions/" + cid + "/messages/2").then().statusCode(204);
            alpha().delete("/sessions/" + cid).then().statusCode(204);
            List<EventStream.Event> events = stream.next(7, SOON);
            assertThat(events).extracting(EventStream.Event::type).containsExactly("session.created", "message.appended",
                    "message.appended", "session.updated", "message.updated", "message.redacted", "session.deleted");
            assertThat(events).extracting(EventStream.Event::id).isSorted().doesNotHaveDuplicates();
            for (EventStream.Event event : events) {
                assertThat(event.data().path("type").asText()).isEqualTo(event.type());
                assertThat(event.data().path("at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
                assertThat(event.data().path("continuation_id").asText()).isEqualTo(cid);
            }
            EventStream.Event second = events.get(2);
            assertThat(second.data().path("seq").asInt()).isEqualTo(2);
            assertThat(second.data().path("role").asText()).isEqualTo("assistant");
            assertThat(second.data().path("model").asText()).isEqualTo("kimi-k2");
            assertThat(second.data().path("provider").asText()).isEqualTo("kimi");
            assertThat(second.data().path("token_count").asInt()).isPositive();
            assertThat(second.data().toString()).doesNotContain("secret");
            assertThat(events.get(4).data().path("seq").asInt()).isEqualTo(1);
            assertThat(events.get(5).data().path("seq").asInt()).isEqualTo(2);
        }
    }

    @Test
    void filesMakeEventsToo() throws Exception {
        String cid = "evf-" + UUID.randomUUID();
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?types=file.created,file.deleted", null)) {
            String id = io.restassured.RestAssured.given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                    .contentType("application/octet-stream").queryParam("filename", "a.txt").queryParam("session_id", cid)
                    .body("file bytes".getBytes(StandardCharsets.UTF_8)).post("/files").then().statusCode(201).extract().path("id");
            io.restassured.RestAssured.given().header("Authorization", "Bearer " + Api.ALPHA_KEY).delete("/files/" + id).then().statusCode(204);
            List<EventStream.Event> events = stream.next(2, SOON);
            assertThat(events).extracting(EventStream.Event::type).containsExactly("file.created", "file.deleted");
            assertThat(events).allSatisfy(e -> {
                assertThat(e.data().path("file_id").asText()).isEqualTo(id);
                assertThat(e.data().path("session_id").asText()).isEqualTo(cid);
            });
        }
    }

    @Test
    void refusedAndReplayedWritesMakeNoEvent() throws Exception {
        String cid = "evr-" + UUID.randomUUID();
        alpha().body(Map.of("max_messages", 1)).put("/sessions/" + cid).then().statusCode(201);
        long created;
        try (EventStream first = EventStream.open(Api.ALPHA_KEY, "?after=0&continuation_id=" + cid, null)) {
            created = first.next(1, SOON).get(0).id();
        }
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, String.valueOf(created))) {
            String key = UUID.randomUUID().toString();
            for (int i = 0; i < 2; i++) { // the second is a replay: the same answer, no second event
                alpha().header("Idempotency-Key", key).body(Map.of("role", "user", "content", "once"))
                        .post("/sessions/" + cid + "/messages").then().statusCode(201);
            }
            alpha().body(Map.of("role", "user", "content", "over the cap")).post("/sessions/" + cid + "/messages").then().statusCode(409);
            alpha().body(Map.of("role", "user", "content", "bad file", "files", List.of(UUID.randomUUID().toString())))
                    .post("/sessions/" + cid + "/messages").then().statusCode(400);
            alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(200); // get-or-create of an existing one
            assertThat(stream.next(1, SOON)).extracting(EventStream.Event::type).containsExactly("message.appended");
            assertThat(stream.drain(Duration.ofSeconds(2))).isEmpty();
        }
    }

    @Test
    void aResumeGetsExactlyTheEventsAfterItsIdByHeaderOrQuery() throws Exception {
        String cid = "evm-" + UUID.randomUUID();
        long before;
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, null)) {
            alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
            before = stream.next(1, SOON).get(0).id();
        }
        for (int i = 0; i < 5; i++) {
            alpha().body(Map.of("role", "user", "content", "m" + i)).post("/sessions/" + cid + "/messages").then().statusCode(201);
        }
        List<EventStream.Event> all;
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?after=" + before + "&continuation_id=" + cid, null)) {
            all = stream.next(5, SOON);
            assertThat(all).extracting(e -> e.data().path("seq").asInt()).containsExactly(1, 2, 3, 4, 5);
            // live after the backlog: the seam has no gap and no duplicate
            alpha().body(Map.of("role", "user", "content", "m5")).post("/sessions/" + cid + "/messages").then().statusCode(201);
            assertThat(stream.next(1, SOON).get(0).data().path("seq").asInt()).isEqualTo(6);
        }
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, String.valueOf(all.get(2).id()))) {
            assertThat(stream.next(3, SOON)).extracting(e -> e.data().path("seq").asInt()).containsExactly(4, 5, 6);
            assertThat(stream.drain(Duration.ofMillis(500))).isEmpty();
        }
    }

    @Test
    void aStreamSaysWhereItStartsSoThatAResumeFromThereMissesNothing() throws Exception {
        String cid = "evw-" + UUID.randomUUID();
        long start;
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, null)) {
            long deadline = System.nanoTime() + SOON.toNanos();
            while (stream.lastId() < 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            start = stream.lastId();
        }
        assertThat(start).isPositive();
        // written while no stream is open: a reconnect from the start id (as an EventSource does) gets them
        alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "while away")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, Long.toString(start))) {
            assertThat(stream.next(2, SOON)).extracting(EventStream.Event::type).containsExactly("session.created", "message.appended");
            assertThat(stream.drain(Duration.ofMillis(300))).isEmpty();
        }
    }

    @Test
    void theRetentionPurgeDeletesWholeTransactionsAndAResumeBelowThemIsGone() throws Exception {
        String cid = "evp-" + UUID.randomUUID();
        long id;
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, null)) {
            alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
            id = stream.next(1, SOON).get(0).id();
        }
        pool.query("UPDATE events SET at = now() - interval '8 days'").execute().await().indefinitely(); // all past 7 days
        try {
            notifier.purge().await().indefinitely();
            assertThat(pool.query("SELECT count(*) FROM events WHERE at < now() - interval '7 days'").execute().await().indefinitely()
                    .iterator().next().getLong(0)).isZero();
            long purged = pool.query("SELECT purged_id FROM event_stamp").execute().await().indefinitely().iterator().next().getLong(0);
            assertThat(purged).isGreaterThanOrEqualTo(id);
            HttpResponse<java.io.InputStream> gone = EventStream.request(Api.ALPHA_KEY, "?after=" + (id - 1), null);
            assertThat(gone.statusCode()).isEqualTo(410);
            assertThat(new String(gone.body().readAllBytes(), StandardCharsets.UTF_8)).contains("after id " + purged);
            try (EventStream fromThere = EventStream.open(Api.ALPHA_KEY, "?continuation_id=" + cid, Long.toString(purged))) {
                alpha().contentType("application/merge-patch+json").body(Map.of("title", "after the purge")).patch("/sessions/" + cid)
                        .then().statusCode(200);
                assertThat(fromThere.next(1, SOON)).extracting(EventStream.Event::type).containsExactly("session.updated");
            }
        } finally {
            // the other tests read ?after=0 within their own sessions, created after this purge
            pool.query("UPDATE event_stamp SET purged_id = 0 WHERE one = 1").execute().await().indefinitely();
        }
    }

    @Test
    void aSlowTransactionsEventNeverLandsBelowAnIdAlreadyServed() throws Exception {
        String cid = "evs-" + UUID.randomUUID();
        alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
        try (EventStream stream = EventStream.open(Api.ALPHA_KEY, "?types=message.appended,session.updated&continuation_id=" + cid, null)) {
            // a writer whose event row goes in first and commits last: a sequence would have given it the lowest id
            SqlConnection slow = pool.getConnection().await().indefinitely();
            slow.query("BEGIN").execute().await().indefinitely();
            slow.preparedQuery("INSERT INTO events (tenant, type, continuation_id, data) VALUES ('alpha', 'session.updated', $1, $2::text::jsonb)")
                    .execute(Tuple.of(cid, "{\"continuation_id\":\"" + cid + "\"}")).await().indefinitely();
            ExecutorService writers = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                done.add(writers.submit(() -> alpha().body(Map.of("role", "user", "content", "w" + n))
                        .post("/sessions/" + cid + "/messages").then().statusCode(201)));
            }
            for (Future<?> f : done) {
                f.get();
            }
            writers.shutdown();
            List<EventStream.Event> early = stream.drain(Duration.ofSeconds(1));
            slow.query("COMMIT").execute().await().indefinitely();
            slow.close().await().indefinitely();
            List<EventStream.Event> all = new ArrayList<>(early);
            all.addAll(stream.next(41 - early.size(), SOON));
            assertThat(all).extracting(EventStream.Event::id).isSorted().doesNotHaveDuplicates();
            assertThat(all).extracting(EventStream.Event::type).containsOnlyOnce("session.updated");
            // every append once; concurrent appends come in the order of their transactions, which is not always seq order
            assertThat(all.stream().filter(e -> e.type().equals("message.appended")).map(e -> e.data().path("seq").asInt()).toList())
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, 40).boxed().toList());
            // read again from the start: the same events, in the same order
            try (EventStream again = EventStream.open(Api.ALPHA_KEY, "?after=0&types=message.appended,session.updated&continuation_id=" + cid, null)) {
                assertThat(again.next(41, SOON)).extracting(EventStream.Event::id).containsExactlyElementsOf(all.stream().map(EventStream.Event::id).toList());
            }
        }
    }

    @Test
    void tenantsAreApartAndIdleStreamsBeat() throws Exception {
        String cid = "evt-" + UUID.randomUUID();
        try (EventStream beta = EventStream.open(Api.BETA_KEY, "", null)) {
            alpha().body(Map.of()).put("/sessions/" + cid).then().statusCode(201);
            assertThat(beta.drain(Duration.ofSeconds(1))).noneMatch(e -> e.data().path("continuation_id").asText().equals(cid));
            assertThat(beta.commentWithin(Duration.ofSeconds(5))).isTrue(); // the test profile beats every second
        }
    }

    @Test
    void badRequestsAreRefused() throws Exception {
        assertThat(EventStream.request(null, "", null).statusCode()).isEqualTo(401);
        assertThat(EventStream.request(Api.ALPHA_KEY, "?after=-1", null).statusCode()).isEqualTo(400);
        assertThat(EventStream.request(Api.ALPHA_KEY, "", "x").statusCode()).isEqualTo(400);
        HttpResponse<java.io.InputStream> unknown = EventStream.request(Api.ALPHA_KEY, "?types=session.exploded", null);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        // past the retention: 410 saying from where the feed can be read
        pool.query("UPDATE event_stamp SET purged_id = 5 WHERE one = 1").execute().await().indefinitely();
        try {
            HttpResponse<java.io.InputStream> gone = EventStream.request(Api.ALPHA_KEY, "?after=2", null);
            assertThat(gone.statusCode()).isEqualTo(410);
            assertThat(new String(gone.body().readAllBytes(), StandardCharsets.UTF_8)).contains("after id 5");
        } finally {
            pool.query("UPDATE event_stamp SET purged_id = 0 WHERE one = 1").execute().await().indefinitely();
        }
    }

    @Test
    void aTenantHasABoundedNumberOfStreams() throws Exception {
        List<EventStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < 32; i++) {
                open.add(EventStream.open(Api.BETA_KEY, "", null));
            }
            HttpResponse<java.io.InputStream> refused = EventStream.request(Api.BETA_KEY, "", null);
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(EventStream.request(Api.ALPHA_KEY, "?after=0&types=file.expired", null).statusCode()).isEqualTo(200);
        } finally {
            for (EventStream stream : open) {
                stream.close();
            }
        }
    }
}
