package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in headless Chromium against the packaged service, seeded through the API with sessions and
 * performance samples: {@code src/test/js/dashboard-e2e.cjs} (playwright-core) checks that the charts draw, the
 * summary table equals the API, search and paged history work, a wrong key shows an error, and no request
 * leaves the service's origin. Screenshots go to {@code target/dashboard/}. Needs Debian's {@code chromium} and
 * {@code playwright-core} from npm ({@code .ci/run} installs both and sets {@code EXAI_TEST_PLAYWRIGHT}).
 */
class DashboardIT {

    private static final String KEY = "dashboard-key";
    private static final String WORD = "zebracorn";
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("EXAI_TEST_CHROMIUM", "/usr/bin/chromium"));

    @Test
    void theDashboardShowsWhatTheApiHolds() throws Exception {
        String playwright = System.getenv("EXAI_TEST_PLAYWRIGHT");
        assumeTrue(playwright != null && Files.isDirectory(Path.of(playwright)) && Files.isExecutable(CHROMIUM),
                "the dashboard test needs chromium and playwright-core (EXAI_TEST_PLAYWRIGHT); .ci/run installs them");
        try (AppProcess app = AppProcess.start("dashboard", TestServers.createDatabase("exai_dashboard"), "ops:" + KEY, Map.of())
                .awaitReady(Duration.ofSeconds(60))) {
            String longSession = seedSessions(app);
            seedSamples(app);

            Path out = Path.of("target", "dashboard");
            ProcessBuilder node = new ProcessBuilder("node", "src/test/js/dashboard-e2e.cjs").redirectErrorStream(true);
            node.environment().putAll(Map.of("BASE_URL", app.url(), "API_KEY", KEY, "OUT_DIR", out.toString(), "SEARCH_WORD", WORD,
                    "LONG_SESSION", longSession, "PLAYWRIGHT_CORE", playwright, "CHROMIUM", CHROMIUM.toString()));
            Process process = node.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the browser test ended").isTrue();
            assertThat(process.exitValue()).as("dashboard e2e:%n%s", output).isZero();
            for (String view : List.of("login-error", "performance", "sessions", "health")) {
                assertThat(out.resolve(view + ".png")).isNotEmptyFile();
            }
        }
    }

    /** Three sessions; the long one has 45 messages of alternating roles and one mentions {@link #WORD}. */
    private static String seedSessions(AppProcess app) {
        String longSession = "dash-long-history";
        app.as(KEY).body(Map.of("title", "Refactoring the parser")).put("/sessions/" + longSession).then().statusCode(201);
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 1; i <= 45; i++) {
            String content = i == 7 ? "Could the " + WORD + " tokenizer handle this?" : "turn " + i + " of the conversation";
            messages.add(i % 2 == 1 ? Map.of("role", "user", "content", content)
                    : Map.of("role", "assistant", "content", content, "tool_name", "chat", "model", "glm-4.6", "provider", "zhipu",
                            "usage", Map.of("input_tokens", 100 + i, "output_tokens", i)));
            if (messages.size() == 15) {
                app.as(KEY).body(messages).post("/sessions/" + longSession + "/messages").then().statusCode(201);
                messages.clear();
            }
        }
        for (String cid : List.of("dash-short-1", "dash-short-2")) {
            app.as(KEY).body(List.of(Map.of("role", "system", "content", "You are helpful."), Map.of("role", "user", "content", "hello")))
                    .post("/sessions/" + cid + "/messages?create=true").then().statusCode(201);
        }
        // a continuation of the long session at its 30th message: the page shows the chain with a link back
        app.as(KEY).body(Map.of("continuation_id", "dash-branch", "at_seq", 30)).post("/sessions/" + longSession + "/fork")
                .then().statusCode(201);
        app.as(KEY).body(Map.of("role", "user", "content", "a question on the branch")).post("/sessions/dash-branch/messages")
                .then().statusCode(201);
        return longSession;
    }

    /** Two days of hourly latencies for two groups, rolled up. */
    private static void seedSamples(AppProcess app) {
        OffsetDateTime hour = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS);
        Random random = new Random(42);
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int h = 1; h <= 48; h++) {
            for (int i = 0; i < 40; i++) {
                OffsetDateTime at = hour.minusHours(h).plusSeconds(random.nextInt(3600));
                boolean kimi = i % 2 == 0;
                int latency = (kimi ? 400 : 900) + random.nextInt(600) + 20 * (h % 12);
                boolean ok = random.nextInt(25) != 0;
                Map<String, Object> sample = new HashMap<>(Map.of("tool", "chat", "model", kimi ? "kimi-k2" : "glm-4.6",
                        "provider", kimi ? "moonshot" : "zhipu", "latency_ms", latency, "ok", ok, "at", at.toString(),
                        "params", Map.of("stream", kimi), "tokens_in", 500 + random.nextInt(1500), "tokens_out", 50 + random.nextInt(300)));
                if (kimi) {
                    sample.put("ttft_ms", latency / 4); // streamed calls report their time to first token
                }
                if (!ok) {
                    sample.put("error_type", i % 3 == 0 ? "rate_limited" : "timeout");
                }
                samples.add(sample);
            }
        }
        app.as(KEY).body(samples).post("/perf/samples").then().statusCode(202);
        // a run the start-up rollup holds the lock for answers ran=false; ask until one ran after the samples landed
        for (int i = 0; i < 50 && !app.as(KEY).post("/perf/rollup").then().statusCode(200).extract().jsonPath().getBoolean("ran"); i++) {
            sleep(200);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
