package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.testing.Api;
import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.FakeProviders;
import dev.exai.store.testing.RedisCluster;
import dev.exai.store.testing.TestServers;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.Jedis;

/**
 * Two replicas of the packaged service (A and B) on one PostgreSQL, a Redis Cluster of three masters each with a
 * replica, and one shared file directory: the scale-out scenarios of docs/scaling.md, in order,
 * with the Redis master failures after the others.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutIT {

    private static final String KEY = "scale-key";
    private static final FakeProviders FAKE = FakeProviders.get();

    private static RedisCluster cluster;
    private static String database;
    private static AppProcess a;
    private static AppProcess b;
    private static Map<String, String> env;

    @BeforeAll
    static void startTwoReplicasOnARedisCluster() throws IOException {
        assumeTrue(RedisCluster.available(), "redis-server and redis-cli are needed for the Redis Cluster (.ci/run installs them)");
        cluster = RedisCluster.start(3);
        for (String name : List.of("scale-a", "scale-b", "scale-c", "scale-alone")) {
            Files.deleteIfExists(Path.of("target", "it-logs", name + ".log"));
        }
        database = TestServers.createDatabase("exai_scale");
        Path files = Files.createTempDirectory("exai-shared-files");
        env = new HashMap<>();
        env.put("QUARKUS_REDIS_CLIENT_TYPE", "cluster");
        env.put("QUARKUS_REDIS_HOSTS", cluster.hosts());
        env.put("EXAI_STORE_FILES_DIR", files.toString());
        env.put("EXAI_STORE_PERF_ROLLUP_EVERY", "1s");
        env.put("EXAI_STORE_PROVIDERS_KIMI_URL", FAKE.url("kimi"));
        env.put("EXAI_STORE_PROVIDERS_KIMI_API_KEY", FakeProviders.KIMI_KEY);
        env.put("EXAI_STORE_PROVIDERS_GLM_URL", FAKE.url("glm"));
        env.put("EXAI_STORE_PROVIDERS_GLM_API_KEY", FakeProviders.GLM_KEY);
        a = AppProcess.start("scale-a", database, "alpha:" + KEY, env);
        b = AppProcess.start("scale-b", database, "alpha:" + KEY, env);
        a.awaitReady(Duration.ofSeconds(90));
        b.awaitReady(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, cluster}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
        FAKE.reset();
    }

    @Test
    @Order(1)
    void eightClientsAlternatingReplicasGetSeqOneToNOnce() throws Exception {
        String cid = Api.newId();
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int client = c;
            clients.add(pool.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    String content = "client " + client + " message " + i;
                    AppProcess via = (client + i) % 2 == 0 ? a : b;
                    Response response = via.as(KEY).body(Map.of("role", "user", "content", content))
                            .post("/sessions/" + cid + "/messages");
                    assertThat(response.statusCode()).as(content).isEqualTo(201);
                    acknowledged.put(content, response.jsonPath().getLong("seq"));
                }
            }));
        }
        for (Future<?> client : clients) {
            client.get();
        }
        pool.shutdown();
        assertThat(new HashSet<>(acknowledged.values())).hasSize(320);
        for (AppProcess via : List.of(a, b, a, b)) {
            assertCompleteHistory(via, cid, acknowledged);
        }
    }

    @Test
    @Order(2)
    void aWriteThroughOneReplicaIsInTheNextReadThroughTheOther() {
        String cid = Api.newId();
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        for (int i = 1; i <= 20; i++) {
            AppProcess writer = i % 2 == 0 ? a : b;
            AppProcess reader = i % 2 == 0 ? b : a;
            reader.as(KEY).get("/sessions/" + cid + "/messages?last=5").then().statusCode(200); // warm the reader's view
            writer.as(KEY).body(Map.of("role", "assistant", "content", "turn " + i)).post("/sessions/" + cid + "/messages")
                    .then().statusCode(201);
            Response read = reader.as(KEY).get("/sessions/" + cid + "/messages?last=1");
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.jsonPath().getString("items[0].content")).as("read %d through the other replica", i).isEqualTo("turn " + i);
        }
        assertThat(b.as(KEY).get("/sessions/" + cid + "/messages?last=5").header("X-Cache")).isEqualTo("hit");

        b.as(KEY).get("/sessions/" + cid).then().statusCode(200);
        a.as(KEY).delete("/sessions/" + cid).then().statusCode(204);
        b.as(KEY).get("/sessions/" + cid).then().statusCode(404);
        b.as(KEY).get("/sessions/" + cid + "/messages?last=5").then().statusCode(404);
    }

    @Test
    @Order(3)
    void anIdempotencyKeyRetriedOnTheOtherReplicaStoresNothingNew() {
        String cid = Api.newId();
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        Map<String, Object> body = Map.of("role", "user", "content", "only once");
        long seq = a.as(KEY).header("Idempotency-Key", "retry-1").body(body).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).extract().jsonPath().getLong("seq");
        long replayed = b.as(KEY).header("Idempotency-Key", "retry-1").body(body).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).extract().jsonPath().getLong("seq");
        assertThat(replayed).isEqualTo(seq);
        b.as(KEY).header("Idempotency-Key", "retry-1").body(Map.of("role", "user", "content", "another"))
                .post("/sessions/" + cid + "/messages").then().statusCode(422);
        a.as(KEY).get("/sessions/" + cid).then().statusCode(200).body("message_count", org.hamcrest.Matchers.equalTo(1));
        b.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.size()", org.hamcrest.Matchers.equalTo(1));
    }

    @Test
    @Order(4)
    void aFileUploadedThroughOneReplicaDownloadsThroughTheOtherAndGoesToAProviderOnce() throws Exception {
        byte[] bytes = new byte[3_000_000];
        new Random(4).nextBytes(bytes);
        String id = a.as(KEY).contentType("application/octet-stream").queryParam("filename", "shared.bin").body(bytes)
                .post("/files").then().statusCode(201).extract().path("id");
        assertThat(b.as(KEY).get("/files/" + id + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);

        FAKE.reset();
        FAKE.slowUploads(1500);
        CompletableFuture<Response> viaA = CompletableFuture.supplyAsync(() -> a.as(KEY).post("/files/" + id + "/providers/kimi"));
        CompletableFuture<Response> viaB = CompletableFuture.supplyAsync(() -> b.as(KEY).post("/files/" + id + "/providers/kimi"));
        List<Integer> statuses = List.of(viaA.get().statusCode(), viaB.get().statusCode());
        assertThat(statuses).containsExactlyInAnyOrder(201, 200);
        assertThat(viaA.get().jsonPath().getString("providers.kimi.file_id")).isEqualTo(viaB.get().jsonPath().getString("providers.kimi.file_id"));
        assertThat(FAKE.uploads.get()).isEqualTo(1);

        CompletableFuture<Response> textA = CompletableFuture.supplyAsync(() -> a.as(KEY).get("/files/" + id + "/providers/kimi/content"));
        CompletableFuture<Response> textB = CompletableFuture.supplyAsync(() -> b.as(KEY).get("/files/" + id + "/providers/kimi/content"));
        assertThat(textA.get().statusCode()).isEqualTo(200);
        assertThat(textB.get().statusCode()).isEqualTo(200);
        assertThat(FAKE.contentFetches.get()).isEqualTo(1);
        FAKE.reset();
    }

    @Test
    @Order(5)
    void everyKeyIsHashTaggedAndNoCallCrossedSlots() throws java.io.IOException {
        List<String> keys = cluster.keys();
        assertThat(keys).isNotEmpty();
        Set<String> families = new HashSet<>();
        for (String key : keys) {
            assertThat(key).as("a cache key").matches("exai:[0-9a-f-]+:\\d+:\\{alpha:[^{}]+\\}(:meta|:msgs|:tok)?");
            families.add(key.endsWith(":meta") ? "session meta" : key.endsWith(":msgs") ? "session messages"
                    : key.endsWith(":tok") ? "session token sums" : "file");
        }
        assertThat(families).containsExactlyInAnyOrder("session meta", "session messages", "session token sums", "file");
        // a script or command whose keys span slots fails with CROSSSLOT, which the replica logs as a failed Redis
        // call; other failed calls (a 250 ms timeout on this loaded two-core machine) are not what this checks
        for (String replica : List.of("scale-a", "scale-b")) {
            assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("target", "it-logs", replica + ".log")))
                    .as("%s's log", replica).doesNotContain("CROSSSLOT");
        }
    }

    @Test
    @Order(6)
    void aRedisMasterKilledMidRunFailsNoRequestAndLosesNothing() throws Exception {
        String cid = Api.newId();
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        int master = cluster.masterOf("{alpha:" + cid + "}");
        int replica = cluster.replicaOf(master);
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        List<String> failures = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            workers.add(pool.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    String content = "writer " + client + " message " + i;
                    Response response = (i % 2 == 0 ? a : b).as(KEY).body(Map.of("role", "user", "content", content))
                            .post("/sessions/" + cid + "/messages");
                    if (response.statusCode() == 201) {
                        acknowledged.put(content, response.jsonPath().getLong("seq"));
                    } else {
                        synchronized (failures) {
                            failures.add(content + ": " + response.statusCode());
                        }
                    }
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            AppProcess reader = r == 0 ? a : b;
            workers.add(pool.submit(() -> {
                while (running.get()) {
                    Map<String, Long> before = new HashMap<>(acknowledged);
                    Set<String> seen;
                    try {
                        seen = contents(reader, cid);
                    } catch (AssertionError e) {
                        synchronized (failures) {
                            failures.add("read: " + e.getMessage());
                        }
                        continue;
                    }
                    for (String content : before.keySet()) {
                        if (!seen.contains(content)) {
                            synchronized (failures) {
                                failures.add("read through " + reader.url() + " lacks acknowledged " + content);
                            }
                        }
                    }
                }
            }));
        }
        Thread.sleep(2000);
        cluster.kill(master);
        Thread.sleep(RedisCluster.NODE_TIMEOUT_MS + 6000L);
        running.set(false);
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        assertThat(failures).isEmpty();
        assertThat(cluster.isMaster(replica)).as("the replica took over").isTrue();
        assertCompleteHistory(a, cid, acknowledged);
        assertCompleteHistory(b, cid, acknowledged);
        awaitCacheHit(b, cid);
    }

    @Test
    @Order(7)
    void aPromotedReplicaThatMissedAcknowledgedWritesIsNeverRead() throws Exception {
        cluster.awaitHealthy(Duration.ofSeconds(30));
        String cid = sessionOnAMasterWithAReplica();
        int master = cluster.masterOf("{alpha:" + cid + "}");
        int replica = cluster.replicaOf(master);
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        for (int i = 1; i <= 3; i++) {
            a.as(KEY).body(Map.of("role", "user", "content", "before " + i)).post("/sessions/" + cid + "/messages").then().statusCode(201);
        }
        b.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200);
        awaitCacheHit(b, cid);

        // The replica stops reading; 20 MB on the master fills the link, so the next write stays in the master's
        // output buffer and dies with it: the promoted replica holds a complete-looking history without it.
        cluster.pause(replica);
        try (Jedis jedis = cluster.node(master)) {
            jedis.set("{alpha:" + cid + "}:ballast", "x".repeat(20_000_000));
        }
        a.as(KEY).body(Map.of("role", "user", "content", "acknowledged last")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        cluster.kill(master);
        cluster.resume(replica);
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (!cluster.isMaster(replica) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(cluster.isMaster(replica)).as("the replica took over").isTrue();
        cluster.awaitHealthy(Duration.ofSeconds(30));
        try (Jedis jedis = cluster.node(replica)) {
            assertThat(jedis.keys("*{alpha:" + cid + "}:msgs").stream().mapToLong(jedis::zcard).max().orElse(0))
                    .as("the promoted replica missed the last write (the setup this test needs)").isEqualTo(3);
        }
        a.awaitRedisInUse(Duration.ofSeconds(30)); // read only once both use Redis again, so the keys are consulted
        b.awaitRedisInUse(Duration.ofSeconds(30));
        for (AppProcess via : List.of(b, a)) {
            List<String> contents = via.as(KEY).get("/sessions/" + cid + "/messages").then().statusCode(200)
                    .extract().jsonPath().getList("items.content");
            assertThat(contents).as("history through " + via.url()).endsWith("acknowledged last").hasSize(4);
        }
    }

    @Test
    @Order(8)
    void aReplicaJoiningDuringAppendsReadsCompleteHistoriesFromItsFirstRequest() throws Exception {
        String cid = Api.newId();
        a.as(KEY).put("/sessions/" + cid).then().statusCode(201);
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    String content = "writer " + writer + " message " + i;
                    Response response = a.as(KEY).body(Map.of("role", "user", "content", content)).post("/sessions/" + cid + "/messages");
                    assertThat(response.statusCode()).isEqualTo(201);
                    acknowledged.put(content, response.jsonPath().getLong("seq"));
                    Thread.sleep(40);
                }
                return null;
            }));
        }
        List<String> failures = new ArrayList<>();
        try (AppProcess joining = AppProcess.start("scale-c", database, "alpha:" + KEY, env)) {
            // a new replica takes a new cache generation; it must not read it while A still writes the old one
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            int reads = 0;
            while (reads < 40 && System.nanoTime() < deadline) {
                Map<String, Long> before = new HashMap<>(acknowledged);
                Set<String> seen;
                try {
                    seen = contents(joining, cid);
                } catch (Exception notListeningYet) { // RestAssured throws ConnectException undeclared
                    Thread.sleep(20);
                    continue;
                }
                int read = ++reads;
                before.keySet().stream().filter(c -> !seen.contains(c)).forEach(c -> failures.add("read " + read + " lacks " + c));
                Thread.sleep(25);
            }
            assertThat(reads).isEqualTo(40);
        } finally {
            running.set(false);
            for (Future<?> writer : writers) {
                writer.get();
            }
            pool.shutdown();
        }
        assertThat(failures).isEmpty();
        assertCompleteHistory(b, cid, acknowledged);
    }

    @Test
    @Order(9)
    void twoReplicasRollingUpEverySecondAgreeWithOneRunAlone() throws Exception {
        OffsetDateTime hour = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS);
        Random random = new Random(8);
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int batch = 0; System.nanoTime() < end; batch++) {
            List<Map<String, Object>> samples = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                OffsetDateTime at = hour.minusHours(1 + random.nextInt(30)).plusSeconds(random.nextInt(3600));
                samples.add(Map.of("tool", "chat", "model", "kimi-k2", "provider", "moonshot", "latency_ms", 50 + random.nextInt(5000),
                        "ok", random.nextInt(20) != 0, "at", at.toString(), "params", Map.of("stream", i % 2 == 0)));
            }
            (batch % 2 == 0 ? a : b).as(KEY).body(samples).post("/perf/samples").then().statusCode(202);
            // besides both schedules, ask the other replica too, so both take turns whatever their schedules' phase
            (batch % 2 == 0 ? b : a).as(KEY).post("/perf/rollup").then().statusCode(200);
            Thread.sleep(250);
        }
        awaitRolledUp(a);
        String together = aggregates();
        assertThat(together).isNotEmpty();

        a.stop();
        b.stop();
        List<Run> runs = new ArrayList<>();
        runs.addAll(rollupRuns("scale-a"));
        runs.addAll(rollupRuns("scale-b"));
        assertThat(runs.stream().map(Run::replica).distinct()).as("both replicas rolled up").hasSize(2);
        for (Run x : runs) {
            for (Run y : runs) {
                if (x != y && !x.replica().equals(y.replica()) && x.from().isBefore(y.to()) && y.from().isBefore(x.to())) {
                    Set<String> both = new HashSet<>(x.buckets());
                    both.retainAll(y.buckets());
                    assertThat(both).as("%s and %s rolled the same buckets at once", x, y).isEmpty();
                }
            }
        }

        TestServers.execute(database, "DELETE FROM perf_hourly", "DELETE FROM perf_daily", "DELETE FROM perf_dirty_days",
                "INSERT INTO perf_dirty_hours (hour, version) SELECT hour, nextval('perf_dirty_version') "
                        + "FROM (SELECT DISTINCT date_trunc('hour', at, 'UTC') AS hour FROM perf_samples) x ON CONFLICT (hour) DO NOTHING");
        try (AppProcess alone = AppProcess.start("scale-alone", database, "alpha:" + KEY,
                Map.of("EXAI_STORE_PERF_ROLLUP_EVERY", "off"))) {
            alone.awaitReady(Duration.ofSeconds(90));
            awaitRolledUp(alone);
            assertThat(aggregates()).isEqualTo(together);
        }
    }

    private record Run(String replica, Instant from, Instant to, List<String> buckets) {
    }

    /** The rollup runs a replica logged: when each ran and which buckets it rolled. */
    private static List<Run> rollupRuns(String name) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Run> runs = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("target", "it-logs", name + ".log"))) {
            if (!line.startsWith("{")) {
                continue;
            }
            JsonNode entry = json.readTree(line);
            String message = entry.path("message").asText();
            var m = java.util.regex.Pattern.compile("rollup from (\\S+) to (\\S+) rolled \\[(.*?)\\]:").matcher(message);
            if (m.find() && !m.group(3).isEmpty()) {
                runs.add(new Run(name, Instant.parse(m.group(1)), Instant.parse(m.group(2)), List.of(m.group(3).split(", "))));
            }
        }
        return runs;
    }

    private static void awaitRolledUp(AppProcess app) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            JsonPath report = app.as(KEY).post("/perf/rollup").then().statusCode(200).extract().jsonPath();
            if (report.getBoolean("ran") && count("SELECT count(*) FROM perf_dirty_hours WHERE hour + interval '1 hour' <= now()") == 0
                    && count("SELECT count(*) FROM perf_dirty_days WHERE day + interval '1 day' <= now()") == 0) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the rollup did not catch up");
    }

    private static String aggregates() {
        StringBuilder out = new StringBuilder();
        for (String table : List.of("perf_hourly", "perf_daily")) {
            query("SELECT bucket_start, tool, model, provider, params_hash, count, error_count, round(sum_ms::numeric, 6), min_ms, max_ms, "
                    + "p50_ms, p95_ms, p99_ms FROM " + table + " ORDER BY bucket_start, params_hash", rows -> {
                        int columns = rows.getMetaData().getColumnCount();
                        while (rows.next()) {
                            out.append(table);
                            for (int c = 1; c <= columns; c++) {
                                out.append(' ').append(rows.getString(c));
                            }
                            out.append('\n');
                        }
                    });
        }
        return out.toString();
    }

    private static long count(String sql) {
        long[] n = {0};
        query(sql, rows -> {
            rows.next();
            n[0] = rows.getLong(1);
        });
        return n[0];
    }

    private interface RowsReader {
        void read(ResultSet rows) throws java.sql.SQLException;
    }

    private static void query(String sql, RowsReader reader) {
        try (Connection c = TestServers.connect(database); Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            reader.read(rows);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new continuation id whose keys live on a master that still has a replica. */
    private static String sessionOnAMasterWithAReplica() {
        for (int i = 0; i < 1000; i++) {
            String cid = Api.newId();
            int master = cluster.masterOf("{alpha:" + cid + "}");
            try {
                cluster.replicaOf(master);
                return cid;
            } catch (IllegalStateException noReplica) {
                // try another id
            }
        }
        throw new IllegalStateException("no master with a replica");
    }

    private static void assertCompleteHistory(AppProcess via, String cid, Map<String, Long> acknowledged) {
        List<Map<String, Object>> items = history(via, cid);
        assertThat(items.stream().map(m -> ((Number) m.get("seq")).longValue()).toList())
                .as("seq through " + via.url()).containsExactlyElementsOf(LongStream.rangeClosed(1, items.size()).boxed().toList());
        Map<String, Long> stored = new HashMap<>();
        for (Map<String, Object> item : items) {
            assertThat(stored.put((String) item.get("content"), ((Number) item.get("seq")).longValue())).as("stored twice").isNull();
        }
        acknowledged.forEach((content, seq) -> assertThat(stored.get(content)).as(content).isEqualTo(seq));
        assertThat(stored).hasSameSizeAs(acknowledged);
    }

    /** Every message's content, read page by page (the pages are read after the call starts). */
    private static Set<String> contents(AppProcess via, String cid) {
        Set<String> contents = new HashSet<>();
        history(via, cid).forEach(item -> contents.add((String) item.get("content")));
        return contents;
    }

    /** A session's whole history through one replica, in pages of 1 000. */
    private static List<Map<String, Object>> history(AppProcess via, String cid) {
        List<Map<String, Object>> items = new ArrayList<>();
        long after = 0;
        while (true) {
            Response page = via.as(KEY).get("/sessions/" + cid + "/messages?limit=1000&after_seq=" + after);
            assertThat(page.statusCode()).as("history page").isEqualTo(200);
            List<Map<String, Object>> got = page.jsonPath().getList("items");
            if (got.isEmpty()) {
                return items;
            }
            items.addAll(got);
            after = ((Number) got.get(got.size() - 1).get("seq")).longValue();
        }
    }

    private static void awaitCacheHit(AppProcess via, String cid) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            if ("hit".equals(via.as(KEY).get("/sessions/" + cid + "/messages?last=5").header("X-Cache"))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("reads of " + cid + " never came from Redis again");
    }

}
