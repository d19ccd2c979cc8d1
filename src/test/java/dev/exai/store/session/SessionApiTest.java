package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class SessionApiTest {

    @Inject
    SessionPurgeJob purgeJob;

    private static final String RFC3339_MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    @Test
    void createReadPatchDelete() {
        String cid = newId();
        alpha().body(Map.of("continuation_id", cid, "user_id", "u1", "title", "first", "metadata", Map.of("a", Map.of("b", 1, "c", 2))))
                .post("/sessions")
                .then().statusCode(201)
                .header("Location", matchesPattern(".*/sessions/" + cid))
                .body("continuation_id", equalTo(cid))
                .body("user_id", equalTo("u1"))
                .body("message_count", equalTo(0))
                .body("metadata.a.b", equalTo(1))
                .body("created_at", matchesPattern(RFC3339_MILLIS))
                .body("expires_at", nullValue());

        alpha().body(Map.of("continuation_id", cid)).post("/sessions").then().statusCode(409)
                .contentType("application/problem+json").body("status", equalTo(409));

        alpha().get("/sessions/" + cid).then().statusCode(200).body("title", equalTo("first"));

        alpha().contentType("application/merge-patch+json")
                .body("{\"title\":\"renamed\",\"metadata\":{\"a\":{\"b\":null,\"d\":3}},\"ttl_seconds\":3600}")
                .patch("/sessions/" + cid)
                .then().statusCode(200)
                .body("title", equalTo("renamed"))
                .body("metadata.a.c", equalTo(2))
                .body("metadata.a.d", equalTo(3))
                .body("metadata.a.b", nullValue())
                .body("expires_at", matchesPattern(RFC3339_MILLIS));
        alpha().get("/sessions/" + cid).then().statusCode(200).body("title", equalTo("renamed"));

        alpha().delete("/sessions/" + cid).then().statusCode(204);
        alpha().get("/sessions/" + cid).then().statusCode(404).contentType("application/problem+json");
        alpha().delete("/sessions/" + cid).then().statusCode(404);
    }

    @Test
    void postWithoutBodyMakesAUuid() {
        String cid = alpha().post("/sessions").then().statusCode(201).extract().path("continuation_id");
        assertThat(cid).matches("[0-9a-f-]{36}");
    }

    @Test
    void putIsGetOrCreateAndAppliesTheBodyOnlyOnCreate() {
        String cid = newId();
        alpha().body(Map.of("title", "made")).put("/sessions/" + cid).then().statusCode(201).body("title", equalTo("made"));
        alpha().body(Map.of("title", "ignored")).put("/sessions/" + cid).then().statusCode(200).body("title", equalTo("made"));
    }

    @Test
    void anotherTenantsSessionDoesNotExist() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        beta().get("/sessions/" + cid).then().statusCode(404);
        beta().delete("/sessions/" + cid).then().statusCode(404);
        beta().body("{\"title\":\"x\"}").patch("/sessions/" + cid).then().statusCode(404);
        beta().get("/sessions/" + cid + "/messages").then().statusCode(404);
        beta().body(Map.of("role", "user", "content", "x")).post("/sessions/" + cid + "/messages").then().statusCode(404);
        // the same id is free for the other tenant
        beta().put("/sessions/" + cid).then().statusCode(201);
        alpha().get("/sessions/" + cid).then().statusCode(200);
    }

    @Test
    void listPagesByUserMostRecentFirst() {
        String user = "lister-" + newId();
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String cid = newId();
            made.add(cid);
            alpha().body(Map.of("user_id", user)).put("/sessions/" + cid).then().statusCode(201);
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            var spec = alpha().queryParam("user_id", user).queryParam("limit", 2);
            if (cursor != null) {
                spec.queryParam("cursor", cursor);
            }
            var page = spec.get("/sessions").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("items.continuation_id"));
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        java.util.Collections.reverse(made);
        assertThat(seen).containsExactlyElementsOf(made);
        beta().queryParam("user_id", user).get("/sessions").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    void expiredSessionAnswers404AndIsPurged() throws Exception {
        String cid = newId();
        // 3 s: room for the first requests of a cold test JVM before it expires
        alpha().body(Map.of("ttl_seconds", 3)).put("/sessions/" + cid).then().statusCode(201).body("expires_at", notNullValue());
        alpha().body(Map.of("role", "user", "content", "soon gone")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().get("/sessions/" + cid + "/context?max_tokens=100").then().statusCode(200).header("X-Cache", "hit");
        Thread.sleep(3200);
        alpha().get("/sessions/" + cid).then().statusCode(404);
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(404);
        // the id can be taken again, fresh: nothing of the expired session is served from the cache it left
        alpha().put("/sessions/" + cid).then().statusCode(201).body("message_count", equalTo(0));
        alpha().get("/sessions/" + cid).then().statusCode(200).body("message_count", equalTo(0));
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.size()", equalTo(0));
        alpha().body(Map.of("role", "user", "content", "the new one")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().get("/sessions/" + cid + "/context?max_tokens=100").then().statusCode(200).header("X-Cache", "hit")
                .body("messages.content", equalTo(List.of("the new one")));
        TestServers.execute(StoreTestResource.database(),
                "UPDATE chat_sessions SET expires_at = now() - interval '1 minute' WHERE continuation_id = '" + cid + "'");
        purgeJob.purge().await().indefinitely();
        try (var c = TestServers.connect(StoreTestResource.database());
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM chat_sessions WHERE continuation_id = '" + cid + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void anExpiredParentStaysForItsContinuationsUntilTheyAreGone() {
        String parent = newId();
        String child = newId();
        alpha().body(Map.of("ttl_seconds", 3600)).put("/sessions/" + parent).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "from the parent", "token_count", 3)).post("/sessions/" + parent + "/messages")
                .then().statusCode(201);
        alpha().body(Map.of("parent_continuation_id", parent)).put("/sessions/" + child).then().statusCode(201);
        String alone = newId();
        alpha().body(Map.of("ttl_seconds", 3600)).put("/sessions/" + alone).then().statusCode(201);
        TestServers.execute(StoreTestResource.database(), "UPDATE chat_sessions SET expires_at = now() - interval '1 minute'"
                + " WHERE continuation_id IN ('" + parent + "', '" + alone + "')");
        purgeJob.purge().await().indefinitely();
        assertThat(sessionRows(parent)).as("the expired parent, kept for its continuation").isEqualTo(1);
        assertThat(sessionRows(alone)).as("an expired session nobody continues, purged in the same batch").isZero();
        alpha().get("/sessions/" + child + "/context?max_tokens=100").then().statusCode(200)
                .body("messages[0].content", equalTo("from the parent"));
        alpha().delete("/sessions/" + child).then().statusCode(204);
        purgeJob.purge().await().indefinitely();
        assertThat(sessionRows(parent)).isZero();
    }

    private static int sessionRows(String cid) {
        try (var c = TestServers.connect(StoreTestResource.database());
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM chat_sessions WHERE continuation_id = '" + cid + "'")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theListIsNarrowedByMetadataTitleAndUpdateTime() throws Exception {
        String user = "u-" + newId();
        String a = newId();
        String b = newId();
        String c = newId();
        alpha().body(Map.of("user_id", user, "title", "Refactor the 100% Parser_v2", "metadata", Map.of("project", "exai", "tier", 1)))
                .put("/sessions/" + a).then().statusCode(201);
        alpha().body(Map.of("user_id", user, "title", "数据库 migration", "metadata", Map.of("project", "exai")))
                .put("/sessions/" + b).then().statusCode(201);
        String between = java.time.Instant.now().toString();
        Thread.sleep(20);
        alpha().body(Map.of("user_id", user, "title", "lunch plans", "metadata", Map.of("project", "other")))
                .put("/sessions/" + c).then().statusCode(201);

        assertThat(ids(user, "metadata", "{\"project\":\"exai\"}")).containsExactly(b, a);
        assertThat(ids(user, "metadata", "{\"project\":\"exai\",\"tier\":1}")).containsExactly(a);
        assertThat(ids(user, "q", "parser")).containsExactly(a);
        assertThat(ids(user, "q", "100%")).containsExactly(a);
        assertThat(ids(user, "q", "r_v")).containsExactly(a);
        assertThat(ids(user, "q", "%")).containsExactly(a); // a literal percent sign, not a wildcard
        assertThat(ids(user, "q", "数据库")).containsExactly(b);
        assertThat(ids(user, "updated_after", between)).containsExactly(c);
        assertThat(ids(user)).containsExactly(c, b, a);
        alpha().queryParam("metadata", "\"exai\"").get("/sessions").then().statusCode(400);
        alpha().queryParam("updated_after", "soon").get("/sessions").then().statusCode(400);
        beta().queryParam("user_id", user).get("/sessions").then().statusCode(200).body("items.size()", equalTo(0));
    }

    private static List<String> ids(String user, String... filters) {
        var spec = alpha().queryParam("user_id", user);
        for (int i = 0; i < filters.length; i += 2) {
            spec.queryParam(filters[i], filters[i + 1]);
        }
        return spec.get("/sessions").then().statusCode(200).extract().jsonPath().getList("items.continuation_id", String.class);
    }
}
