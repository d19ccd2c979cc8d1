package dev.exai.store.supabase;

import static dev.exai.store.testing.Api.alpha;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Supabase Storage's semantics and error shapes at /storage/v1, on the same files as the native API: buckets of a
 * tenant's own, objects that are files (listed by GET /files, the same bytes through both doors, stored once), signed
 * and public URLs, and each bad input answered in Storage's JSON with nothing stored.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class StorageDoorTest {

    private static RequestSpecification storage(String key) {
        return given().header("apikey", key).header("Authorization", "Bearer " + key).header("Accept", "*/*");
    }

    private static RequestSpecification alphaStorage() {
        return storage(Api.ALPHA_KEY);
    }

    private static void storageError(Response answer, int status, String error) {
        assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(status);
        Map<String, Object> body = answer.jsonPath().getMap("");
        assertThat(body).containsOnlyKeys("statusCode", "error", "message");
        assertThat(body.get("statusCode")).isEqualTo(String.valueOf(status));
        assertThat(body.get("error")).isEqualTo(error);
    }

    private static String bucket(RequestSpecification as, Map<String, Object> options) {
        String id = "b-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> body = new java.util.HashMap<>(options);
        body.put("id", id);
        body.put("name", id);
        as.contentType("application/json").body(body).post("/storage/v1/bucket").then().statusCode(200).body("name", equalTo(id));
        return id;
    }

    /** As supabase-py uploads: multipart, one part named file, typed text/plain whatever the bytes. */
    private static Response upload(RequestSpecification as, String bucket, String name, byte[] bytes, boolean upsert) {
        return as.header("x-upsert", String.valueOf(upsert)).header("cache-control", "3600")
                .multiPart("file", name.substring(name.lastIndexOf('/') + 1), bytes, "text/plain;charset=UTF-8")
                .post("/storage/v1/object/" + bucket + "/" + name);
    }

    @Test
    void anObjectIsAFileThroughBothDoors() {
        String bucket = bucket(alphaStorage(), Map.of());
        byte[] bytes = ("report " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        String id = upload(alphaStorage(), bucket, "docs/a b.txt", bytes, false).then().statusCode(200)
                .body("Key", equalTo(bucket + "/docs/a b.txt")).extract().path("Id");
        // the native API lists and serves the same file
        alpha().get("/files/" + id).then().statusCode(200).body("filename", equalTo("a b.txt")).body("size", equalTo(bytes.length));
        assertThat(alpha().get("/files/" + id + "/content").then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);
        assertThat(alpha().get("/files?limit=200").then().statusCode(200).extract().<List<String>>path("items.id")).contains(id);
        // the door downloads it, encoded or not
        assertThat(alphaStorage().urlEncodingEnabled(false).get("/storage/v1/object/" + bucket + "/docs/a%20b.txt").then().statusCode(200).extract().asByteArray())
                .isEqualTo(bytes);
        alphaStorage().urlEncodingEnabled(false).head("/storage/v1/object/" + bucket + "/docs/a%20b.txt").then().statusCode(200);
        alphaStorage().get("/storage/v1/object/info/" + bucket + "/docs/a b.txt").then().statusCode(200)
                .body("id", equalTo(id)).body("size", equalTo(bytes.length)).body("bucket_id", equalTo(bucket));

        // a second upload to the same name is Storage's Duplicate, and stores nothing
        storageError(upload(alphaStorage(), bucket, "docs/a b.txt", "other".getBytes(StandardCharsets.UTF_8), false), 409, "Duplicate");
        // x-upsert replaces it: the old file is gone, the name serves the new bytes
        String replaced = upload(alphaStorage(), bucket, "docs/a b.txt", "new bytes".getBytes(StandardCharsets.UTF_8), true)
                .then().statusCode(200).extract().path("Id");
        alpha().get("/files/" + id).then().statusCode(404);
        assertThat(alphaStorage().get("/storage/v1/object/" + bucket + "/docs/a b.txt").asString()).isEqualTo("new bytes");

        // copy keeps one blob (same sha256), move renames, listing shows a level with its folders
        alphaStorage().contentType("application/json").body(Map.of("bucketId", bucket, "sourceKey", "docs/a b.txt", "destinationKey", "c.txt"))
                .post("/storage/v1/object/copy").then().statusCode(200).body("Key", equalTo(bucket + "/c.txt"));
        alphaStorage().contentType("application/json").body(Map.of("bucketId", bucket, "sourceKey", "c.txt", "destinationKey", "d.txt"))
                .post("/storage/v1/object/move").then().statusCode(200).body("message", equalTo("Successfully moved"));
        List<Map<String, Object>> root = alphaStorage().contentType("application/json")
                .body(Map.of("prefix", "", "limit", 100, "offset", 0, "sortBy", Map.of("column", "name", "order", "asc")))
                .post("/storage/v1/object/list/" + bucket).then().statusCode(200).extract().path("");
        assertThat(root).extracting(e -> e.get("name")).containsExactly("d.txt", "docs");
        assertThat(root.get(1).get("id")).isNull();
        String sha = alpha().get("/files/" + replaced).then().extract().path("sha256");
        assertThat(alpha().get("/files?sha256=" + sha).then().extract().<List<String>>path("items.id")).hasSize(2);
        List<Map<String, Object>> window = alphaStorage().contentType("application/json")
                .body(Map.of("prefix", "", "limit", 1, "offset", 1, "sortBy", Map.of("column", "name", "order", "desc")))
                .post("/storage/v1/object/list/" + bucket).then().statusCode(200).extract().path("");
        assertThat(window).extracting(e -> e.get("name")).containsExactly("d.txt");
        alphaStorage().contentType("application/json").body(Map.of("prefix", "docs"))
                .post("/storage/v1/object/list/" + bucket).then().statusCode(200).body("", hasSize(1)).body("[0].name", equalTo("a b.txt"));

        // removing objects deletes their files; removing again answers []
        alphaStorage().contentType("application/json").body(Map.of("prefixes", List.of("docs/a b.txt", "d.txt")))
                .delete("/storage/v1/object/" + bucket).then().statusCode(200).body("", hasSize(2));
        alpha().get("/files/" + replaced).then().statusCode(404);
        alphaStorage().contentType("application/json").body(Map.of("prefixes", List.of("d.txt")))
                .delete("/storage/v1/object/" + bucket).then().statusCode(200).body("", hasSize(0));
        storageError(alphaStorage().get("/storage/v1/object/" + bucket + "/d.txt"), 404, "not_found");
    }

    @Test
    void bucketsAreTheTenantsOwn() {
        String bucket = bucket(alphaStorage(), Map.of("public", false));
        alphaStorage().get("/storage/v1/bucket/" + bucket).then().statusCode(200).body("id", equalTo(bucket)).body("name", equalTo(bucket))
                .body("public", equalTo(false)).body("owner", equalTo("")).body("file_size_limit", nullValue())
                .body("allowed_mime_types", nullValue());
        assertThat(alphaStorage().get("/storage/v1/bucket").then().statusCode(200).extract().<List<String>>path("id")).contains(bucket);
        storageError(alphaStorage().contentType("application/json").body(Map.of("id", bucket, "name", bucket)).post("/storage/v1/bucket"),
                409, "Duplicate");
        // another tenant sees none of it, and may have a bucket of the same id
        storageError(storage(Api.BETA_KEY).get("/storage/v1/bucket/" + bucket), 404, "Bucket not found");
        storage(Api.BETA_KEY).contentType("application/json").body(Map.of("id", bucket, "name", bucket)).post("/storage/v1/bucket")
                .then().statusCode(200);
        upload(alphaStorage(), bucket, "x.txt", "alpha's".getBytes(StandardCharsets.UTF_8), false).then().statusCode(200);
        storageError(storage(Api.BETA_KEY).get("/storage/v1/object/" + bucket + "/x.txt"), 404, "not_found");
        assertThat(storage(Api.BETA_KEY).contentType("application/json").body(Map.of("prefix", ""))
                .post("/storage/v1/object/list/" + bucket).then().statusCode(200).extract().<List<Object>>path("")).isEmpty();

        // a bucket with objects is not deleted; emptied, it is
        storageError(alphaStorage().contentType("application/json").body("{}").delete("/storage/v1/bucket/" + bucket), 409, "InvalidRequest");
        alphaStorage().contentType("application/json").body("{}").post("/storage/v1/bucket/" + bucket + "/empty").then().statusCode(200)
                .body("message", equalTo("Successfully emptied"));
        alphaStorage().contentType("application/json").body("{}").delete("/storage/v1/bucket/" + bucket).then().statusCode(200)
                .body("message", equalTo("Successfully deleted"));
        storageError(alphaStorage().get("/storage/v1/bucket/" + bucket), 404, "Bucket not found");
        storageError(upload(alphaStorage(), bucket, "y.txt", "late".getBytes(StandardCharsets.UTF_8), false), 404, "Bucket not found");
    }

    @Test
    void bucketLimitsRefuseWithStoragesErrors() {
        String bucket = bucket(alphaStorage(), Map.of("file_size_limit", 10, "allowed_mime_types", List.of("text/*")));
        storageError(upload(alphaStorage(), bucket, "big.txt", "more than ten bytes".getBytes(StandardCharsets.UTF_8), false),
                413, "Payload too large");
        storageError(alphaStorage().contentType("image/png").body(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
                .post("/storage/v1/object/" + bucket + "/p.png"), 415, "invalid_mime_type");
        alphaStorage().contentType("application/json").body(Map.of("file_size_limit", "1MB", "allowed_mime_types", List.of("image/png")))
                .put("/storage/v1/bucket/" + bucket).then().statusCode(200).body("message", equalTo("Successfully updated"));
        alphaStorage().get("/storage/v1/bucket/" + bucket).then().body("file_size_limit", equalTo(1048576))
                .body("allowed_mime_types[0]", equalTo("image/png"));
        assertThat(alphaStorage().contentType("application/json").body(Map.of("prefix", "")).post("/storage/v1/object/list/" + bucket)
                .then().statusCode(200).extract().<List<Object>>path("")).isEmpty();
        // names and bodies Storage refuses
        storageError(alphaStorage().contentType("application/json").body(Map.of("id", "a/b")).post("/storage/v1/bucket"), 400, "InvalidKey");
        storageError(alphaStorage().contentType("application/json").body(Map.of("id", "..")).post("/storage/v1/bucket"), 400, "InvalidKey");
        storageError(upload(alphaStorage(), bucket, "a/../b.png", new byte[] {1}, false), 400, "InvalidKey");
        storageError(alphaStorage().contentType("application/json").body("[1]").post("/storage/v1/object/list/" + bucket), 400, "InvalidRequest");
        storageError(alphaStorage().contentType("application/json").body(Map.of("expiresIn", "soon"))
                .post("/storage/v1/object/sign/" + bucket + "/x.png"), 400, "InvalidRequest");
        // the class of bad values, each refused in Storage's shape with nothing stored
        for (String id : List.of("", "x".repeat(101), "a\u0000b", "..")) {
            Response refused = alphaStorage().contentType("application/json").body(Map.of("id", id)).post("/storage/v1/bucket");
            assertThat(refused.statusCode()).as(id).isEqualTo(400);
            assertThat(refused.jsonPath().getMap("")).containsOnlyKeys("statusCode", "error", "message");
        }
        for (Object limit : List.of(-1, 0, "lots", Map.of("n", 1))) {
            storageError(alphaStorage().contentType("application/json").body(Map.of("id", "lim-" + UUID.randomUUID().toString().substring(0, 8),
                    "file_size_limit", limit)).post("/storage/v1/bucket"), 400, "InvalidRequest");
        }
        for (String name : List.of("a%00b.png", "a%ED%A0%80b.png", "%2F", "x".repeat(1025), "./b.png")) {
            Response refused = alphaStorage().urlEncodingEnabled(false).contentType("text/plain").body("x")
                    .post("/storage/v1/object/" + bucket + "/" + name);
            assertThat(refused.statusCode()).as(name).isEqualTo(400);
            assertThat(refused.jsonPath().getString("error")).as(name).isIn("InvalidKey", "InvalidRequest");
        }
        for (Object expires : List.of(0, -5, "", 999_999_999_999L, List.of(60))) {
            storageError(alphaStorage().contentType("application/json").body(Map.of("expiresIn", expires))
                    .post("/storage/v1/object/sign/" + bucket + "/x.png"), 400, "InvalidRequest");
        }
        for (Object limit : List.of(0, -1, 1001)) {
            storageError(alphaStorage().contentType("application/json").body(Map.of("limit", limit))
                    .post("/storage/v1/object/list/" + bucket), 400, "InvalidRequest");
        }
        storageError(alphaStorage().contentType("application/json").body(Map.of("sortBy", Map.of("column", "size")))
                .post("/storage/v1/object/list/" + bucket), 400, "InvalidRequest");
        storageError(alphaStorage().contentType("application/json").body(Map.of("prefixes", List.of())).delete("/storage/v1/object/" + bucket),
                400, "InvalidRequest");
        storageError(storage(Api.BETA_KEY).contentType("application/json").body(Map.of("expiresIn", 60))
                .post("/storage/v1/object/sign/" + bucket + "/x.png"), 404, "Bucket not found");
        assertThat(alphaStorage().contentType("application/json").body(Map.of("prefix", "")).post("/storage/v1/object/list/" + bucket)
                .then().statusCode(200).extract().<List<Object>>path("")).isEmpty();
        // no key at all, or a wrong one
        storageError(given().get("/storage/v1/bucket"), 401, "Unauthorized");
        storageError(storage("not-a-key").get("/storage/v1/bucket"), 401, "Unauthorized");
    }

    @Test
    void signedAndPublicUrlsNeedNoKey() throws InterruptedException {
        String bucket = bucket(alphaStorage(), Map.of());
        byte[] bytes = "signed bytes".getBytes(StandardCharsets.UTF_8);
        upload(alphaStorage(), bucket, "s/one.txt", bytes, false).then().statusCode(200);
        String url = alphaStorage().contentType("application/json").body(Map.of("expiresIn", "60"))
                .post("/storage/v1/object/sign/" + bucket + "/s/one.txt").then().statusCode(200).extract().path("signedURL");
        assertThat(url).startsWith("/object/sign/" + bucket + "/s/one.txt?token=");
        assertThat(given().get("/storage/v1" + url).then().statusCode(200).extract().asByteArray()).isEqualTo(bytes);
        // altered, or presented for another object, or expired: refused as Storage refuses them
        storageError(given().get("/storage/v1" + url.substring(0, url.length() - 2) + "xx"), 400, "InvalidJWT");
        String token = url.substring(url.indexOf("token=") + 6);
        upload(alphaStorage(), bucket, "s/two.txt", bytes, false).then().statusCode(200);
        storageError(given().get("/storage/v1/object/sign/" + bucket + "/s/two.txt?token=" + token), 400, "InvalidSignature");
        String brief = alphaStorage().contentType("application/json").body(Map.of("expiresIn", 1))
                .post("/storage/v1/object/sign/" + bucket + "/s/one.txt").then().statusCode(200).extract().path("signedURL");
        Thread.sleep(2100);
        storageError(given().get("/storage/v1" + brief), 400, "InvalidJWT");
        // several at once: a missing one has an error and no URL
        List<Map<String, Object>> many = alphaStorage().contentType("application/json")
                .body(Map.of("paths", List.of("s/one.txt", "s/none.txt"), "expiresIn", "60"))
                .post("/storage/v1/object/sign/" + bucket).then().statusCode(200).extract().path("");
        assertThat(many.get(0).get("error")).isNull();
        assertThat(many.get(1).get("signedURL")).isNull();

        // a signed upload URL takes one upload without a key
        String uploadUrl = alphaStorage().post("/storage/v1/object/upload/sign/" + bucket + "/up/new.txt").then().statusCode(200)
                .extract().path("url");
        given().multiPart("file", "new.txt", bytes, "text/plain").put("/storage/v1" + uploadUrl).then().statusCode(200)
                .body("Key", equalTo(bucket + "/up/new.txt"));
        storageError(given().multiPart("file", "new.txt", bytes, "text/plain").put("/storage/v1" + uploadUrl), 409, "Duplicate");
        assertThat(alphaStorage().get("/storage/v1/object/" + bucket + "/up/new.txt").asByteArray()).isEqualTo(bytes);

        // public URLs read a public bucket without a key, and nothing of a private one
        storageError(given().get("/storage/v1/object/public/" + bucket + "/s/one.txt"), 404, "Bucket not found");
        alphaStorage().contentType("application/json").body(Map.of("public", true)).put("/storage/v1/bucket/" + bucket).then().statusCode(200);
        assertThat(given().get("/storage/v1/object/public/" + bucket + "/s/one.txt").then().statusCode(200).extract().asByteArray())
                .isEqualTo(bytes);
    }
}
