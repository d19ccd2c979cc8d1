package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.newId;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Group commit (session/GroupCommit): concurrent plain appends share commits, and still each session's messages keep
 * their order and gapless seq, a failing append fails alone, and keyed appends beside the batches stay exactly once.
 * Kill -9 during batches is KillDuringAppendsIT's and GracefulShutdownIT's (their appenders run through this stage).
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class GroupCommitTest {

    private static final int APPENDERS = 32;
    private static final int SESSIONS = 8;
    private static final int EACH = 25;

    @Test
    void thirtyTwoAppendersOverEightSessionsKeepOrderAndGaplessSeqWhileSharingCommits() throws Exception {
        String prefix = newId();
        for (int s = 0; s < SESSIONS; s++) {
            alpha().put("/sessions/" + prefix + "-" + s).then().statusCode(201);
        }
        double[] before = batchMetrics();
        List<Callable<Void>> appenders = new ArrayList<>();
        for (int a = 0; a < APPENDERS; a++) {
            int appender = a;
            appenders.add(() -> {
                for (int n = 0; n < EACH; n++) {
                    alpha().body(Map.of("role", "user", "content", "appender " + appender + " message " + n))
                            .post("/sessions/" + prefix + "-" + appender % SESSIONS + "/messages").then().statusCode(201);
                }
                return null;
            });
        }
        runTogether(appenders);

        for (int s = 0; s < SESSIONS; s++) {
            var page = alpha().get("/sessions/" + prefix + "-" + s + "/messages?limit=1000").then().statusCode(200).extract().jsonPath();
            List<Long> seqs = page.getList("items.seq", Long.class);
            List<String> contents = page.getList("items.content", String.class);
            int appendersHere = APPENDERS / SESSIONS;
            assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, (long) appendersHere * EACH).boxed().toList());
            for (int a = s; a < APPENDERS; a += SESSIONS) {
                String mine = "appender " + a + " message ";
                assertThat(contents.stream().filter(c -> c.startsWith(mine)).toList())
                        .containsExactlyElementsOf(LongStream.range(0, EACH).mapToObj(n -> mine + n).toList());
            }
            // what PostgreSQL holds, not only what the cache answers
            assertThat(storedSeqs(prefix + "-" + s)).isEqualTo(seqs);
        }
        double[] after = batchMetrics();
        double appends = after[1] - before[1];
        double commits = after[0] - before[0];
        assertThat(appends).as("appends through group commit").isEqualTo(APPENDERS * EACH);
        assertThat(commits).as("commits for %s appends", appends).isLessThan(appends);
    }

    @Test
    void aFailingAppendFailsAloneAndItsBatchMatesAreCommitted() throws Exception {
        String prefix = newId();
        for (int s = 0; s < SESSIONS; s++) {
            alpha().put("/sessions/" + prefix + "-" + s).then().statusCode(201);
        }
        // a statement that fails inside PostgreSQL, after every check the service makes: a CHECK constraint
        TestServers.execute(StoreTestResource.database(),
                "ALTER TABLE chat_messages ADD CONSTRAINT group_commit_test_poison CHECK (content <> 'poison') NOT VALID");
        try {
            List<Response> answers = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                List<Callable<Response>> requests = new ArrayList<>();
                for (int a = 0; a < APPENDERS; a++) {
                    String content = a == 7 ? "poison" : "round " + round + " appender " + a;
                    String session = prefix + "-" + a % SESSIONS;
                    // the poisoned append answers a 500, which the contract does not list, so it goes without the contract filter
                    RequestSpecification client = a == 7 ? given().header("Authorization", "Bearer " + Api.ALPHA_KEY).contentType(ContentType.JSON) : alpha();
                    requests.add(() -> client.body(Map.of("role", "user", "content", content)).post("/sessions/" + session + "/messages"));
                }
                answers.addAll(runTogether(requests));
            }
            for (int i = 0; i < answers.size(); i++) {
                Response answer = answers.get(i);
                if (i % APPENDERS == 7) {
                    assertThat(answer.statusCode()).isEqualTo(500);
                    assertThat(answer.contentType()).startsWith("application/problem+json");
                } else {
                    assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(201);
                }
            }
        } finally {
            TestServers.execute(StoreTestResource.database(), "ALTER TABLE chat_messages DROP CONSTRAINT group_commit_test_poison");
        }
        long stored = 0;
        for (int s = 0; s < SESSIONS; s++) {
            List<Long> seqs = alpha().get("/sessions/" + prefix + "-" + s + "/messages?limit=1000").then().statusCode(200)
                    .extract().jsonPath().getList("items.seq", Long.class);
            assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
            stored += seqs.size();
        }
        assertThat(stored).isEqualTo(5L * (APPENDERS - 1));
    }

    @Test
    void aKeyedAppendAndItsReplayAmongBatchesAreStoredOnce() throws Exception {
        String prefix = newId();
        for (int s = 0; s < SESSIONS; s++) {
            alpha().put("/sessions/" + prefix + "-" + s).then().statusCode(201);
        }
        List<Callable<Response>> requests = new ArrayList<>();
        for (int a = 0; a < APPENDERS; a++) {
            String session = prefix + "-" + a % SESSIONS;
            if (a < 4) {
                // the same keyed request, sent four times at once among the plain appends to its session
                requests.add(() -> alpha().header("Idempotency-Key", prefix + "-key").body(Map.of("role", "user", "content", "keyed"))
                        .post("/sessions/" + prefix + "-0/messages"));
            } else {
                int appender = a;
                requests.add(() -> alpha().body(Map.of("role", "user", "content", "plain " + appender)).post("/sessions/" + session + "/messages"));
            }
        }
        List<Response> answers = runTogether(requests);
        answers.forEach(answer -> assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(201));
        assertThat(answers.subList(0, 4).stream().map(a -> a.header("Idempotent-Replayed")).filter("true"::equals).count()).isEqualTo(3);
        assertThat(answers.subList(0, 4).stream().map(a -> a.jsonPath().getLong("seq")).distinct().count()).isEqualTo(1);
        List<String> contents = alpha().get("/sessions/" + prefix + "-0/messages?limit=1000").then().statusCode(200)
                .extract().jsonPath().getList("items.content", String.class);
        assertThat(contents.stream().filter("keyed"::equals).count()).isEqualTo(1);
    }

    private static List<Long> storedSeqs(String cid) throws Exception {
        List<Long> seqs = new ArrayList<>();
        try (Connection connection = TestServers.connect(StoreTestResource.database());
                PreparedStatement query = connection.prepareStatement("SELECT m.seq FROM chat_messages m"
                        + " JOIN chat_sessions s ON s.id = m.session_id WHERE s.continuation_id = ? ORDER BY m.seq")) {
            query.setString(1, cid);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    seqs.add(rows.getLong(1));
                }
            }
        }
        return seqs;
    }

    /** Starts every call at the same moment, on its own thread, and answers their results in order. */
    private static <T> List<T> runTogether(List<Callable<T>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdown();
        }
    }

    /** How many batches group commit wrote so far and how many appends they carried, from the Prometheus metrics. */
    private static double[] batchMetrics() {
        String metrics = given().get("/q/metrics").asString();
        double[] countAndSum = new double[2];
        String[] names = {"exai_store_append_batch_count", "exai_store_append_batch_sum"};
        for (int i = 0; i < 2; i++) {
            Matcher value = Pattern.compile("(?m)^" + names[i] + "(?:\\{[^}]*\\})? ([0-9.eE+]+)$").matcher(metrics);
            countAndSum[i] = value.find() ? Double.parseDouble(value.group(1)) : 0;
        }
        return countAndSum;
    }
}
