package dev.exai.store.file;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.FakeProviders;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Finding a file by content, files that expire, and the purge that deletes them: an expired file is gone for reads at
 * once, its blob stays while another file names the same bytes and while a provider upload of it is in flight.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class FileLifecycleTest {

    @Inject
    FilePurgeJob purgeJob;

    @AfterEach
    void reset() {
        FakeProviders.get().reset();
    }

    private static String uploadWithTtl(byte[] bytes, String name, long ttlSeconds) {
        return alpha().contentType("application/octet-stream").queryParam("filename", name).queryParam("ttl_seconds", ttlSeconds)
                .body(bytes).post("/files").then().statusCode(201).body("expires_at", notNullValue()).extract().path("id");
    }

    private static Path blob(String sha256) {
        return Path.of("target", "test-files", "blobs", sha256.substring(0, 2), sha256.substring(2, 4), sha256);
    }

    @Test
    void aFileIsFoundByItsContent() throws Exception {
        byte[] bytes = FileApiTest.random(700, 31);
        String sha = FileApiTest.sha256(bytes);
        String first = FileApiTest.upload(bytes, "a.bin");
        String second = FileApiTest.upload(bytes, "b.bin");
        assertThat(alpha().queryParam("sha256", sha).get("/files").then().statusCode(200).extract().jsonPath()
                .getList("items.id", String.class)).containsExactly(second, first);
        assertThat(alpha().queryParam("sha256", sha.toUpperCase()).get("/files").then().statusCode(200).extract().jsonPath()
                .getList("items.id", String.class)).containsExactly(second, first);
        beta().queryParam("sha256", sha).get("/files").then().statusCode(200).body("items.size()", equalTo(0));
        alpha().queryParam("sha256", "abc").get("/files").then().statusCode(400);
        alpha().get("/files/" + first).then().body("expires_at", nullValue());
    }

    @Test
    void anExpiredFileGoesAndItsBlobOnlyWithTheLastFileNamingIt() throws Exception {
        byte[] shared = FileApiTest.random(900, 32);
        String sha = FileApiTest.sha256(shared);
        String expiring = uploadWithTtl(shared, "expiring.bin", 1);
        String live = FileApiTest.upload(shared, "live.bin");
        byte[] alone = FileApiTest.random(500, 33);
        String aloneSha = FileApiTest.sha256(alone);
        String lonely = uploadWithTtl(alone, "alone.bin", 1);
        alpha().get("/files/" + expiring).then().statusCode(200);
        alpha().get("/files/" + lonely + "/content").then().statusCode(200);
        Thread.sleep(2100);

        // gone for reads at once, before any purge
        alpha().get("/files/" + expiring).then().statusCode(404);
        alpha().get("/files/" + lonely + "/content").then().statusCode(404);
        assertThat(alpha().queryParam("sha256", sha).get("/files").then().extract().jsonPath().getList("items.id", String.class))
                .containsExactly(live);

        purgeJob.purge().await().atMost(Duration.ofSeconds(30));
        assertThat(blob(aloneSha)).doesNotExist();
        assertThat(blob(sha)).exists();
        assertThat(alpha().get("/files/" + live + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(shared);
        alpha().delete("/files/" + live).then().statusCode(204);
        assertThat(blob(sha)).doesNotExist();

        alpha().contentType("application/octet-stream").queryParam("filename", "x").queryParam("ttl_seconds", 0).body(alone)
                .post("/files").then().statusCode(400);
    }

    @Test
    void anExpiredFileWaitsForItsProviderUploadInFlight() throws Exception {
        FakeProviders fake = FakeProviders.get();
        byte[] bytes = FileApiTest.random(1200, 34);
        String sha = FileApiTest.sha256(bytes);
        String id = uploadWithTtl(bytes, "slow.pdf", 3600);
        fake.slowUploads(1200); // well under the 2 s provider timeout of the test profile
        CompletableFuture<Integer> upload = CompletableFuture.supplyAsync(() ->
                alpha().post("/files/" + id + "/providers/kimi").then().extract().statusCode());
        // once the provider holds the upload (it waits 1.2 s before answering), the file expires and the purge runs
        while (fake.uploadsStarted.get() == 0) {
            Thread.sleep(10);
        }
        TestServers.execute(StoreTestResource.database(), "UPDATE files SET expires_at = now() WHERE id = '" + id + "'");
        purgeJob.purge().await().atMost(Duration.ofSeconds(30));
        assertThat(blob(sha)).exists();
        // the upload finished at the provider; by then the file had expired, so its answer is the file's 404
        assertThat(upload.get()).isEqualTo(404);
        assertThat(fake.uploads.get()).isEqualTo(1);
        purgeJob.purge().await().atMost(Duration.ofSeconds(30));
        assertThat(blob(sha)).doesNotExist();
    }
}
