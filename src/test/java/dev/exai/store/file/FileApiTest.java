package dev.exai.store.file;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import jakarta.inject.Inject;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class FileApiTest {

    private static final Path FILES = Path.of("target", "test-files");

    @Inject
    BlobStore blobs;

    @Test
    void twelveMegabytesBothWaysRangeAndConditionalGet() throws Exception {
        byte[] bytes = random(12 * 1024 * 1024, 1);
        String sha = sha256(bytes);
        String raw = alpha().contentType("application/octet-stream").queryParam("filename", "data.bin").body(bytes)
                .post("/files").then().statusCode(201)
                .header("Location", org.hamcrest.Matchers.startsWith("/files/")).extract().path("id");
        String multipart = given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                .multiPart("file", "data.bin", bytes, "application/octet-stream").multiPart("purpose", "assistants")
                .post("/files").then().statusCode(201).body("sha256", equalTo(sha)).body("purpose", equalTo("assistants"))
                .extract().path("id");
        for (String id : new String[] {raw, multipart}) {
            alpha().get("/files/" + id).then().statusCode(200).body("size", equalTo(bytes.length)).body("sha256", equalTo(sha));
            byte[] back = alpha().get("/files/" + id + "/content").then().statusCode(200)
                    .header("ETag", "\"" + sha + "\"").header("X-Content-Type-Options", "nosniff")
                    .header("Content-Length", String.valueOf(bytes.length))
                    .extract().asByteArray();
            assertThat(sha256(back)).isEqualTo(sha);
        }
        byte[] slice = alpha().header("Range", "bytes=1000-1999").get("/files/" + raw + "/content").then().statusCode(206)
                .header("Content-Range", "bytes 1000-1999/" + bytes.length).extract().asByteArray();
        assertThat(slice).isEqualTo(Arrays.copyOfRange(bytes, 1000, 2000));
        byte[] tail = alpha().header("Range", "bytes=-10").get("/files/" + raw + "/content").then().statusCode(206).extract().asByteArray();
        assertThat(tail).isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 10, bytes.length));
        alpha().header("Range", "bytes=" + bytes.length + "-").get("/files/" + raw + "/content").then().statusCode(416)
                .header("Content-Range", "bytes */" + bytes.length).contentType("application/problem+json");
        alpha().header("If-None-Match", "\"" + sha + "\"").get("/files/" + raw + "/content").then().statusCode(304);
    }

    @Test
    void oneByteOverTheLimitLeavesNothing() throws Exception {
        byte[] over = random(20_000_001, 2);
        String sha = sha256(over);
        // declared length: refused before reading
        alpha().contentType("application/octet-stream").queryParam("filename", "big.bin").body(over)
                .post("/files").then().statusCode(413).contentType("application/problem+json");
        // chunked, no declared length: cut off while streaming
        HttpResponse<String> chunked = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + "/files?filename=big.bin"))
                .header("Authorization", "Bearer " + Api.ALPHA_KEY).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(over))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("\"status\":413");
        Thread.sleep(300);
        assertThat(countRows("SELECT count(*) FROM files WHERE sha256 = '" + sha + "'")).isZero();
        assertThat(countRows("SELECT count(*) FROM blobs WHERE name = '" + sha + "'")).isZero();
        assertThat(blobs.exists(sha)).isFalse();
        try (Stream<Path> uploads = Files.list(FILES.resolve("uploads"))) {
            assertThat(uploads.toList()).isEmpty();
        }
    }

    @Test
    void sameBytesOneBlobDeletedWithTheLastFile() throws Exception {
        byte[] bytes = random(100_000, 3);
        String sha = sha256(bytes);
        String a = upload(bytes, "a.bin");
        String b = upload(bytes, "b.bin");
        assertThat(blobs.exists(sha)).isTrue();
        assertThat(countRows("SELECT count(*) FROM blobs WHERE name = '" + sha + "'")).isEqualTo(1);
        alpha().delete("/files/" + a).then().statusCode(204);
        alpha().get("/files/" + a).then().statusCode(404);
        assertThat(sha256(alpha().get("/files/" + b + "/content").then().statusCode(200).extract().asByteArray())).isEqualTo(sha);
        alpha().delete("/files/" + b).then().statusCode(204);
        assertThat(blobs.exists(sha)).isFalse();
        assertThat(countRows("SELECT count(*) FROM blobs WHERE name = '" + sha + "'")).isZero();
    }

    @Test
    void hostileFilenamesAreMetadataOnlyAndComeBackQuoted() throws Exception {
        String[] names = {"../../etc/passwd", "nul\u0000and\u0007bell\r\n.txt", "x".repeat(1000) + ".txt", "résumé – 履歴書.pdf", "quote\"back\\slash.txt"};
        for (String name : names) {
            byte[] bytes = ("content of " + name).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String id = given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                    .multiPart("file", name, bytes, "text/plain").post("/files").then().statusCode(201).extract().path("id");
            String stored = alpha().get("/files/" + id).then().statusCode(200).extract().path("filename");
            assertThat(stored).doesNotContain("\u0000", "\u0007", "\r", "\n");
            String disposition = alpha().get("/files/" + id + "/content").then().statusCode(200).extract().header("Content-Disposition");
            assertThat(disposition).startsWith("attachment; filename=\"").contains("filename*=UTF-8''");
            String quoted = disposition.substring(disposition.indexOf('"') + 1, disposition.indexOf("\"; filename*"));
            assertThat(quoted).matches("[\\x20-\\x7e]*").doesNotContain("\"", "\\");
        }
        assertThat(Files.exists(FILES.resolve("etc"))).isFalse();
        assertThat(Files.exists(Path.of("target", "etc"))).isFalse();
    }

    @Test
    void aFilenameKeepsOnlyItsLastPathSegmentWhicheverTheSeparator() {
        String[][] cases = {{"../../etc/passwd", "passwd"}, {"..\\..\\Windows\\win.ini", "win.ini"},
                {"C:\\Users\\me/mixed\\report.pdf", "report.pdf"}, {"/abs/path/notes.txt", "notes.txt"}, {"some/dir/", "dir"}};
        for (String[] c : cases) {
            String id = given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                    .multiPart("file", c[0], "x".getBytes(), "text/plain").post("/files").then().statusCode(201)
                    .body("filename", equalTo(c[1])).extract().path("id");
            alpha().get("/files/" + id + "/content").then().statusCode(200)
                    .header("Content-Disposition", equalTo("attachment; filename=\"" + c[1] + "\"; filename*=UTF-8''" + c[1]));
            alpha().contentType("text/plain").queryParam("filename", c[0]).body("y".getBytes()).post("/files").then()
                    .statusCode(201).body("filename", equalTo(c[1]));
        }
        alpha().contentType("text/plain").queryParam("filename", "/\\/").body("z".getBytes()).post("/files").then()
                .statusCode(400).contentType("application/problem+json").body("detail", org.hamcrest.Matchers.containsString("path separators"));
        alpha().contentType("application/octet-stream").queryParam("filename", "y".repeat(1025)).body(new byte[] {1})
                .post("/files").then().statusCode(400);
    }

    @Test
    void contentTypeIsCheckedAgainstTheBytes() {
        byte[] pdf = "%PDF-1.7\n...".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        alpha().contentType("image/png").queryParam("filename", "x.png").body(pdf).post("/files").then().statusCode(201)
                .body("content_type", equalTo("application/pdf"));
        alpha().contentType("text/html").queryParam("filename", "x.html").body(new byte[] {0, 1, 2, (byte) 0xff}).post("/files")
                .then().statusCode(201).body("content_type", equalTo("application/octet-stream"));
        alpha().contentType("text/markdown").queryParam("filename", "x.md").body("# hi".getBytes()).post("/files").then().statusCode(201)
                .body("content_type", equalTo("text/markdown"));
    }

    @Test
    void anotherTenantsFileDoesNotExist() {
        String id = upload(random(1000, 4), "mine.bin");
        beta().get("/files/" + id).then().statusCode(404).contentType("application/problem+json");
        beta().get("/files/" + id + "/content").then().statusCode(404);
        beta().delete("/files/" + id).then().statusCode(404);
        beta().post("/files/" + id + "/providers/kimi").then().statusCode(404);
        beta().get("/files/" + id + "/providers/kimi/content").then().statusCode(404);
        beta().get("/files").then().statusCode(200).body("items.id", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(id)));
        alpha().get("/files/" + id).then().statusCode(200);
        given().get("/files/" + id).then().statusCode(401);
        given().contentType("application/octet-stream").queryParam("filename", "x").body(new byte[] {1}).post("/files").then().statusCode(401)
                .contentType("application/problem+json");
    }

    @Test
    void idempotentUploadAndListingBySession() {
        String session = Api.newId();
        byte[] bytes = random(5000, 5);
        String first = alpha().header("Idempotency-Key", "up-" + session).contentType("application/octet-stream")
                .queryParam("filename", "k.bin").queryParam("session_id", session).body(bytes).post("/files")
                .then().statusCode(201).extract().path("id");
        alpha().header("Idempotency-Key", "up-" + session).contentType("application/octet-stream")
                .queryParam("filename", "k.bin").queryParam("session_id", session).body(bytes).post("/files")
                .then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(first));
        alpha().header("Idempotency-Key", "up-" + session).contentType("application/octet-stream")
                .queryParam("filename", "other.bin").body(bytes).post("/files").then().statusCode(422);
        alpha().queryParam("session_id", session).get("/files").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("items[0].id", equalTo(first)).body("next_cursor", equalTo(null));
    }

    @Test
    void aMultipartFieldSplitBetweenCrAndLfKeepsItsValue() throws Exception {
        // Netty's multipart decoder keeps the CR when a network chunk ends right before the boundary's LF
        String head = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                + "hello\r\n--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r";
        String tail = "\n--B--\r\n";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            var out = socket.getOutputStream();
            out.write(("POST /files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + Api.ALPHA_KEY
                    + "\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: " + (head.length() + tail.length())
                    + "\r\nConnection: close\r\n\r\n" + head).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300); // the rest arrives as a second chunk
            out.write(tail.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 201").contains("\"purpose\":\"assistants\"");
        }
    }

    static String upload(byte[] bytes, String name) {
        return alpha().contentType("application/octet-stream").queryParam("filename", name).body(bytes)
                .post("/files").then().statusCode(201).extract().path("id");
    }

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static long countRows(String sql) throws Exception {
        try (var c = TestServers.connect(StoreTestResource.database()); var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
