package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * ops/backup taken while appends, uploads and deletes run, restored by ops/restore into a fresh database and files
 * directory: every message and file acknowledged before the backup began is there, with the file bytes matching
 * their sha256; no row points to a missing blob; the restored service starts, reads, searches and appends.
 */
class BackupRestoreIT {

    private static final String KEY = "backup-test-key";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final Map<String, Long> messages = new ConcurrentHashMap<>(); // content -> when acknowledged (nanoTime)
    private final Map<String, String> uploaded = new ConcurrentHashMap<>(); // file id -> sha256, for kept files
    private final Map<String, Long> uploadedAt = new ConcurrentHashMap<>();
    private final Map<String, Integer> uploadAnswers = new ConcurrentHashMap<>(); // status or failure -> count

    @Test
    void aBackupUnderLoadRestoresEverythingAcknowledgedBeforeIt() throws Exception {
        Assumptions.assumeTrue(onPath("pg_dump") && onPath("pg_restore") && onPath("psql"),
                "pg_dump, pg_restore and psql are needed; BackupRestoreIT skipped");
        Path root = Path.of("target", "backup-it", UUID.randomUUID().toString()).toAbsolutePath();
        Path files = root.resolve("files");
        Path backup = root.resolve("backup");
        Path restoredFiles = root.resolve("restored-files");
        Files.createDirectories(files);
        String database = TestServers.createDatabase("exai_backup");
        long backupBegan;
        try (AppProcess app = AppProcess.start("backup", database, "alpha:" + KEY, Map.of("EXAI_STORE_FILES_DIR", files.toString()))
                .awaitReady(Duration.ofSeconds(60))) {
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService load = Executors.newFixedThreadPool(3);
            for (int t = 0; t < 2; t++) {
                int thread = t;
                load.submit(() -> append(app, thread, running));
            }
            var uploads = load.submit(() -> uploadAndDelete(app, running));
            Thread.sleep(3000);
            backupBegan = System.nanoTime();
            assertThat(script(Path.of("ops", "backup"), backup.toString(), database, files)).as("ops/backup").isZero();
            Thread.sleep(500);
            running.set(false);
            load.shutdown();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            uploads.get(); // rethrows what stopped the uploader
        }
        List<String> messagesBefore = messages.entrySet().stream().filter(e -> e.getValue() < backupBegan).map(Map.Entry::getKey).toList();
        List<String> filesBefore = uploadedAt.entrySet().stream().filter(e -> e.getValue() < backupBegan).map(Map.Entry::getKey).toList();
        assertThat(messagesBefore).as("appends acknowledged before the backup").hasSizeGreaterThan(20);
        assertThat(filesBefore).as("uploads acknowledged before the backup; answers: %s", uploadAnswers).hasSizeGreaterThan(3);

        String restored = TestServers.createDatabase("exai_restored");
        assertThat(script(Path.of("ops", "restore"), backup.toString(), restored, restoredFiles)).as("ops/restore").isZero();
        try (var connection = TestServers.connect(restored);
             ResultSet blobs = connection.createStatement().executeQuery("SELECT name FROM blobs")) {
            while (blobs.next()) {
                String sha = blobs.getString(1);
                assertThat(restoredFiles.resolve("blobs").resolve(sha.substring(0, 2)).resolve(sha.substring(2, 4)).resolve(sha))
                        .as("every blob row has its bytes").isRegularFile();
            }
        }

        try (AppProcess app = AppProcess.start("restored", restored, "alpha:" + KEY, Map.of("EXAI_STORE_FILES_DIR", restoredFiles.toString()))
                .awaitReady(Duration.ofSeconds(60))) {
            Set<String> stored = new TreeSet<>();
            for (int t = 0; t < 2; t++) {
                stored.addAll(history(app, "backup-" + t));
            }
            assertThat(stored).as("every append acknowledged before the backup").containsAll(messagesBefore);
            for (String id : filesBefore) {
                byte[] bytes = app.as(KEY).get("/files/" + id + "/content").then().statusCode(200).extract().asByteArray();
                assertThat(sha256(bytes)).as("file " + id).isEqualTo(uploaded.get(id));
            }
            assertThat(app.as(KEY).queryParam("q", "backup").get("/messages/search").then().statusCode(200)
                    .extract().jsonPath().getList("items")).isNotEmpty();
            int last = app.as(KEY).queryParam("last", 1).get("/sessions/backup-0/messages").then().statusCode(200)
                    .extract().jsonPath().getInt("items[0].seq");
            app.as(KEY).contentType("application/json").body("{\"role\":\"user\",\"content\":\"after the restore\"}")
                    .post("/sessions/backup-0/messages").then().statusCode(201)
                    .body("seq", org.hamcrest.Matchers.equalTo(last + 1));
        }
    }

    private void append(AppProcess app, int thread, AtomicBoolean running) {
        for (int n = 0; running.get(); n++) {
            String content = "backup message " + thread + "-" + n;
            try {
                HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/sessions/backup-" + thread + "/messages?create=true"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"role\":\"user\",\"content\":\"" + content + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 201) {
                    messages.put(content, System.nanoTime());
                }
            } catch (Exception e) {
                // not acknowledged: nothing is expected of it
            }
        }
    }

    /** Uploads files of 20-200 KB; every fourth is deleted right away (its row may be in the dump, its blob not). */
    private void uploadAndDelete(AppProcess app, AtomicBoolean running) {
        Random random = new Random(11);
        for (int n = 0; running.get(); n++) {
            byte[] bytes = new byte[20_000 + random.nextInt(180_000)];
            random.nextBytes(bytes);
            try {
                HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/files?filename=f" + n + ".bin"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                        HttpResponse.BodyHandlers.ofString());
                uploadAnswers.merge(answer.statusCode() + (answer.statusCode() == 201 ? "" : " " + answer.body()), 1, Integer::sum);
                if (answer.statusCode() != 201) {
                    continue;
                }
                String id = answer.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
                if (n % 4 == 3) {
                    HTTP.send(HttpRequest.newBuilder(URI.create(app.url() + "/files/" + id)).header("Authorization", "Bearer " + KEY)
                            .DELETE().build(), HttpResponse.BodyHandlers.discarding());
                } else {
                    uploaded.put(id, sha256(bytes));
                    uploadedAt.put(id, System.nanoTime());
                }
            } catch (Exception e) {
                uploadAnswers.merge(e.toString(), 1, Integer::sum); // not acknowledged
            }
        }
    }

    private static List<String> history(AppProcess app, String session) {
        List<String> contents = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonPath page = app.as(KEY).queryParam("after_seq", after).queryParam("limit", 1000)
                    .get("/sessions/" + session + "/messages").then().statusCode(200).extract().jsonPath();
            List<String> items = page.getList("items.content");
            if (items.isEmpty()) {
                return contents;
            }
            contents.addAll(items);
            after = page.getLong("items[-1].seq");
        }
    }

    private static int script(Path script, String directory, String database, Path files) throws Exception {
        String[] hostPort = TestServers.postgres().split(":");
        Path log = Path.of("target", "it-logs", "ops-" + script.getFileName() + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), directory).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = new HashMap<>(Map.of("PGHOST", hostPort[0], "PGPORT", hostPort[1], "PGUSER", "postgres",
                "PGDATABASE", database, "EXAI_STORE_FILES_DIR", files.toString()));
        builder.environment().putAll(env);
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    private static boolean onPath(String command) throws Exception {
        return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
