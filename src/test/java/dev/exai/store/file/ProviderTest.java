package dev.exai.store.file;

import static dev.exai.store.testing.Api.alpha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import dev.exai.store.testing.FakeProviders;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Provider uploads and extracted text against fake Kimi and GLM servers that check the wire format. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class ProviderTest {

    private final FakeProviders fake = FakeProviders.get();

    @BeforeEach
    @AfterEach
    void reset() {
        fake.reset();
    }

    @Test
    void uploadsOnceThenAnswersTheStoredId() {
        String id = FileApiTest.upload(FileApiTest.random(2000, 10), "report.pdf");
        String providerId = alpha().post("/files/" + id + "/providers/kimi").then().statusCode(201)
                .body("providers.kimi.file_id", notNullValue()).body("providers.kimi.uploaded_at", notNullValue())
                .extract().path("providers.kimi.file_id");
        alpha().post("/files/" + id + "/providers/kimi").then().statusCode(200).body("providers.kimi.file_id", equalTo(providerId));
        alpha().get("/files/" + id).then().statusCode(200).body("providers.kimi.file_id", equalTo(providerId));
        assertThat(fake.uploads.get()).isEqualTo(1);
        assertThat(fake.badRequests.get()).isZero();

        alpha().get("/files/" + id + "/providers/kimi/content").then().statusCode(200)
                .body("content", equalTo("text extracted from report.pdf"));
        alpha().get("/files/" + id + "/providers/kimi/content").then().statusCode(200)
                .body("content", equalTo("text extracted from report.pdf"));
        assertThat(fake.contentFetches.get()).isEqualTo(1);

        alpha().post("/files/" + id + "/providers/glm").then().statusCode(201).body("providers.glm.file_id", notNullValue())
                .body("providers.kimi.file_id", equalTo(providerId));
        alpha().get("/files/" + id + "/providers/glm/content").then().statusCode(200);
        alpha().post("/files/" + id + "/providers/openai").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void aProviderThatForgotTheFileGetsItAgainOnceAndTheNewIdIsKept() {
        String id = FileApiTest.upload(FileApiTest.random(1500, 13), "forgotten.pdf");
        String first = alpha().post("/files/" + id + "/providers/glm").then().statusCode(201).extract().path("providers.glm.file_id");
        fake.forgetAll();
        alpha().get("/files/" + id + "/providers/glm/content").then().statusCode(200)
                .body("content", equalTo("text extracted from forgotten.pdf"));
        String second = alpha().get("/files/" + id).then().statusCode(200).extract().path("providers.glm.file_id");
        assertThat(second).isNotEqualTo(first);
        assertThat(fake.uploads.get()).isEqualTo(2);
        assertThat(fake.contentFetches.get()).isEqualTo(1);
        // kept: the next read is served from PostgreSQL, the provider is not asked again
        alpha().get("/files/" + id + "/providers/glm/content").then().statusCode(200);
        assertThat(fake.uploads.get()).isEqualTo(2);
        assertThat(fake.contentFetches.get()).isEqualTo(1);
    }

    @Test
    void textBeforeUploadIs404() {
        String id = FileApiTest.upload(FileApiTest.random(100, 11), "a.txt");
        alpha().get("/files/" + id + "/providers/kimi/content").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void tenConcurrentCallsUploadOnce() throws Exception {
        String id = FileApiTest.upload(FileApiTest.random(3000, 12), "concurrent.pdf");
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<String>> calls = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                calls.add(pool.submit(() -> alpha().post("/files/" + id + "/providers/kimi").then()
                        .statusCode(org.hamcrest.Matchers.anyOf(equalTo(200), equalTo(201))).extract().path("providers.kimi.file_id")));
            }
            List<String> ids = new ArrayList<>();
            for (Future<String> call : calls) {
                ids.add(call.get());
            }
            assertThat(ids).containsOnly(ids.get(0));
        } finally {
            pool.shutdown();
        }
        assertThat(fake.uploads.get()).isEqualTo(1);
    }

    @Test
    void serverErrorsAreRetriedThen502() {
        String id = FileApiTest.upload(FileApiTest.random(500, 13), "flaky.pdf");
        fake.failNext(2, 500);
        alpha().post("/files/" + id + "/providers/kimi").then().statusCode(201);
        assertThat(fake.uploads.get()).isEqualTo(1);

        String other = FileApiTest.upload(FileApiTest.random(500, 14), "down.pdf");
        fake.failNext(100, 503);
        alpha().post("/files/" + other + "/providers/glm").then().statusCode(502).contentType("application/problem+json")
                .body("detail", containsString("glm")).body("detail", containsString("503"));
        fake.failNext(0, 500);
        fake.failNext(1, 429);
        alpha().post("/files/" + other + "/providers/glm").then().statusCode(201);
    }

    @Test
    void aProviderThatNeverAnswersGives502() {
        String id = FileApiTest.upload(FileApiTest.random(500, 15), "slow.pdf");
        fake.hang(true);
        // the client gives up after 25 s, below the fake's 30 s hang: a service that waited for it fails here
        alpha().config(dev.exai.store.testing.Api.bounded(25_000))
                .post("/files/" + id + "/providers/kimi").then().statusCode(502).body("detail", containsString("kimi"))
                .body("detail", containsString("did not answer"));
    }

    @Test
    void aRefusedKeyGives502NamingTheProvider() {
        String id = FileApiTest.upload(FileApiTest.random(500, 16), "auth.pdf");
        fake.failNext(1, 401);
        alpha().post("/files/" + id + "/providers/kimi").then().statusCode(502)
                .body("detail", containsString("kimi")).body("detail", containsString("401"));
    }

    @Test
    void aFileOverTheProviderLimitIsRefusedBeforeUpload() {
        String id = FileApiTest.upload(FileApiTest.random(5_000_001, 17), "huge.pdf");
        alpha().post("/files/" + id + "/providers/glm").then().statusCode(413).contentType("application/problem+json");
        assertThat(fake.uploads.get()).isZero();
    }
}
