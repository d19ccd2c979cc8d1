package dev.exai.store.perf;

import static dev.exai.store.testing.Api.alpha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.common.ServiceClock;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Performance samples end to end. The tests run in order because retention and the moved clock act on the whole
 * database: accuracy first, then retention of what the first test stored.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PerfTest {

    private static final String[] MODELS = {"glm-4.6", "kimi-k2", "glm-4.5-air", "kimi-latest"};
    private static final double[] QUANTILES = {0.50, 0.95, 0.99};
    private static final String TOOL = "chat-" + UUID.randomUUID().toString().substring(0, 8);
    /** Exact statistics per (model, bucket start) computed here, for hours and days. */
    private static final Map<String, List<Double>> HOURS = new HashMap<>();
    private static final Map<String, List<Double>> DAYS = new HashMap<>();
    private static final Map<String, Integer> HOUR_ERRORS = new HashMap<>();
    private static final Map<String, Integer> DAY_ERRORS = new HashMap<>();
    private static final Map<String, Extra> HOUR_EXTRA = new HashMap<>();
    private static final Map<String, Extra> DAY_EXTRA = new HashMap<>();
    private static final String[] ERROR_TYPES = {"timeout", "rate_limited", "context_length_exceeded"};
    private static OffsetDateTime firstDay;

    /** The exact token sums, failed calls by type and times to first token of one bucket. */
    private static final class Extra {
        long tokensIn;
        long tokensOut;
        final Map<String, Long> errorTypes = new HashMap<>();
        final List<Double> ttft = new ArrayList<>();

        void add(int in, int out, String errorType, Double ttftMs) {
            tokensIn += in;
            tokensOut += out;
            if (errorType != null) {
                errorTypes.merge(errorType, 1L, Long::sum);
            }
            if (ttftMs != null) {
                ttft.add(ttftMs);
            }
        }
    }
    private static String dailyBefore;
    private static String summaryBefore;

    @Inject
    ServiceClock clock;

    @Inject
    RollupJob rollup;

    @Test
    @Order(1)
    void percentilesOfHundredThousandSkewedSamplesAreWithinOnePercent() {
        firstDay = clock.now().truncatedTo(ChronoUnit.DAYS).minusDays(4);
        Random random = new Random(7);
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            String model = MODELS[i % 4];
            OffsetDateTime at = firstDay.plusSeconds(random.nextInt(3 * 24 * 3600)).plusNanos(random.nextInt(1000) * 1_000_000L);
            double latency = Math.round(Math.exp(6.5 + 1.2 * random.nextGaussian() + (i % 4) * 0.3) * 1000) / 1000.0;
            boolean ok = random.nextInt(20) != 0;
            Map<String, Object> sample = new HashMap<>(Map.of("tool", TOOL, "model", model, "provider", model.startsWith("glm") ? "zhipu" : "moonshot",
                    "latency_ms", latency, "ok", ok, "at", at.toString(), "params", Map.of("web_search", i % 4 == 0)));
            int tokensIn = random.nextInt(4000);
            int tokensOut = random.nextInt(800);
            sample.put("tokens_in", tokensIn);
            sample.put("tokens_out", tokensOut);
            String errorType = null;
            if (!ok) {
                int t = random.nextInt(4); // one failed call in four reports no type: counted as "unspecified"
                errorType = t == 3 ? "unspecified" : ERROR_TYPES[t];
                if (t < 3) {
                    sample.put("error_type", errorType);
                }
            }
            Double ttft = null;
            if (random.nextInt(10) < 7) { // streamed calls report a time to first token
                ttft = Math.round(latency * (0.05 + 0.3 * random.nextDouble()) * 1000) / 1000.0;
                sample.put("ttft_ms", ttft);
            }
            batch.add(sample);
            String hour = model + "|" + at.truncatedTo(ChronoUnit.HOURS).toInstant();
            String day = model + "|" + at.truncatedTo(ChronoUnit.DAYS).toInstant();
            HOUR_EXTRA.computeIfAbsent(hour, k -> new Extra()).add(tokensIn, tokensOut, errorType, ttft);
            DAY_EXTRA.computeIfAbsent(day, k -> new Extra()).add(tokensIn, tokensOut, errorType, ttft);
            HOURS.computeIfAbsent(hour, k -> new ArrayList<>()).add(latency);
            DAYS.computeIfAbsent(day, k -> new ArrayList<>()).add(latency);
            if (!ok) {
                HOUR_ERRORS.merge(hour, 1, Integer::sum);
                DAY_ERRORS.merge(day, 1, Integer::sum);
            }
            if (batch.size() == 10_000) {
                alpha().body(batch).post("/perf/samples").then().statusCode(202).body("accepted", equalTo(10_000));
                batch.clear();
            }
        }
        rollupNow();

        checkBuckets("hour", HOURS, HOUR_ERRORS, HOUR_EXTRA, 3 * 24 * 4);
        dailyBefore = checkBuckets("day", DAYS, DAY_ERRORS, DAY_EXTRA, 3 * 4);
        summaryBefore = summary();
        JsonPath sum = json(alpha().queryParam("from", firstDay.toString()).queryParam("to", firstDay.plusDays(3).toString())
                .get("/perf/summary").then().statusCode(200).extract().asString());
        assertThat(sum.getList("items.findAll { it.tool == '" + TOOL + "' }")).hasSize(4);
        for (int m = 0; m < 4; m++) {
            List<Double> all = new ArrayList<>();
            String model = MODELS[m];
            DAYS.forEach((k, v) -> {
                if (k.startsWith(model + "|")) {
                    all.addAll(v);
                }
            });
            Map<String, Object> item = sum.getMap("items.find { it.model == '" + model + "' && it.tool == '" + TOOL + "' }");
            assertThat(((Number) item.get("count")).intValue()).isEqualTo(all.size());
            Extra whole = new Extra();
            DAY_EXTRA.forEach((k, v) -> {
                if (k.startsWith(model + "|")) {
                    whole.tokensIn += v.tokensIn;
                    whole.tokensOut += v.tokensOut;
                    v.errorTypes.forEach((t, n) -> whole.errorTypes.merge(t, n, Long::sum));
                    whole.ttft.addAll(v.ttft);
                }
            });
            checkExtra(model, item, whole);
            for (double q : QUANTILES) {
                double exact = nearestRank(all, q);
                assertThat(((Number) item.get("p" + Math.round(q * 100) + "_ms")).doubleValue()).isCloseTo(exact, within(exact * 0.01));
            }
        }
    }

    @Test
    @Order(2)
    void afterRetentionDroppedTheRawDaysDailyAndSummaryAreUnchanged() throws Exception {
        clock.shift(Duration.ofDays(12));
        rollupNow();
        assertThat(partitionsBefore(firstDay.plusDays(3))).isZero();
        assertThat(countRows("SELECT count(*) FROM perf_samples WHERE tool = '" + TOOL + "'")).isZero();
        assertThat(fetchBuckets("day")).isEqualTo(dailyBefore);
        assertThat(summary()).isEqualTo(summaryBefore);
        clock.reset();
    }

    @Test
    @Order(3)
    void lateSamplesAreRolledInAndRollupsAreIdempotent() {
        String tool = "late-" + UUID.randomUUID().toString().substring(0, 8);
        OffsetDateTime hour = clock.now().truncatedTo(ChronoUnit.HOURS).minusHours(3);
        alpha().body(List.of(sample(tool, hour.plusMinutes(5), 100), sample(tool, hour.plusMinutes(10), 300))).post("/perf/samples").then().statusCode(202);
        rollupNow();
        alpha().body(List.of(sample(tool, hour.plusMinutes(20), 200))).post("/perf/samples").then().statusCode(202);
        rollupNow();
        alpha().queryParam("granularity", "hour").queryParam("tool", tool).queryParam("from", hour.toString()).queryParam("to", hour.plusHours(1).toString())
                .get("/perf/aggregates").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].count", equalTo(3)).body("items[0].min_ms", equalTo(100f))
                .body("items[0].max_ms", equalTo(300f)).body("items[0].avg_ms", equalTo(200f));

        String once = allAggregates(tool, hour);
        rollupNow();
        assertThat(allAggregates(tool, hour)).isEqualTo(once);
        alpha().body(List.of(sample(tool, hour.plusMinutes(30), 400))).post("/perf/samples").then().statusCode(202);
        CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> alpha().post("/perf/rollup").then().statusCode(200).extract().asString());
        CompletableFuture<String> b = CompletableFuture.supplyAsync(() -> alpha().post("/perf/rollup").then().statusCode(200).extract().asString());
        a.join();
        b.join();
        rollupNow();
        String together = allAggregates(tool, hour);
        rollupNow();
        assertThat(allAggregates(tool, hour)).isEqualTo(together).contains("\"count\":4");
    }

    @Test
    @Order(4)
    void retentionKeepsWhatIsNotRolledUpAndExpiresOldAggregates() throws Exception {
        String tool = "ret-" + UUID.randomUUID().toString().substring(0, 8);
        OffsetDateTime sixDaysAgo = clock.now().truncatedTo(ChronoUnit.DAYS).minusDays(6).plusHours(3);
        alpha().body(List.of(sample(tool, sixDaysAgo, 50))).post("/perf/samples").then().statusCode(202);
        clock.shift(Duration.ofDays(3));
        // retention alone, before any rollup: the day is past raw retention but its samples are not rolled up
        int[] kept = rollup.retention(clock.now()).await().indefinitely();
        assertThat(kept[1]).isPositive();
        assertThat(countRows("SELECT count(*) FROM perf_samples WHERE tool = '" + tool + "'")).isEqualTo(1);
        // a full run rolls it up first, then drops the partition
        rollupNow();
        assertThat(countRows("SELECT count(*) FROM perf_samples WHERE tool = '" + tool + "'")).isZero();
        assertThat(countRows("SELECT count(*) FROM perf_hourly WHERE tool = '" + tool + "'")).isEqualTo(1);
        assertThat(countRows("SELECT count(*) FROM perf_daily WHERE tool = '" + tool + "'")).isEqualTo(1);
        // 91 days on: hourly rows go, daily rows stay
        clock.shift(Duration.ofDays(88));
        rollupNow();
        assertThat(countRows("SELECT count(*) FROM perf_hourly WHERE tool = '" + tool + "'")).isZero();
        assertThat(countRows("SELECT count(*) FROM perf_daily WHERE tool = '" + tool + "'")).isEqualTo(1);
        // past two years: daily rows go too
        clock.shift(Duration.ofDays(640));
        rollupNow();
        assertThat(countRows("SELECT count(*) FROM perf_daily WHERE tool = '" + tool + "'")).isZero();
        clock.reset();
    }

    @Test
    @Order(5)
    void paramsDifferingOnlyInKeyOrderOrVolatileKeysShareAHash() {
        String tool = "hash-" + UUID.randomUUID().toString().substring(0, 8);
        alpha().body(List.of(
                        Map.of("tool", tool, "latency_ms", 1, "params", Map.of("a", 1, "b", Map.of("c", 2, "d", "x"), "request_id", "r-1")),
                        Map.of("tool", tool, "latency_ms", 2, "params", Map.of("b", Map.of("d", "x", "c", 2.0), "a", 1, "continuation_id", "c-9",
                                "timestamp", "2026-11-26T00:00:00Z"))))
                .post("/perf/samples").then().statusCode(202);
        alpha().body(Map.of("tool", tool, "latency_ms", 3, "params", Map.of("a", 2, "b", Map.of("c", 2, "d", "x"))))
                .post("/perf/samples").then().statusCode(202);
        JsonPath summary = alpha().queryParam("group_by", "tool,params_hash").queryParam("from", clock.now().minusHours(1).toString())
                .queryParam("to", clock.now().plusMinutes(1).toString()).get("/perf/summary").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> mine = summary.getList("items.findAll { it.tool == '" + tool + "' }");
        assertThat(mine).hasSize(2);
        assertThat(mine).extracting(m -> ((Number) m.get("count")).intValue()).containsExactlyInAnyOrder(2, 1);
        String shared = (String) mine.stream().filter(m -> ((Number) m.get("count")).intValue() == 2).findFirst().orElseThrow().get("params_hash");
        alpha().get("/perf/params/" + shared).then().statusCode(200).body("params.a", equalTo(1)).body("params.b.c", equalTo(2))
                .body("params.request_id", equalTo(null));
        io.restassured.RestAssured.given().header("Authorization", "Bearer beta-test-key").get("/perf/params/" + shared).then().statusCode(404);
    }

    @Test
    @Order(6)
    void badInputIs400AndStoresNothing() throws Exception {
        String tool = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        List<Map<String, Object>> tooMany = Collections.nCopies(10_001, Map.of("tool", tool, "latency_ms", 1));
        problem(alpha().body(tooMany).post("/perf/samples"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 1), Map.of("tool", tool, "latency_ms", -1))).post("/perf/samples"))
                .body("detail", containsString("samples[1].latency_ms"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", "fast"))).post("/perf/samples"));
        // finite, but no call lasts that long: it would swamp every average after it
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 1e300))).post("/perf/samples"))
                .body("detail", containsString("samples[0].latency_ms"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 86_400_001))).post("/perf/samples"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 5, "ttft_ms", 1e300))).post("/perf/samples"))
                .body("detail", containsString("samples[0].ttft_ms"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 1, "at", "yesterday"))).post("/perf/samples"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 1, "at", clock.now().minusDays(8).toString()))).post("/perf/samples"))
                .body("detail", containsString("retention"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 5, "ttft_ms", -1))).post("/perf/samples"))
                .body("detail", containsString("samples[0].ttft_ms"));
        problem(alpha().body(List.of(Map.of("tool", tool, "latency_ms", 5, "ok", false, "error_type", "x".repeat(65)))).post("/perf/samples"))
                .body("detail", containsString("error_type"));
        problem(alpha().queryParam("granularity", "week").get("/perf/aggregates"));
        problem(alpha().queryParam("from", "2026-11-26T10:00:00Z").queryParam("to", "2026-11-25T10:00:00Z").get("/perf/aggregates"));
        problem(alpha().queryParam("from", "not a time").get("/perf/summary"));
        problem(alpha().queryParam("group_by", "colour").get("/perf/summary"));
        assertThat(countRows("SELECT count(*) FROM perf_samples WHERE tool = '" + tool + "'")).isZero();
    }

    /** Runs the rollup, again if the start-up run held the lock at that moment. */
    private static void rollupNow() {
        for (int i = 0; i < 50; i++) {
            if (alpha().post("/perf/rollup").then().statusCode(200).extract().<Boolean>path("ran")) {
                return;
            }
        }
        throw new AssertionError("the rollup never got its lock");
    }

    private static io.restassured.response.ValidatableResponse problem(io.restassured.response.Response response) {
        return response.then().statusCode(400).contentType("application/problem+json").body("status", equalTo(400));
    }

    private static Map<String, Object> sample(String tool, OffsetDateTime at, double latency) {
        return Map.of("tool", tool, "model", "m", "provider", "p", "latency_ms", latency, "at", at.toString());
    }

    private static String allAggregates(String tool, OffsetDateTime hour) {
        String hourly = alpha().queryParam("granularity", "hour").queryParam("tool", tool).queryParam("from", hour.minusDays(1).toString())
                .queryParam("to", hour.plusDays(1).toString()).get("/perf/aggregates").then().statusCode(200).extract().asString();
        String daily = alpha().queryParam("granularity", "day").queryParam("tool", tool).queryParam("from", hour.minusDays(2).toString())
                .queryParam("to", hour.plusDays(2).toString()).get("/perf/aggregates").then().statusCode(200).extract().asString();
        return hourly + daily;
    }

    /** Checks every bucket against the exact values; answers the raw JSON. */
    private static String checkBuckets(String granularity, Map<String, List<Double>> exact, Map<String, Integer> errors,
                                       Map<String, Extra> extras, int expectedBuckets) {
        String body = fetchBuckets(granularity);
        List<Map<String, Object>> items = json(body).getList("items");
        assertThat(items).hasSize(expectedBuckets);
        for (Map<String, Object> item : items) {
            String key = item.get("model") + "|" + OffsetDateTime.parse((String) item.get("bucket_start")).toInstant();
            List<Double> values = exact.get(key);
            assertThat(values).as(key).isNotNull();
            assertThat(((Number) item.get("count")).intValue()).isEqualTo(values.size());
            assertThat(((Number) item.get("error_count")).intValue()).isEqualTo(errors.getOrDefault(key, 0));
            assertThat(((Number) item.get("min_ms")).doubleValue()).isEqualTo(Collections.min(values));
            assertThat(((Number) item.get("max_ms")).doubleValue()).isEqualTo(Collections.max(values));
            double avg = values.stream().mapToDouble(Double::doubleValue).sum() / values.size();
            assertThat(((Number) item.get("avg_ms")).doubleValue()).isCloseTo(avg, within(avg * 1e-12));
            for (double q : QUANTILES) {
                double want = nearestRank(values, q);
                assertThat(((Number) item.get("p" + Math.round(q * 100) + "_ms")).doubleValue()).as(key + " p" + q)
                        .isCloseTo(want, within(want * 0.01));
            }
            checkExtra(key, item, extras.get(key));
        }
        return body;
    }

    /** Token sums and failed calls by type exactly, TTFT percentiles within 1% (nearest rank), of one bucket or window. */
    @SuppressWarnings("unchecked")
    private static void checkExtra(String key, Map<String, Object> item, Extra exact) {
        assertThat(((Number) item.get("tokens_in")).longValue()).as(key + " tokens_in").isEqualTo(exact.tokensIn);
        assertThat(((Number) item.get("tokens_out")).longValue()).as(key + " tokens_out").isEqualTo(exact.tokensOut);
        Map<String, Number> types = (Map<String, Number>) item.get("error_types");
        Map<String, Long> got = new HashMap<>();
        types.forEach((t, n) -> got.put(t, n.longValue()));
        assertThat(got).as(key + " error_types").isEqualTo(exact.errorTypes);
        assertThat(((Number) item.get("ttft_count")).intValue()).as(key + " ttft_count").isEqualTo(exact.ttft.size());
        for (double q : QUANTILES) {
            double want = nearestRank(exact.ttft, q);
            assertThat(((Number) item.get("ttft_p" + Math.round(q * 100) + "_ms")).doubleValue()).as(key + " ttft p" + q)
                    .isCloseTo(want, within(want * 0.01));
        }
    }

    private static String fetchBuckets(String granularity) {
        return alpha().queryParam("granularity", granularity).queryParam("tool", TOOL).queryParam("from", firstDay.toString())
                .queryParam("to", firstDay.plusDays(3).toString()).queryParam("limit", 10000)
                .get("/perf/aggregates").then().statusCode(200).extract().asString();
    }

    private static String summary() {
        return alpha().queryParam("from", firstDay.toString()).queryParam("to", firstDay.plusDays(3).toString())
                .queryParam("group_by", "tool,model,provider").get("/perf/summary").then().statusCode(200).extract().jsonPath()
                .getList("items.findAll { it.tool == '" + TOOL + "' }").toString();
    }

    /** Numbers as doubles: rest-assured's default floats would blur exact values. */
    private static JsonPath json(String body) {
        return new JsonPath(body).using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE));
    }

    private static double nearestRank(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.ceil(q * sorted.size()) - 1);
    }

    private static long partitionsBefore(OffsetDateTime end) throws Exception {
        return countRows("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'perf_samples'::regclass "
                + "AND c.relname < 'perf_samples_" + end.toLocalDate().toString().replace("-", "") + "'");
    }

    private static long countRows(String sql) throws Exception {
        try (var c = TestServers.connect(StoreTestResource.database()); var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
