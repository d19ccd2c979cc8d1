package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The files volume fills up in the middle of an upload (a 3 MiB tmpfs mounted by the test, as root): the upload
 * answers 507 as problem+json and leaves no upload file, blob or row; everything else keeps working; once a file
 * is deleted and its space freed, the same upload succeeds.
 */
class FullDiskIT {

    private static final String KEY = "full-disk-test-key";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aFullVolumeAnswers507AndKeepsNothingOfTheUpload() throws Exception {
        Path volume = Path.of("target", "full-disk-volume").toAbsolutePath();
        Files.createDirectories(volume);
        run("umount", volume.toString());
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", volume.toString()) == 0,
                "mounting a tmpfs needs root; FullDiskIT skipped");
        String database = TestServers.createDatabase("exai_full_disk");
        try (AppProcess app = AppProcess.start("full-disk", database, "alpha:" + KEY,
                Map.of("EXAI_STORE_FILES_DIR", volume.toString())).awaitReady(Duration.ofSeconds(60))) {
            byte[] first = random(1_800_000, 1);
            byte[] second = random(1_600_000, 2);
            HttpResponse<String> stored = upload(app, "first.bin", first);
            assertThat(stored.statusCode()).isEqualTo(201);
            String firstId = stored.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");

            HttpResponse<String> full = upload(app, "second.bin", second);
            assertThat(full.statusCode()).isEqualTo(507);
            assertThat(full.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(full.body()).contains("\"status\":507").contains("files volume is full");
            Thread.sleep(300); // the partial upload file is deleted once its handle is closed
            try (Stream<Path> uploads = Files.list(volume.resolve("uploads"))) {
                assertThat(uploads.toList()).as("no partial upload file").isEmpty();
            }
            try (Stream<Path> blobs = Files.walk(volume.resolve("blobs"))) {
                assertThat(blobs.filter(Files::isRegularFile).count()).as("only the first file's blob").isEqualTo(1);
            }
            assertThat(count(database, "SELECT count(*) FROM files")).isEqualTo(1);
            assertThat(count(database, "SELECT count(*) FROM blobs")).isEqualTo(1);

            // everything else keeps working
            app.as(KEY).contentType("application/json").body("{\"role\":\"user\",\"content\":\"still here\"}")
                    .post("/sessions/full-disk/messages?create=true").then().statusCode(201);
            app.as(KEY).get("/sessions/full-disk/messages").then().statusCode(200);
            assertThat(app.as(KEY).get("/files/" + firstId + "/content").then().statusCode(200).extract().asByteArray())
                    .isEqualTo(first);

            // space freed: the same upload goes through
            app.as(KEY).delete("/files/" + firstId).then().statusCode(204);
            HttpResponse<String> retried = upload(app, "second.bin", second);
            assertThat(retried.statusCode()).isEqualTo(201);
            String secondId = retried.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
            assertThat(app.as(KEY).get("/files/" + secondId + "/content").then().statusCode(200).extract().asByteArray())
                    .isEqualTo(second);
        } finally {
            run("umount", volume.toString());
        }
    }

    /** A raw upload streamed without a declared length, as a client that does not know the size sends it. */
    private static HttpResponse<String> upload(AppProcess app, String filename, byte[] bytes) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/files?filename=" + filename))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long count(String database, String sql) throws Exception {
        try (var connection = TestServers.connect(database); ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor();
    }
}
