package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Per-tenant limits: a tenant over its request rate gets 429 with Retry-After while another tenant, measured at the
 * same time, is never refused; a tenant at its sessions limit cannot create one more (409 naming the quota) until it
 * deletes one; a tenant over its stored bytes gets 507 naming the quota on uploads, appends and pieces of streamed
 * answers (through the Supabase door too), reads still work.
 */
@QuarkusTest
@TestProfile(TenantLimitsTest.Limited.class)
@QuarkusTestResource(StoreTestResource.class)
class TenantLimitsTest {

    private static final String HAMMER = "hammer-limits-key";
    private static final String QUIET = "quiet-limits-key";
    private static final String CAPPED = "capped-limits-key";
    private static final String FULL = "full-limits-key";

    /** Four tenants with their own limits. */
    public static class Limited implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("exai-store.api-keys", "hammer:" + HAMMER + ",quiet:" + QUIET + ",capped:" + CAPPED + ",full:" + FULL
                            + ",alpha:" + Api.ALPHA_KEY + ",beta:" + Api.BETA_KEY,
                    "exai-store.limits.tenants.hammer.requests-per-second", "20",
                    "exai-store.limits.tenants.hammer.burst", "20",
                    "exai-store.limits.tenants.capped.sessions", "3",
                    "exai-store.limits.tenants.full.stored-bytes", "300000",
                    "exai-store.limits.usage-every", "1s");
        }
    }

    @Test
    void aTenantOverItsRateIsRefusedAndAnotherIsNot() throws Exception {
        List<Long> quietAlone = quietRequests(40);

        AtomicBoolean hammering = new AtomicBoolean(true);
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<HttpResponse<String>> refusals = Collections.synchronizedList(new ArrayList<>());
        // a light client (no validation on this side), so the measured tenant competes with the service's work only
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest list = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/sessions"))
                .header("Authorization", "Bearer " + HAMMER).build();
        ExecutorService hammer = Executors.newFixedThreadPool(4);
        long started = System.nanoTime();
        for (int i = 0; i < 4; i++) {
            hammer.submit(() -> {
                while (hammering.get()) {
                    HttpResponse<String> answer = http.send(list, HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 429) {
                        refused.incrementAndGet();
                        if (refusals.size() < 3) {
                            refusals.add(answer);
                        }
                    } else {
                        assertThat(answer.statusCode()).isEqualTo(200);
                        allowed.incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(500);
        List<Long> quietBeside = quietRequests(40);
        hammering.set(false);
        hammer.shutdown();
        assertThat(hammer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        double seconds = (System.nanoTime() - started) / 1e9;

        assertThat(refused.get()).as("the hammering tenant is refused").isPositive();
        assertThat(allowed.get()).as("it gets its burst and its rate, no more").isLessThanOrEqualTo((int) (20 + 20 * seconds) + 5);
        HttpResponse<String> refusal = refusals.get(0);
        assertThat(refusal.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(refusal.body()).contains("urn:exai-store:problem:rate-limited").contains("hammer")
                .contains("20.0 requests per second");
        assertThat(Integer.parseInt(refusal.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 5);
        System.out.printf("TenantLimitsTest: hammer allowed %d, refused %d in %.1f s; quiet tenant p50 %.1f ms alone, %.1f ms beside it%n",
                allowed.get(), refused.get(), seconds, median(quietAlone) / 1e6, median(quietBeside) / 1e6);
    }

    @Test
    void aTenantAtItsSessionLimitCannotCreateAnotherUntilItDeletesOne() {
        for (int i = 1; i <= 3; i++) {
            Api.as(CAPPED).body(Map.of("continuation_id", "capped-" + i)).post("/sessions").then().statusCode(201);
        }
        Response refused = Api.as(CAPPED).body(Map.of("continuation_id", "capped-4")).post("/sessions");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.jsonPath().getString("type")).isEqualTo("urn:exai-store:problem:session-quota");
        assertThat(refused.jsonPath().getString("detail")).contains("EXAI_STORE_LIMITS_SESSIONS");
        Api.as(CAPPED).body(Map.of()).put("/sessions/capped-4").then().statusCode(409);
        Api.as(CAPPED).body(Map.of()).put("/sessions/capped-2").then().statusCode(200); // an existing one is no new session
        Api.as(CAPPED).contentType("application/json").body("{\"role\":\"user\",\"content\":\"x\"}")
                .post("/sessions/capped-5/messages?create=true").then().statusCode(409);
        Api.as(CAPPED).get("/sessions/capped-4").then().statusCode(404);

        Api.as(CAPPED).delete("/sessions/capped-1").then().statusCode(204);
        Api.as(CAPPED).body(Map.of("continuation_id", "capped-4")).post("/sessions").then().statusCode(201);
    }

    @Test
    void aTenantOverItsStoredBytesGets507UntilItDeletes() throws Exception {
        byte[] bytes = new byte[350_000];
        new Random(5).nextBytes(bytes);
        long answer = Api.as(FULL).contentType("application/json").body("{\"role\":\"assistant\",\"status\":\"streaming\"}")
                .post("/sessions/full-2/messages?create=true").then().statusCode(201).extract().jsonPath().getLong("seq");
        String id = Api.as(FULL).contentType("application/octet-stream").queryParam("filename", "big.bin").body(bytes)
                .post("/files").then().statusCode(201).extract().jsonPath().getString("id");

        Response refused = awaitStatus(() -> Api.as(FULL).contentType("application/octet-stream")
                .queryParam("filename", "small.bin").body(new byte[] {1, 2, 3}).post("/files"), 507);
        assertThat(refused.jsonPath().getString("type")).isEqualTo("urn:exai-store:problem:storage-quota");
        assertThat(refused.jsonPath().getString("detail")).contains("EXAI_STORE_LIMITS_STORED_BYTES");
        Api.as(FULL).contentType("application/json").body("{\"role\":\"user\",\"content\":\"x\"}")
                .post("/sessions/full-1/messages?create=true").then().statusCode(507);
        Api.as(FULL).contentType("application/json").body("{\"index\":0,\"content\":\"x\"}")
                .post("/sessions/full-2/messages/" + answer + "/chunks").then().statusCode(507);
        // the Supabase door refuses the same, each half in its protocol's shape
        RestAssured.given().header("apikey", FULL).contentType("application/octet-stream").body(new byte[] {1, 2, 3})
                .post("/storage/v1/object/any-bucket/small.bin").then().statusCode(507)
                .body("statusCode", org.hamcrest.Matchers.equalTo("507")).body("error", org.hamcrest.Matchers.equalTo("insufficient_storage"));
        RestAssured.given().header("apikey", FULL).contentType("application/json")
                .body("{\"conversation_id\":\"" + java.util.UUID.randomUUID() + "\",\"role\":\"user\",\"content\":\"x\"}")
                .post("/rest/v1/messages").then().statusCode(507).body("code", org.hamcrest.Matchers.equalTo("53100"));
        Api.as(FULL).get("/files/" + id + "/content").then().statusCode(200);
        Api.alpha().contentType("application/octet-stream").queryParam("filename", "other.bin").body(bytes)
                .post("/files").then().statusCode(201); // another tenant is not touched

        Api.as(FULL).delete("/files/" + id).then().statusCode(204);
        awaitStatus(() -> Api.as(FULL).contentType("application/octet-stream")
                .queryParam("filename", "small.bin").body(new byte[] {1, 2, 3}).post("/files"), 201);
    }

    private static List<Long> quietRequests(int count) {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            Api.as(QUIET).contentType("application/json").body("{\"role\":\"user\",\"content\":\"quiet " + i + "\"}")
                    .post("/sessions/quiet/messages?create=true").then().statusCode(201);
            Api.as(QUIET).get("/sessions/quiet/messages?last=5").then().statusCode(200);
            nanos.add(System.nanoTime() - start);
        }
        return nanos;
    }

    private static Response awaitStatus(java.util.function.Supplier<Response> request, int status) throws InterruptedException {
        Response last = null;
        for (int i = 0; i < 50; i++) {
            last = request.get();
            if (last.statusCode() == status) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("never answered " + status + "; the last answer: " + last.statusCode() + " " + last.asString());
    }

    private static double median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
