package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.AutoFailover;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The database fails over while appenders run: pg_auto_failover's monitor promotes the synchronous standby after the
 * primary is killed with SIGKILL, and the service, given both servers in one multi-host URL, follows it on its own
 * (common/PostgresPool). Every append acknowledged before, during and after is on the new primary, in order with gapless
 * seq, and in every history the service reads. Before the kill and after appends resume every answer is a 201;
 * during the failover an append answers 201 or 503, nothing else.
 */
class FailoverIT {

    private static final String KEY = "failover-test-key";
    private static final int APPENDERS = 4;

    /**
     * Before the kill and once appends have resumed every answer is a 201; a request sent or answered while failing over
     * may get a 503.
     */
    private enum Phase { BEFORE, FAILING_OVER, AFTER }

    @Test
    void appendsFollowThePromotedStandbyAndNothingAcknowledgedIsLost() throws Exception {
        assumeTrue(AutoFailover.available(), "needs root and Debian's postgresql-15-auto-failover (pg_autoctl)");
        try (AutoFailover formation = AutoFailover.start(Duration.ofMinutes(3))) {
            String servers = "127.0.0.1:" + formation.port(1) + ",127.0.0.1:" + formation.port(2);
            Map<String, String> env = Map.of(
                    "QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://127.0.0.1:" + formation.port(1) + "/" + AutoFailover.DATABASE
                            + ",postgresql://127.0.0.1:" + formation.port(2) + "/" + AutoFailover.DATABASE,
                    "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + servers + "/" + AutoFailover.DATABASE + "?targetServerType=primary",
                    "EXAI_STORE_DB_TIMEOUT", "3s");
            try (AppProcess app = AppProcess.start("failover", AutoFailover.DATABASE, "alpha:" + KEY, env).awaitReady(Duration.ofSeconds(90))) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Phase> phase = new AtomicReference<>(Phase.BEFORE);
                AtomicInteger reads = new AtomicInteger();
                List<List<String>> acknowledged = new ArrayList<>();
                AtomicInteger[] afterPromotion = new AtomicInteger[APPENDERS];
                Map<Integer, Integer> refusals = new ConcurrentHashMap<>();
                ExecutorService pool = Executors.newFixedThreadPool(APPENDERS);
                List<Future<?>> appenders = new ArrayList<>();
                for (int i = 0; i < APPENDERS; i++) {
                    List<String> mine = new CopyOnWriteArrayList<>();
                    acknowledged.add(mine);
                    AtomicInteger resumed = afterPromotion[i] = new AtomicInteger();
                    int appender = i;
                    appenders.add(pool.submit(() -> {
                        for (int n = 0; !stop.get(); n++) {
                            String content = "appender " + appender + " message " + n;
                            Phase sent = phase.get();
                            Response answer = app.as(KEY).body("{\"role\":\"user\",\"content\":\"" + content + "\"}")
                                    .post("/sessions/failover-" + appender + "/messages?create=true");
                            Phase answered = phase.get();
                            if (answer.statusCode() == 201) {
                                mine.add(content);
                                if (sent != Phase.BEFORE) {
                                    resumed.incrementAndGet();
                                }
                            } else {
                                assertThat(List.of(sent, answered)).as("sent %s, answered %s: %s", sent, answered, answer.asString())
                                        .doesNotContain(Phase.AFTER).contains(Phase.FAILING_OVER);
                                assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(503);
                                assertThat(answer.contentType()).startsWith("application/problem+json");
                                refusals.merge(appender, 1, Integer::sum);
                            }
                            if (n % 5 == 0) {
                                List<String> before = List.copyOf(mine);
                                Response history = app.as(KEY).get("/sessions/failover-" + appender + "/messages?limit=1000");
                                if (history.statusCode() == 200) {
                                    assertThat(history.jsonPath().getList("items.content", String.class))
                                            .as("a history read sent %s", sent).containsAll(before);
                                    reads.incrementAndGet();
                                } else {
                                    assertThat(List.of(sent, phase.get())).as(history.asString()).doesNotContain(Phase.AFTER).contains(Phase.FAILING_OVER);
                                }
                            }
                            Thread.sleep(40); // at most 25 appends a second each, so a history fits in one page of 1,000
                        }
                        return null;
                    }));
                }

                Thread.sleep(3000);
                phase.set(Phase.FAILING_OVER);
                formation.kill(1);
                long killed = System.nanoTime();
                formation.awaitPrimary(2, Duration.ofSeconds(90));
                long promotedAfter = Duration.ofNanos(System.nanoTime() - killed).toMillis();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && List.of(afterPromotion).stream().anyMatch(count -> count.get() < 5)) {
                    Thread.sleep(200);
                }
                long resumedAfter = Duration.ofNanos(System.nanoTime() - killed).toMillis();
                phase.set(Phase.AFTER);
                Thread.sleep(3000);
                stop.set(true);
                for (Future<?> appender : appenders) {
                    appender.get();
                }
                pool.shutdown();
                System.out.printf("failover: standby promoted %d ms after the kill, every appender had 5 appends acknowledged after the kill "
                        + "%d ms after it; %d acknowledged, 503 answers per appender %s, %d history reads checked%n", promotedAfter, resumedAfter,
                        acknowledged.stream().mapToInt(List::size).sum(), refusals, reads.get());
                assertThat(afterPromotion).allSatisfy(count -> assertThat(count.get()).as("appends after the promotion").isGreaterThanOrEqualTo(5));

                try (Connection primary = formation.connect(2)) {
                    for (int i = 0; i < APPENDERS; i++) {
                        List<String> stored = new ArrayList<>();
                        List<Long> seqs = new ArrayList<>();
                        try (PreparedStatement query = primary.prepareStatement("SELECT m.content, m.seq FROM chat_messages m "
                                + "JOIN chat_sessions s ON s.id = m.session_id WHERE s.continuation_id = ? ORDER BY m.seq")) {
                            query.setString(1, "failover-" + i);
                            try (ResultSet rows = query.executeQuery()) {
                                while (rows.next()) {
                                    stored.add(rows.getString(1));
                                    seqs.add(rows.getLong(2));
                                }
                            }
                        }
                        assertThat(stored).as("appender %d on the new primary", i).containsAll(acknowledged.get(i));
                        assertThat(stored).as("acknowledged appends keep their order").containsSubsequence(acknowledged.get(i));
                        for (int s = 0; s < seqs.size(); s++) {
                            assertThat(seqs.get(s)).as("gapless seq").isEqualTo(s + 1L);
                        }
                        List<String> read = app.as(KEY).get("/sessions/failover-" + i + "/messages?limit=1000")
                                .then().statusCode(200).extract().jsonPath().getList("items.content");
                        assertThat(read).as("appender %d's history as the service reads it", i).isEqualTo(stored);
                    }
                }
            }
        }
    }
}
