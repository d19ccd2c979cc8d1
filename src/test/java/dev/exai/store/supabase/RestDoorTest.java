package dev.exai.store.supabase;

import static dev.exai.store.testing.Api.alpha;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * PostgREST's semantics and error shapes at /rest/v1, on the same sessions and messages as the native API: what
 * supabase-py and supabase-js rely on (docs/supabase.md's conformance table points here), each bad input answered in
 * PostgREST's JSON with nothing stored.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class RestDoorTest {

    /** As supabase-py sends: the key as apikey and as a bearer token, the profile headers, Accept: any. */
    private static RequestSpecification door(String key) {
        return given().header("apikey", key).header("Authorization", "Bearer " + key).header("Accept-Profile", "public")
                .header("Content-Profile", "public").header("Accept", "*/*").contentType("application/json");
    }

    private static RequestSpecification alphaDoor() {
        return door(Api.ALPHA_KEY);
    }

    private static void postgrestError(Response answer, int status, String code) {
        assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(status);
        assertThat(answer.contentType()).startsWith("application/json");
        Map<String, Object> body = answer.jsonPath().getMap("");
        assertThat(body).containsKeys("code", "message", "details", "hint");
        assertThat(body.get("code")).isEqualTo(code);
    }

    private static String conversation(String cid) {
        return alphaDoor().header("Prefer", "return=representation,resolution=merge-duplicates")
                .body(Map.of("continuation_id", cid, "title", "Conversation " + cid.substring(0, 8), "metadata", Map.of("tool", "chat")))
                .post("/rest/v1/conversations").then().statusCode(201).extract().path("[0].id");
    }

    @Test
    void aConversationIsASessionAndAMessageRowIsAnAppend() {
        String cid = "door-" + UUID.randomUUID();
        String id = conversation(cid);
        // the native API sees the session the door made
        alpha().get("/sessions/" + cid).then().statusCode(200).body("title", equalTo("Conversation " + cid.substring(0, 8)))
                .body("metadata.tool", equalTo("chat"));
        // a second save_conversation of the same continuation_id is PostgREST's 409, not a get-or-create
        postgrestError(alphaDoor().header("Prefer", "return=representation,resolution=merge-duplicates")
                .body(Map.of("continuation_id", cid, "title", "again")).post("/rest/v1/conversations"), 409, "23505");

        String key = "k-" + UUID.randomUUID();
        Map<String, Object> row = Map.of("conversation_id", id, "role", "user", "content", "hello through the door",
                "metadata", Map.of(), "created_at", "2026-11-26T14:18:50.123456", "idempotency_key", key);
        List<Map<String, Object>> stored = alphaDoor().header("Prefer", "return=representation,resolution=ignore-duplicates")
                .body(row).post("/rest/v1/messages?on_conflict=idempotency_key").then().statusCode(201).extract().path("");
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0)).containsEntry("conversation_id", id).containsEntry("idempotency_key", key)
                .containsEntry("created_at", "2026-11-26T14:18:50.123456+00:00");
        // the retry stores nothing and answers []
        alphaDoor().header("Prefer", "return=representation,resolution=ignore-duplicates").body(row)
                .post("/rest/v1/messages?on_conflict=idempotency_key").then().statusCode(201).body("", hasSize(0));
        // a native append interleaves; the door reads both, the native API reads both, in seq order
        alpha().body(Map.of("role", "assistant", "content", "hi from the native API")).post("/sessions/" + cid + "/messages")
                .then().statusCode(201).body("seq", equalTo(2));
        alphaDoor().get("/rest/v1/messages?select=role,content&conversation_id=eq." + id + "&order=created_at.asc")
                .then().statusCode(200).body("", hasSize(2)).body("[0].content", equalTo("hello through the door"))
                .body("[1].role", equalTo("assistant"));
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items", hasSize(2))
                .body("items[0].content", equalTo("hello through the door")).body("items[0].created_at", equalTo("2026-11-26T14:18:50.123Z"));
        alpha().get("/messages/search?q=door&continuation_id=" + cid).then().statusCode(200).body("items", hasSize(1));
    }

    @Test
    void readsFilterOrderCountAndWindowAsPostgrestDoes() {
        String prefix = "rd-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            alphaDoor().body(Map.of("continuation_id", prefix + "-" + i, "user_id", i % 2 == 0 ? "even" : "odd"))
                    .post("/rest/v1/chat_sessions").then().statusCode(201);
        }
        Response counted = alphaDoor().header("Prefer", "count=exact")
                .get("/rest/v1/chat_sessions?select=continuation_id&continuation_id=like." + prefix + "*&order=continuation_id.desc&limit=2&offset=1");
        counted.then().statusCode(200).body("", hasSize(2)).body("[0].continuation_id", equalTo(prefix + "-3"));
        assertThat(counted.header("Content-Range")).isEqualTo("1-2/5");
        alphaDoor().get("/rest/v1/chat_sessions?select=continuation_id&continuation_id=in.(" + prefix + "-1,\"" + prefix + "-4\")&order=continuation_id")
                .then().body("continuation_id", equalTo(List.of(prefix + "-1", prefix + "-4")));
        alphaDoor().get("/rest/v1/chat_sessions?continuation_id=ilike." + prefix.toUpperCase() + "*&user_id=not.eq.even")
                .then().body("", hasSize(2));
        alphaDoor().get("/rest/v1/chat_sessions?continuation_id=like." + prefix + "*&user_id=is.null").then().body("", hasSize(0));
        // exactly one row as an object; zero or several: 406 PGRST116
        alphaDoor().header("Accept", "application/vnd.pgrst.object+json").get("/rest/v1/chat_sessions?continuation_id=eq." + prefix + "-0")
                .then().statusCode(200).body("user_id", equalTo("even"));
        postgrestError(alphaDoor().header("Accept", "application/vnd.pgrst.object+json")
                .get("/rest/v1/chat_sessions?continuation_id=like." + prefix + "*"), 406, "PGRST116");
        // every column of the seed's table, its times without a zone
        Map<String, Object> one = alphaDoor().get("/rest/v1/chat_sessions?continuation_id=eq." + prefix + "-0").then()
                .extract().path("[0]");
        assertThat(one).containsOnlyKeys("id", "continuation_id", "created_at", "updated_at", "user_id", "metadata");
        assertThat((String) one.get("created_at")).doesNotContain("+").doesNotEndWith("Z");
        // another tenant sees none of them, and cannot write into them: a session of another tenant is no parent
        door(Api.BETA_KEY).get("/rest/v1/chat_sessions?continuation_id=like." + prefix + "*").then().statusCode(200).body("", hasSize(0));
        String alphas = (String) one.get("id");
        postgrestError(door(Api.BETA_KEY).body(Map.of("session_id", alphas, "role", "user", "content", "intruder"))
                .post("/rest/v1/chat_messages"), 409, "23503");
        door(Api.BETA_KEY).header("Prefer", "return=representation").body("{}").delete("/rest/v1/chat_sessions?id=eq." + alphas)
                .then().statusCode(200).body("", hasSize(0));
        alphaDoor().get("/rest/v1/chat_messages?session_id=eq." + alphas).then().body("", hasSize(0));
        alpha().get("/sessions/" + prefix + "-0").then().statusCode(200);
    }

    @Test
    void badInputIsPostgrestsErrorAndStoresNothing() {
        String cid = "bad-" + UUID.randomUUID();
        String id = conversation(cid);
        postgrestError(alphaDoor().get("/rest/v1/schema_version?select=version&limit=1"), 404, "PGRST205");
        postgrestError(alphaDoor().get("/rest/v1/conversations?select=nope"), 400, "42703");
        postgrestError(alphaDoor().get("/rest/v1/conversations?nope=eq.1"), 400, "42703");
        postgrestError(alphaDoor().get("/rest/v1/conversations?title=approx.1"), 400, "PGRST100");
        postgrestError(alphaDoor().get("/rest/v1/conversations?limit=-1"), 400, "PGRST100");
        postgrestError(alphaDoor().get("/rest/v1/conversations?id=eq.None"), 400, "22P02");
        postgrestError(alphaDoor().body(Map.of("continuation_id", "x", "colour", "red")).post("/rest/v1/conversations"), 400, "PGRST204");
        postgrestError(alphaDoor().body(Map.of("title", "no id")).post("/rest/v1/conversations"), 400, "23502");
        postgrestError(alphaDoor().body("{not json").post("/rest/v1/conversations"), 400, "PGRST102");
        postgrestError(alphaDoor().body(Map.of("conversation_id", "None", "role", "user", "content", "x")).post("/rest/v1/messages"), 400, "22P02");
        postgrestError(alphaDoor().body(Map.of("conversation_id", id, "role", "tool", "content", "x")).post("/rest/v1/messages"), 400, "22P02");
        postgrestError(alphaDoor().body(Map.of("conversation_id", UUID.randomUUID().toString(), "role", "user", "content", "x"))
                .post("/rest/v1/messages"), 409, "23503");
        postgrestError(alphaDoor().body(Map.of("conversation_id", id, "role", "user", "content", "x", "created_at", "yesterday"))
                .post("/rest/v1/messages"), 400, "22007");
        postgrestError(alphaDoor().body("{\"conversation_id\":\"" + id + "\",\"role\":\"user\",\"content\":\"a\\u0000b\"}")
                .post("/rest/v1/messages"), 400, "22021");
        // an array insert is all or nothing: the good first row is not kept when the second is bad
        postgrestError(alphaDoor().body(List.of(Map.of("conversation_id", id, "role", "user", "content", "fine"),
                Map.of("conversation_id", id, "role", "wizard", "content", "x"))).post("/rest/v1/messages"), 400, "22P02");
        String key = "dup-" + UUID.randomUUID();
        postgrestError(alphaDoor().body(List.of(Map.of("conversation_id", id, "role", "user", "content", "a", "idempotency_key", key),
                Map.of("conversation_id", id, "role", "user", "content", "b", "idempotency_key", key))).post("/rest/v1/messages"), 409, "23505");
        // the native API's limits hold at the door: a title over 1024 characters, content over the byte limit
        postgrestError(alphaDoor().body(Map.of("continuation_id", "long-" + UUID.randomUUID(), "title", "t".repeat(1025)))
                .post("/rest/v1/conversations"), 400, "22001");
        postgrestError(alphaDoor().body(Map.of("title", "t".repeat(1025))).patch("/rest/v1/conversations?id=eq." + id), 400, "22001");
        postgrestError(alphaDoor().body(Map.of("conversation_id", id, "role", "user", "content", "c".repeat(1024 * 1024 + 1)))
                .post("/rest/v1/messages"), 400, "22001");
        postgrestError(alphaDoor().body(Map.of("storage_path", "p".repeat(1025), "original_name", "n")).post("/rest/v1/files"), 400, "22001");
        postgrestError(alphaDoor().body(Map.of("title", "all")).patch("/rest/v1/conversations"), 400, "21000");
        postgrestError(alphaDoor().body("{}").delete("/rest/v1/conversations"), 400, "21000");
        alpha().get("/sessions/" + cid).then().statusCode(200).body("message_count", equalTo(0)).body("title", equalTo("Conversation " + cid.substring(0, 8)));
    }

    @Test
    void updatesAndDeletesReturnTheRowsTheyChanged() {
        String cid = "upd-" + UUID.randomUUID();
        String id = conversation(cid);
        alphaDoor().header("Prefer", "return=representation").body(Map.of("title", "renamed", "metadata", Map.of("k", 1)))
                .patch("/rest/v1/conversations?id=eq." + id).then().statusCode(200).body("[0].title", equalTo("renamed"))
                .body("[0].metadata.k", equalTo(1));
        alpha().get("/sessions/" + cid).then().body("title", equalTo("renamed"));
        alphaDoor().header("Prefer", "return=representation").body(Map.of("conversation_id", id, "role", "user", "content", "x"))
                .post("/rest/v1/messages").then().statusCode(201);
        alphaDoor().header("Prefer", "return=representation").body("{}").delete("/rest/v1/conversations?id=eq." + id)
                .then().statusCode(200).body("[0].id", equalTo(id));
        alpha().get("/sessions/" + cid).then().statusCode(404);
        alphaDoor().header("Prefer", "return=representation").body("{}").delete("/rest/v1/conversations?id=eq." + id)
                .then().statusCode(200).body("", hasSize(0));
    }

    @Test
    void providerUploadRecordsAreTheDoorsOwnPerTenant() {
        String fileId = "pf-" + UUID.randomUUID();
        Map<String, Object> record = Map.of("provider", "kimi", "provider_file_id", fileId, "metadata", Map.of("n", 1));
        String id = alphaDoor().header("Prefer", "return=representation").body(record).post("/rest/v1/provider_file_uploads")
                .then().statusCode(201).body("[0].purpose", equalTo("file-extract")).extract().path("[0].id");
        Response again = alphaDoor().header("Prefer", "return=representation").body(record).post("/rest/v1/provider_file_uploads");
        postgrestError(again, 409, "23505");
        assertThat(again.jsonPath().getString("message")).contains("duplicate key").contains("unique constraint");
        alphaDoor().header("Prefer", "return=representation,resolution=ignore-duplicates").body(record)
                .post("/rest/v1/provider_file_uploads?on_conflict=provider,provider_file_id").then().statusCode(201).body("", hasSize(0));
        alphaDoor().header("Prefer", "return=representation,resolution=merge-duplicates")
                .body(Map.of("provider", "kimi", "provider_file_id", fileId, "purpose", "agent"))
                .post("/rest/v1/provider_file_uploads?on_conflict=provider,provider_file_id").then().statusCode(201)
                .body("[0].id", equalTo(id)).body("[0].purpose", equalTo("agent")).body("[0].metadata.n", equalTo(1));
        alphaDoor().header("Prefer", "return=representation").body(Map.of("last_used", "2026-12-01T10:00:00"))
                .patch("/rest/v1/provider_file_uploads?provider=eq.kimi&provider_file_id=eq." + fileId).then().statusCode(200)
                .body("[0].last_used", equalTo("2026-12-01T10:00:00+00:00"));
        postgrestError(alphaDoor().body(Map.of("provider", "kimi")).post("/rest/v1/provider_file_uploads"), 400, "23502");
        door(Api.BETA_KEY).get("/rest/v1/provider_file_uploads?provider_file_id=eq." + fileId).then().body("", hasSize(0));
        alphaDoor().header("Prefer", "return=representation").body("{}").delete("/rest/v1/provider_file_uploads?id=eq." + id)
                .then().statusCode(200).body("[0].provider_file_id", equalTo(fileId));
        alphaDoor().get("/rest/v1/provider_file_uploads?id=eq." + id).then().body("", hasSize(0));
    }

    @Test
    void aRefusedKeyIsPostgrestsErrorToo() {
        postgrestError(door("not-a-key-of-anyone").get("/rest/v1/conversations"), 401, "PGRST301");
        postgrestError(given().get("/rest/v1/conversations"), 401, "PGRST301");
        postgrestError(alphaDoor().urlEncodingEnabled(false).get("/rest/v1/conversations?title=eq.a%00b"), 400, "22021");
    }

    @Test
    void filesRowsNameObjectsAndLinksHangOnConversationsAndFiles() {
        // EXAI's upload_file: the object first (its bucket by file_type), then the files row that names it
        String bucket = "user-files";
        given().header("apikey", Api.ALPHA_KEY).contentType("application/json").body(Map.of("id", bucket, "name", bucket))
                .post("/storage/v1/bucket"); // 200 the first time, 409 Duplicate after: either way it exists
        String path = "exai/" + UUID.randomUUID() + ".txt";
        String objectId = given().header("apikey", Api.ALPHA_KEY).header("Authorization", "Bearer " + Api.ALPHA_KEY)
                .multiPart("file", "x.txt", "linked bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/plain")
                .post("/storage/v1/object/" + bucket + "/" + path).then().statusCode(200).extract().path("Id");
        Map<String, Object> row = Map.of("storage_path", path, "original_name", "x.txt", "mime_type", "text/plain", "size_bytes", 12,
                "file_type", "user_upload");
        Map<String, Object> file = alphaDoor().header("Prefer", "return=representation").body(row).post("/rest/v1/files")
                .then().statusCode(201).extract().path("[0]");
        assertThat(file).containsEntry("storage_path", path).containsEntry("size_bytes", 12).containsEntry("file_type", "user_upload")
                .containsEntry("metadata", Map.of()).containsKeys("id", "created_at");
        String fileId = (String) file.get("id");
        assertThat(fileId).isNotEqualTo(objectId); // the metadata row has its own id; the object is the exai-store file
        Response again = alphaDoor().header("Prefer", "return=representation").body(row).post("/rest/v1/files");
        postgrestError(again, 409, "23505");
        assertThat(again.jsonPath().getString("message")).isEqualTo("duplicate key value violates unique constraint \"files_storage_path_key\"");
        assertThat(again.jsonPath().getString("details")).isEqualTo("Key (storage_path)=(" + path + ") already exists.");
        postgrestError(alphaDoor().body(Map.of("storage_path", "p-" + UUID.randomUUID(), "original_name", "y", "file_type", "tool"))
                .post("/rest/v1/files"), 400, "22P02");
        postgrestError(alphaDoor().body(Map.of("storage_path", "p-" + UUID.randomUUID())).post("/rest/v1/files"), 400, "23502");
        alphaDoor().get("/rest/v1/files?select=id&storage_path=eq." + path + "&file_type=eq.user_upload").then().body("[0].id", equalTo(fileId));
        door(Api.BETA_KEY).get("/rest/v1/files?storage_path=eq." + path).then().statusCode(200).body("", hasSize(0));

        // links: an upsert on the primary key merges (a repeat is the row again), a batch ignoring duplicates counts new ones
        String cid = "door-" + UUID.randomUUID();
        String conversation = conversation(cid);
        Map<String, Object> link = Map.of("conversation_id", conversation, "file_id", fileId);
        for (int i = 0; i < 2; i++) {
            alphaDoor().header("Prefer", "return=representation,resolution=merge-duplicates").body(link)
                    .post("/rest/v1/conversation_files").then().statusCode(201).body("", hasSize(1)).body("[0].file_id", equalTo(fileId));
        }
        alphaDoor().urlEncodingEnabled(false).header("Prefer", "return=representation,resolution=ignore-duplicates").body(List.of(link))
                .post("/rest/v1/conversation_files?on_conflict=conversation_id,file_id&columns=%22conversation_id%22,%22file_id%22")
                .then().statusCode(201).body("", hasSize(0));
        postgrestError(alphaDoor().body(Map.of("conversation_id", UUID.randomUUID().toString(), "file_id", fileId))
                .post("/rest/v1/conversation_files"), 409, "23503");
        postgrestError(alphaDoor().body(Map.of("conversation_id", conversation, "file_id", UUID.randomUUID().toString()))
                .post("/rest/v1/conversation_files"), 409, "23503");
        postgrestError(alphaDoor().header("Prefer", "resolution=merge-duplicates").body(link)
                .post("/rest/v1/conversation_files?on_conflict=file_id"), 400, "42P10");
        // another tenant cannot link its conversation to alpha's file, nor alpha's conversation to its own
        postgrestError(door(Api.BETA_KEY).body(link).post("/rest/v1/conversation_files"), 409, "23503");

        // deleting the files row takes its links (EXAI's delete_file needs the row back); deleting a conversation too
        alphaDoor().header("Prefer", "return=representation").body("{}").delete("/rest/v1/files?id=eq." + fileId)
                .then().statusCode(200).body("", hasSize(1));
        alphaDoor().get("/rest/v1/conversation_files?conversation_id=eq." + conversation).then().body("", hasSize(0));
        String second = alphaDoor().header("Prefer", "return=representation")
                .body(Map.of("storage_path", "p-" + UUID.randomUUID(), "original_name", "z")).post("/rest/v1/files")
                .then().statusCode(201).extract().path("[0].id");
        alphaDoor().header("Prefer", "return=representation").body(Map.of("conversation_id", conversation, "file_id", second))
                .post("/rest/v1/conversation_files").then().statusCode(201);
        alpha().delete("/sessions/" + cid).then().statusCode(204);
        alphaDoor().get("/rest/v1/conversation_files?file_id=eq." + second).then().body("", hasSize(0));
    }
}
