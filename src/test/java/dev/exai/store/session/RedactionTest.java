package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Correct and forget: a message's metadata is merge-patched, a message is redacted to a tombstone, and no read or
 * search returns the old text afterwards: not from PostgreSQL, not from Redis, not after Redis comes back from an
 * outage still holding the keys written before it.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class RedactionTest {

    private static final String SECRET = "sk-live-7f3a9c quokkasecret";

    @AfterEach
    void restore() {
        StoreTestResource.redisProxy().restore();
    }

    private static String sessionWithSecret() {
        String cid = newId();
        alpha().body(List.of(
                Map.of("role", "user", "content", "hello there"),
                Map.of("role", "user", "content", "my key is " + SECRET, "metadata", Map.of("source", "paste", "keep", 1),
                        "reasoning", "the user pasted " + SECRET),
                Map.of("role", "assistant", "content", "please rotate it")))
                .queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
        return cid;
    }

    private static JsonPath history(String cid, String cache) {
        return alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", cache).extract().jsonPath();
    }

    @Test
    void metadataIsMergePatchedInPostgresAndTheCache() {
        String cid = sessionWithSecret();
        history(cid, "hit");
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of("source", "clipboard", "reviewed", true)))
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(200)
                .body("seq", equalTo(2)).body("metadata.source", equalTo("clipboard")).body("metadata.keep", equalTo(1))
                .body("metadata.reviewed", equalTo(true)).body("content", containsString("my key"));
        JsonPath cached = history(cid, "hit");
        assertThat(cached.getMap("items[1].metadata")).isEqualTo(Map.of("source", "clipboard", "keep", 1, "reviewed", true));
        assertThat(cached.getList("items.seq")).containsExactly(1, 2, 3);
        // null removes a key; metadata: null clears it
        alpha().contentType("application/merge-patch+json").body("{\"metadata\":{\"keep\":null}}")
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(200).body("metadata.keep", equalTo(null));
        alpha().contentType("application/merge-patch+json").body("{\"metadata\":null}")
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(200).body("metadata", equalTo(Map.of()));
        assertThat(history(cid, "hit").getMap("items[1].metadata")).isEmpty();

        alpha().contentType("application/merge-patch+json").body(Map.of("content", "changed"))
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(400).body("detail", containsString("metadata only"));
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", List.of(1)))
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(400);
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of()))
                .patch("/sessions/" + cid + "/messages/9").then().statusCode(404);
        beta().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of()))
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(404);
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of()))
                .patch("/sessions/" + cid + "/messages/0").then().statusCode(400);
    }

    @Test
    void aRedactedMessageIsATombstoneEverywhere() throws Exception {
        String cid = sessionWithSecret();
        history(cid, "hit");
        assertThat(alpha().queryParam("q", "quokkasecret").queryParam("continuation_id", cid).get("/messages/search")
                .then().statusCode(200).extract().jsonPath().getList("items.seq")).containsExactly(2);

        alpha().delete("/sessions/" + cid + "/messages/2").then().statusCode(204);
        alpha().delete("/sessions/" + cid + "/messages/2").then().statusCode(204); // idempotent

        JsonPath cached = history(cid, "hit");
        assertTombstone(cached);
        assertThat(alpha().queryParam("q", "quokkasecret").get("/messages/search").then().statusCode(200)
                .extract().asString()).doesNotContain("quokkasecret");
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(3));
        alpha().contentType("application/merge-patch+json").body(Map.of("metadata", Map.of("a", 1)))
                .patch("/sessions/" + cid + "/messages/2").then().statusCode(409).body("detail", containsString("redacted"));
        alpha().queryParam("last", 2).get("/sessions/" + cid + "/messages").then().body("items[0].redacted", equalTo(true));
        assertThat(alpha().queryParam("max_tokens", 100000).get("/sessions/" + cid + "/context").then().statusCode(200)
                .extract().asString()).doesNotContain(SECRET);
        alpha().delete("/sessions/" + cid + "/messages/4").then().statusCode(404);
        beta().delete("/sessions/" + cid + "/messages/1").then().statusCode(404);

        assertNothingStored(cid);
    }

    @Test
    void aRedactionDuringARedisOutageIsNeverUndoneByTheStaleKeys() throws Exception {
        Api.awaitRedis("up");
        String cid = sessionWithSecret();
        history(cid, "hit");
        StoreTestResource.redisProxy().cut();
        alpha().delete("/sessions/" + cid + "/messages/2").then().statusCode(204);
        assertTombstone(history(cid, "miss"));

        // Redis is back still holding the history written before the outage, secret included
        try (Jedis jedis = TestServers.jedis()) {
            Set<String> stale = jedis.keys("exai:*:{alpha:" + cid + "}:msgs");
            assertThat(stale).isNotEmpty();
            assertThat(stale.stream().flatMap(k -> jedis.zrange(k, 0, -1).stream()).toList())
                    .anyMatch(member -> member.contains(SECRET));
        }
        StoreTestResource.redisProxy().restore();
        Api.awaitRedis("up");
        history(cid, "miss");
        JsonPath cached = history(cid, "hit");
        assertTombstone(cached);
        assertThat(alpha().queryParam("max_tokens", 100000).get("/sessions/" + cid + "/context").then().statusCode(200)
                .extract().asString()).doesNotContain(SECRET);
        assertNothingStored(cid);
    }

    private static void assertTombstone(JsonPath page) {
        assertThat(page.getList("items.seq")).containsExactly(1, 2, 3);
        assertThat(page.getBoolean("items[1].redacted")).isTrue();
        assertThat(page.getString("items[1].content")).isEmpty();
        assertThat(page.getMap("items[1].metadata")).isEmpty();
        assertThat(page.getString("items[1].reasoning")).isNull();
        assertThat(page.getBoolean("items[0].redacted")).isFalse();
        assertThat(page.prettify()).doesNotContain(SECRET);
    }

    /** PostgreSQL holds no trace of the secret in the live rows, and the search index finds nothing. */
    private static void assertNothingStored(String cid) throws Exception {
        try (Connection c = TestServers.connect(StoreTestResource.database());
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM chat_messages m JOIN chat_sessions s"
                     + " ON s.id = m.session_id WHERE s.continuation_id = '" + cid + "' AND (m.content LIKE '%quokkasecret%'"
                     + " OR m.reasoning LIKE '%quokkasecret%' OR m.metadata::text LIKE '%paste%'"
                     + " OR m.search_doc @@ to_tsquery('simple', 'quokkasecret') OR m.search_doc @@ to_tsquery('english', 'quokkasecret'))")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }
}
