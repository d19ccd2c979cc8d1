package dev.exai.store.security;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.FakeProviders;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Encryption at rest of file bytes (docs/security.md): with a key configured, a file's bytes are sealed in the blob
 * store, read back whole and by any range (across segment boundaries too), reach a provider plain, are stored once per
 * tenant (not once per store), and a blob altered on disk is refused with a clear error rather than served.
 */
@QuarkusTest
@TestProfile(EncryptionAtRestTest.Encrypted.class)
@QuarkusTestResource(StoreTestResource.class)
class EncryptedFilesTest {

    private static final Path FILES = Path.of("target", "test-files");

    @Test
    void fileBytesAreSealedInTheBlobStoreAndReadBackPlain() throws Exception {
        long started = System.currentTimeMillis();
        String marker = "zf" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        byte[] bytes = withMarkers(200_000, marker);
        String sha = sha256(bytes);
        String id = upload(alpha(), bytes, "notes.txt");
        alpha().get("/files/" + id).then().statusCode(200).body("sha256", equalTo(sha)).body("size", equalTo(bytes.length))
                .body("$", not(hasKey("blob"))); // where the bytes are stored is never shown
        assertThat(alpha().get("/files/" + id + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);
        // ranges: inside the first segment, across the first boundary (65536), the suffix, the last byte
        for (long[] range : new long[][] {{0, 9}, {65_530, 65_545}, {65_536, 131_072}, {199_990, 199_999}, {199_999, 199_999}}) {
            byte[] part = alpha().header("Range", "bytes=" + range[0] + "-" + range[1]).get("/files/" + id + "/content")
                    .then().statusCode(206).extract().asByteArray();
            assertThat(part).as("bytes %d-%d", range[0], range[1]).isEqualTo(Arrays.copyOfRange(bytes, (int) range[0], (int) range[1] + 1));
        }
        assertThat(alpha().header("Range", "bytes=-20").get("/files/" + id + "/content").then().statusCode(206).extract().asByteArray())
                .isEqualTo(Arrays.copyOfRange(bytes, bytes.length - 20, bytes.length));

        // stored once per tenant: the tenant's second copy shares the blob, another tenant's has its own
        String again = upload(alpha(), bytes, "again.txt");
        String other = upload(beta(), bytes, "theirs.txt");
        String blob = blobOf(id);
        assertThat(blob).isNotEqualTo(sha).isEqualTo(blobOf(again));
        assertThat(blobOf(other)).isNotEqualTo(blob).isNotEqualTo(sha);
        assertThat(beta().get("/files/" + other + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);

        // the Supabase door's objects are sealed the same way
        byte[] objectBytes = withMarkers(70_000, marker);
        String bucket = "enc-" + UUID.randomUUID().toString().substring(0, 8);
        storage().contentType("application/json").body(Map.of("id", bucket, "name", bucket)).post("/storage/v1/bucket").then().statusCode(200);
        String objectId = storage().multiPart("file", "o.txt", objectBytes, "text/plain").post("/storage/v1/object/" + bucket + "/o.txt")
                .then().statusCode(200).extract().path("Id");
        assertThat(storage().get("/storage/v1/object/" + bucket + "/o.txt").then().statusCode(200).extract().asByteArray()).isEqualTo(objectBytes);
        assertThat(blobOf(objectId)).isNotEqualTo(sha256(objectBytes));

        // an empty file is one empty sealed segment
        String empty = upload(alpha(), new byte[0], "empty.txt");
        assertThat(blobOf(empty)).isNotEqualTo(sha256(new byte[0]));
        assertThat(unchecked().get("/files/" + empty + "/content").then().statusCode(200).extract().asByteArray()).isEmpty();

        // a provider receives the plain bytes
        FakeProviders.get().reset();
        alpha().post("/files/" + id + "/providers/kimi").then().statusCode(201);
        assertThat(EncryptionAtRestTest.indexOf(FakeProviders.get().lastUpload, bytes)).isNotNegative();
        // and the text it extracted is kept sealed, served plain
        alpha().get("/files/" + id + "/providers/kimi/content").then().statusCode(200)
                .body("content", equalTo("text extracted from notes.txt"));
        try (Connection c = TestServers.connect(StoreTestResource.database()); ResultSet rs = c.createStatement().executeQuery(
                "SELECT extracted_text FROM file_providers WHERE file_id = '" + id + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).startsWith("\u0001E1:").doesNotContain("notes.txt");
        }

        // nowhere in the files directory (uploads on their way, local blobs) nor in the blob store
        assertThat(EncryptionAtRestTest.filesHolding(FILES, marker, started - 5_000)).as("files holding the marker").isEmpty();
        assertThat(EncryptionAtRestTest.filesHolding(blobStore(), marker, started - 5_000)).as("blobs holding the marker").isEmpty();
        assertThat(Files.exists(blobPath(blob))).isTrue();
    }

    @Test
    void aBlobAlteredOnDiskIsRefusedNotServed() throws Exception {
        byte[] bytes = withMarkers(100_000, "zalter" + UUID.randomUUID().toString().substring(0, 8));
        String id = upload(alpha(), bytes, "altered.txt");
        Path blob = blobPath(blobOf(id));
        byte[] sealed = Files.readAllBytes(blob);
        sealed[40] ^= 1; // a byte of the first segment
        blob.toFile().setWritable(true);
        Files.write(blob, sealed);
        unchecked().get("/files/" + id + "/content").then().statusCode(500).contentType("application/problem+json")
                .body("type", containsString("encryption-key")).body("detail", containsString("altered"));
        // the second segment is untouched: a range of it still opens
        alpha().header("Range", "bytes=70000-70009").get("/files/" + id + "/content").then().statusCode(206);
    }

    /**
     * Alpha's requests without the OpenAPI check, for answers the document leaves out: an empty body, and the 500 every
     * route may answer when stored data cannot be decrypted (API.md, "Encryption at rest").
     */
    private static RequestSpecification unchecked() {
        return given().header("Authorization", "Bearer " + Api.ALPHA_KEY);
    }

    private static RequestSpecification storage() {
        return given().header("apikey", Api.ALPHA_KEY).header("Authorization", "Bearer " + Api.ALPHA_KEY);
    }

    private static String upload(RequestSpecification as, byte[] bytes, String name) {
        return as.contentType("application/octet-stream").queryParam("filename", name).body(bytes)
                .post("/files").then().statusCode(201).extract().path("id");
    }

    /** {@code size} bytes of random text with the marker every 10,000 bytes and once across the first segment boundary. */
    private static byte[] withMarkers(int size, String marker) {
        Random random = new Random();
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (random.nextInt(8) == 0 ? ' ' : 'a' + random.nextInt(26));
        }
        byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
        for (int at = 100; at + m.length <= size; at += 10_000) {
            System.arraycopy(m, 0, out, at, m.length);
        }
        if (size > 65_536 + m.length) {
            System.arraycopy(m, 0, out, 65_536 - m.length / 2, m.length);
        }
        return out;
    }

    private static String blobOf(String fileId) throws Exception {
        try (Connection c = TestServers.connect(StoreTestResource.database());
             ResultSet rs = c.createStatement().executeQuery("SELECT blob FROM files WHERE id = '" + fileId + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /** Where the blob store keeps its bytes: the local store's directory. */
    protected Path blobStore() {
        return FILES.resolve("blobs");
    }

    /** The file that holds a blob's bytes. */
    protected Path blobPath(String name) {
        return blobStore().resolve(name.substring(0, 2)).resolve(name.substring(2, 4)).resolve(name);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
