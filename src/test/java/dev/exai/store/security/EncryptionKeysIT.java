package dev.exai.store.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The configured encryption key on the packaged service, one database, one process after another: text and file bytes
 * stored plain are sealed in the background once a key is set; text sealed under
 * key 1 is refused clearly (a 500 problem naming the missing key, never sealed bytes) by a process without a key and by
 * one with a wrong key; a process given key 2 with key 1 as the previous key reads it and rewraps the data keys
 * (POST /admin/encryption/rewrap), without rewriting the sealed rows; after that key 2 alone (from a key file) reads
 * everything.
 */
class EncryptionKeysIT {

    private static final String ADMIN = "admin-key-for-encryption-0123456789";
    private static final String KEY_1 = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    private static final String KEY_2 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String WRONG = "/////////////////////////////////////////w8=";
    private static final String TENANT_KEY = "alpha:alpha-key-enc-0123";
    private static final Path FILES = Path.of("target", "it-files-encryption-" + System.nanoTime());

    @Test
    void sealedTextNeedsItsKeyAndARotationRewrapsOnlyTheDataKeys() throws Exception {
        String database = TestServers.createDatabase("exai_enc");
        String cid = "rotation-" + System.nanoTime();
        List<String> expected = List.of("the plan is ready", "the answer to it");
        String older = "older-" + System.nanoTime();
        byte[] fileBytes = ("tulip bulbs, planted in rows " + System.nanoTime() + "\n").repeat(5_000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(fileBytes));
        String fileId;
        try (AppProcess plain = start("enc-off", database, Map.of())) {
            plain.as("alpha-key-enc-0123").body(Map.of("continuation_id", older, "title", "written before")).post("/sessions")
                    .then().statusCode(201);
            plain.as("alpha-key-enc-0123").body(List.of(Map.of("role", "user", "content", "an older question about tulips"),
                    Map.of("role", "assistant", "status", "streaming"))).post("/sessions/" + older + "/messages").then().statusCode(201);
            plain.as("alpha-key-enc-0123").body(Map.of("index", 0, "content", "tulips grow"))
                    .post("/sessions/" + older + "/messages/2/chunks").then().statusCode(200);
            fileId = plain.as("alpha-key-enc-0123").contentType("application/octet-stream").queryParam("filename", "tulips.txt")
                    .body(fileBytes).post("/files").then().statusCode(201).extract().path("id");
        }
        assertThat(plainRows(database)).isPositive();
        Path plainBlob = FILES.resolve("blobs").resolve(sha.substring(0, 2)).resolve(sha.substring(2, 4)).resolve(sha);
        assertThat(Files.readAllBytes(plainBlob)).isEqualTo(fileBytes);
        try (AppProcess first = start("enc-1", database, Map.of("EXAI_STORE_ENCRYPTION_KEY", KEY_1, "EXAI_STORE_ENCRYPTION_SEAL_EVERY", "1s"))) {
            // the rows written before are sealed in the background, and read and found as before
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (plainRows(database) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(plainRows(database)).as("plain rows left after 30 s").isZero();
            // and the bytes of the file stored before, into a blob of the tenant's; the plain blob is gone
            assertThat(Files.exists(plainBlob)).as("the plain blob").isFalse();
            assertThat(first.as("alpha-key-enc-0123").get("/files/" + fileId + "/content").then().statusCode(200).extract().asByteArray())
                    .isEqualTo(fileBytes);
            first.as("alpha-key-enc-0123").get("/sessions/" + older + "/messages").then().statusCode(200)
                    .body("items.content", equalTo(List.of("an older question about tulips", "tulips grow")));
            first.as("alpha-key-enc-0123").get("/messages/search?q=tulip&continuation_id=" + older).then().statusCode(200)
                    .body("items.seq", equalTo(List.of(1)));
            first.as("alpha-key-enc-0123").get("/sessions?q=before").then().statusCode(200)
                    .body("items.continuation_id", equalTo(List.of(older)));

            first.as("alpha-key-enc-0123").body(Map.of("continuation_id", cid, "title", "rotation title")).post("/sessions")
                    .then().statusCode(201);
            first.as("alpha-key-enc-0123").body(List.of(Map.of("role", "user", "content", expected.get(0)),
                    Map.of("role", "assistant", "content", expected.get(1)))).post("/sessions/" + cid + "/messages").then().statusCode(201);
        }
        List<String> sealedBefore = storedContents(database, cid);
        assertThat(sealedBefore).allSatisfy(stored -> assertThat(stored).startsWith("\u0001E1:").doesNotContain("plan"));

        try (AppProcess keyless = start("enc-none", database, Map.of())) {
            keyless.as("alpha-key-enc-0123").get("/sessions/" + cid + "/messages").then().statusCode(500)
                    .contentType("application/problem+json").body("detail", containsString("EXAI_STORE_ENCRYPTION_KEY"))
                    .body("detail", containsString("not set"));
            keyless.as("alpha-key-enc-0123").get("/files/" + fileId + "/content").then().statusCode(500)
                    .contentType("application/problem+json").body("detail", containsString("not set"));
        }
        try (AppProcess wrong = start("enc-wrong", database, Map.of("EXAI_STORE_ENCRYPTION_KEY", WRONG))) {
            wrong.as("alpha-key-enc-0123").get("/sessions/" + cid).then().statusCode(500)
                    .contentType("application/problem+json").body("detail", containsString("wrapped by key"));
            wrong.as("alpha-key-enc-0123").get("/sessions/" + cid + "/messages").then().statusCode(500)
                    .contentType("application/problem+json");
            wrong.as("alpha-key-enc-0123").get("/files/" + fileId + "/content").then().statusCode(500)
                    .contentType("application/problem+json").body("detail", containsString("wrapped by key"));
        }
        try (AppProcess rotating = start("enc-rotate", database,
                Map.of("EXAI_STORE_ENCRYPTION_KEY", KEY_2, "EXAI_STORE_ENCRYPTION_PREVIOUS_KEYS", KEY_1))) {
            rotating.as("alpha-key-enc-0123").get("/sessions/" + cid + "/messages").then().statusCode(200)
                    .body("items.content", equalTo(expected));
            rotating.as("alpha-key-enc-0123").get("/messages/search?q=plan").then().statusCode(200).body("items.seq", equalTo(List.of(1)));
            rotating.as("alpha-key-enc-0123").post("/admin/encryption/rewrap").then().statusCode(403);
            ProcessBuilder script = new ProcessBuilder("bash", "ops/rotate-key", rotating.url()).redirectErrorStream(true);
            script.environment().put("EXAI_STORE_ADMIN_KEY", ADMIN);
            Process run = script.start();
            String output = new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(run.waitFor()).as(output).isZero();
            assertThat(output).contains("\"rewrapped\":1").contains("\"unreadable\":0");
            rotating.as(ADMIN).post("/admin/encryption/rewrap").then().statusCode(200).body("rewrapped", equalTo(0));
            rotating.as(ADMIN).get("/admin/audit?action=key.rewrap").then().statusCode(200).body("items.size()", equalTo(1))
                    .body("items[0].tenant", equalTo("alpha")).body("items[0].key_id", equalTo("admin"));
        }
        assertThat(storedContents(database, cid)).as("the sealed rows are not rewritten").isEqualTo(sealedBefore);
        // key 2 alone, given as a file (a mounted secret)
        Path keyFile = Files.createTempFile("exai-key", ".txt");
        Files.writeString(keyFile, KEY_2 + "\n");
        try (AppProcess rotated = start("enc-2", database, Map.of("EXAI_STORE_ENCRYPTION_KEY_FILE", keyFile.toString()))) {
            rotated.as("alpha-key-enc-0123").get("/sessions/" + cid + "/messages").then().statusCode(200)
                    .body("items.content", equalTo(expected));
            rotated.as("alpha-key-enc-0123").get("/sessions/" + cid).then().statusCode(200).body("title", equalTo("rotation title"));
            rotated.as("alpha-key-enc-0123").get("/messages/search?q=plan").then().statusCode(200).body("items.seq", equalTo(List.of(1)));
            assertThat(rotated.as("alpha-key-enc-0123").get("/files/" + fileId + "/content").then().statusCode(200).extract()
                    .asByteArray()).as("the sealed file after the rotation").isEqualTo(fileBytes);
        }
    }

    private static AppProcess start(String name, String database, Map<String, String> encryption) {
        Map<String, String> env = new HashMap<>(encryption);
        env.put("EXAI_STORE_ADMIN_KEY", ADMIN);
        env.put("EXAI_STORE_FILES_DIR", FILES.toString());
        return AppProcess.start(name, database, TENANT_KEY, env).awaitReady(Duration.ofSeconds(60));
    }

    /** Message texts, pieces and titles stored plain, and files whose blob is plain. */
    private static long plainRows(String database) throws Exception {
        try (Connection c = TestServers.connect(database); ResultSet rs = c.createStatement().executeQuery(
                "SELECT (SELECT count(*) FROM chat_messages WHERE content NOT LIKE E'\\001E1:%' AND status <> 'streaming')"
                        + " + (SELECT count(*) FROM files WHERE blob = sha256)"
                        + " + (SELECT count(*) FROM message_chunks WHERE content NOT LIKE E'\\001E1:%')"
                        + " + (SELECT count(*) FROM chat_sessions WHERE title NOT LIKE E'\\001E1:%')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> storedContents(String database, String cid) throws Exception {
        try (Connection c = TestServers.connect(database); ResultSet rs = c.createStatement().executeQuery(
                "SELECT m.content FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.continuation_id = '"
                        + cid + "' ORDER BY m.seq")) {
            List<String> contents = new java.util.ArrayList<>();
            while (rs.next()) {
                contents.add(rs.getString(1));
            }
            return contents;
        }
    }
}
