package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A streamed answer's completion moves the running token sums of every later message. A cache writer that read the
 * session before the completion (a history read refilling Redis, an append's own write) can reach Redis after the
 * completion's script: its sums are from before and must not replace the moved ones.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class StreamedAnswerCacheTest {

    @Inject
    SessionRows sessionRows;
    @Inject
    MessageRows messageRows;
    @Inject
    SessionCache cache;

    @Test
    void runningSumsReadBeforeACompletionNeverOverwriteTheMovedOnes() throws Exception {
        Api.awaitRedis("up");
        String cid = "streamcache-" + UUID.randomUUID();
        alpha().body(Map.of("continuation_id", cid)).post("/sessions").then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "q1", "token_count", 10)).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(Map.of("role", "assistant", "status", "streaming")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "q2", "token_count", 20)).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(Map.of("index", 0, "content", "done")).post("/sessions/" + cid + "/messages/2/chunks").then().statusCode(200);
        // what a slow reader read before the completion: the session and its messages, seq 3's sum counting seq 2 as nothing
        StoredSession before = sessionRows.find("alpha", cid).await().indefinitely();
        List<Message> read = messageRows.range(before.id(), 1, 3).await().indefinitely();

        alpha().body(Map.of("chunks", 1, "token_count", 40)).post("/sessions/" + cid + "/messages/2/complete").then().statusCode(200);
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
        alpha().get("/sessions/" + cid + "/context?max_tokens=60").then().header("X-Cache", "hit")
                .body("messages.seq", equalTo(List.of(2, 3))).body("totals.tokens", equalTo(60));

        // ... and reaches Redis now
        cache.write("alpha", cid, before, read, read.stream().map(cache::toJson).toList()).await().indefinitely();
        alpha().get("/sessions/" + cid + "/context?max_tokens=60").then().header("X-Cache", "hit")
                .body("messages.seq", equalTo(List.of(2, 3))).body("totals.tokens", equalTo(60));
        alpha().get("/sessions/" + cid + "/context?max_tokens=70").then().header("X-Cache", "hit")
                .body("messages.seq", equalTo(List.of(1, 2, 3))).body("totals.tokens", equalTo(70));
        alpha().get("/sessions/" + cid + "/messages").then().header("X-Cache", "hit").body("items[1].status", equalTo("complete"));
    }
}
