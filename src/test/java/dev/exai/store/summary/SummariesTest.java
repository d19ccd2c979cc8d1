package dev.exai.store.summary;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.EventStream;
import dev.exai.store.testing.FakeProviders;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Summaries against real PostgreSQL and Redis: write, list, read, delete, idempotency, bad input and tenants; the
 * context read with summaries on a history of 10,000 messages (the highest summary that fits with everything after
 * it, budgets exact, the plain answer unchanged without the parameter); staleness on redaction in the session and in
 * a parent a continuation covers, never served after; the feed's summary events.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class SummariesTest {

    @Inject
    Pool pool;

    @Test
    void aSummaryIsWrittenListedReadAndDeletedOnceAndForItsTenantOnly() {
        String cid = "sum-" + UUID.randomUUID();
        append(cid, 3, 7);
        JsonPath written = alpha().header("Idempotency-Key", "k1").body(Map.of("through_seq", 2, "content", "They said hello twice.",
                        "model", "glm-4.6", "metadata", Map.of("by", "test")))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201)
                .body("through_seq", equalTo(2)).body("stale", equalTo(false)).body("model", equalTo("glm-4.6"))
                .body("token_count_estimated", equalTo(true)).body("metadata.by", equalTo("test")).extract().jsonPath();
        String id = written.getString("id");
        assertThat(written.getInt("token_count")).isPositive();
        // a retry with the key answers the first; the key with another body is a 422
        alpha().header("Idempotency-Key", "k1").body(Map.of("through_seq", 2, "content", "They said hello twice.",
                        "model", "glm-4.6", "metadata", Map.of("by", "test")))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201).header("Idempotent-Replayed", "true").body("id", equalTo(id));
        alpha().header("Idempotency-Key", "k1").body(Map.of("through_seq", 3, "content", "other"))
                .post("/sessions/" + cid + "/summaries").then().statusCode(422);
        String second = alpha().body(Map.of("through_seq", 3, "content", "All three.", "token_count", 4))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201).body("token_count", equalTo(4))
                .body("token_count_estimated", equalTo(false)).extract().path("id");
        alpha().get("/sessions/" + cid + "/summaries?limit=1").then().statusCode(200)
                .body("items.id", equalTo(List.of(second))).body("next_cursor", org.hamcrest.Matchers.notNullValue());
        String cursor = alpha().get("/sessions/" + cid + "/summaries?limit=1").then().extract().path("next_cursor");
        alpha().get("/sessions/" + cid + "/summaries?limit=1&cursor=" + cursor).then().statusCode(200)
                .body("items.id", equalTo(List.of(id))).body("next_cursor", nullValue());
        alpha().get("/sessions/" + cid + "/summaries/" + id).then().statusCode(200).body("content", equalTo("They said hello twice."));
        beta().get("/sessions/" + cid + "/summaries/" + id).then().statusCode(404);
        beta().delete("/sessions/" + cid + "/summaries/" + id).then().statusCode(404);
        alpha().delete("/sessions/" + cid + "/summaries/" + id).then().statusCode(204);
        alpha().get("/sessions/" + cid + "/summaries/" + id).then().statusCode(404);
        // a session's deletion deletes its summaries
        alpha().delete("/sessions/" + cid).then().statusCode(204);
        assertThat(pool.preparedQuery("SELECT count(*) FROM summaries WHERE id = $1").execute(Tuple.of(UUID.fromString(second)))
                .await().indefinitely().iterator().next().getLong(0)).isZero();
    }

    @Test
    void badSummariesAreRefusedAndNothingIsStored() {
        String cid = "sumbad-" + UUID.randomUUID();
        append(cid, 2, 5);
        for (Object body : List.of(Map.of("content", "no seq"), Map.of("through_seq", 3, "content", "past the last"),
                Map.of("through_seq", 0, "content", "zero"), Map.of("through_seq", 1), Map.of("through_seq", 1, "content", " "),
                Map.of("through_seq", 1, "content", "x", "token_count", -1), Map.of("through_seq", 1, "content", "x", "metadata", "[]"),
                Map.of("through_seq", 1, "content", "x", "colour", "blue"), List.of(), "text",
                Map.of("through_seq", 1, "content", "x", "generate", Map.of("provider", "glm", "model", "glm-4.6")),
                Map.of("through_seq", 1, "generate", Map.of("provider", "openai", "model", "gpt")),
                Map.of("through_seq", 1, "generate", Map.of("provider", "glm")),
                Map.of("through_seq", 1, "generate", Map.of("provider", "glm", "model", "glm-4.6", "max_tokens", 0)),
                Map.of("through_seq", 1, "generate", Map.of("provider", "glm", "model", "glm-4.6", "window_tokens", 10)),
                Map.of("through_seq", 1, "generate", Map.of("provider", "glm", "model", "glm-4.6", "temperature", 2)))) {
            alpha().body(body).post("/sessions/" + cid + "/summaries").then().statusCode(400)
                    .contentType("application/problem+json");
        }
        alpha().body(Map.of("through_seq", 1, "content", "nobody's")).post("/sessions/none-" + UUID.randomUUID() + "/summaries")
                .then().statusCode(404);
        // the rest of each field's class, as raw JSON: NUL, lone surrogates, wrong types, huge and fractional numbers
        for (String raw : List.of("{\"through_seq\":1,\"content\":\"a\\u0000b\"}", "{\"through_seq\":1,\"content\":\"a\\ud800b\"}",
                "{\"through_seq\":1,\"content\":\"x\",\"model\":\"m\\udc00\"}", "{\"through_seq\":\"1\",\"content\":\"x\"}",
                "{\"through_seq\":1.5,\"content\":\"x\"}", "{\"through_seq\":-1,\"content\":\"x\"}",
                "{\"through_seq\":99999999999,\"content\":\"x\"}", "{\"through_seq\":1,\"content\":7}",
                "{\"through_seq\":1,\"content\":\"x\",\"token_count\":99999999999}", "{\"through_seq\":1,\"content\":\"x\",\"model\":5}",
                "{\"through_seq\":1,\"content\":\"x\",\"model\":\"" + "m".repeat(257) + "\"}",
                "{\"through_seq\":1,\"generate\":\"glm\"}", "{\"through_seq\":1,\"generate\":{\"provider\":\"glm\",\"model\":\"\"}}",
                "{\"through_seq\":1,\"generate\":{\"provider\":\"glm\",\"model\":\"g\",\"instructions\":\"\"}}",
                "{\"through_seq\":1,\"generate\":{\"provider\":\"glm\",\"model\":\"g\",\"instructions\":\"" + "i".repeat(16_385) + "\"}}",
                "{\"through_seq\":1,\"generate\":{\"provider\":\"glm\",\"model\":\"g\",\"window_tokens\":99999999999}}",
                "{\"through_seq\":1,\"generate\":{\"provider\":\"glm\",\"model\":\"g\",\"max_tokens\":\"10\"}}", "{", "")) {
            alpha().contentType("application/json").body(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .post("/sessions/" + cid + "/summaries").then().statusCode(400).contentType("application/problem+json");
        }
        // content over the limit: 413
        alpha().body(Map.of("through_seq", 1, "content", "x".repeat(1_048_577))).post("/sessions/" + cid + "/summaries")
                .then().statusCode(413).contentType("application/problem+json");
        // another tenant's session, a summary id that is not one, paging out of range
        beta().body(Map.of("through_seq", 1, "content", "not yours")).post("/sessions/" + cid + "/summaries").then().statusCode(404);
        alpha().get("/sessions/" + cid + "/summaries/not-a-uuid").then().statusCode(404);
        alpha().get("/sessions/" + cid + "/summaries/" + UUID.randomUUID()).then().statusCode(404);
        for (String query : List.of("limit=0", "limit=201", "limit=-1", "cursor=!!!", "cursor=" + java.util.Base64.getUrlEncoder().encodeToString("x".getBytes()))) {
            alpha().urlEncodingEnabled(false).get("/sessions/" + cid + "/summaries?" + query).then().statusCode(400);
        }
        alpha().get("/sessions/" + cid + "/summaries").then().statusCode(200).body("items", org.hamcrest.Matchers.empty());
    }

    @Test
    void theContextReadUsesTheHighestSummaryThatFitsWithEverythingAfterIt() {
        String cid = "sumctx-" + UUID.randomUUID();
        append(cid, 10_000, 10); // 100,000 tokens in all
        String at5000 = summary(cid, 5000, 50);
        String at9000 = summary(cid, 9000, 30);
        String at9990 = summary(cid, 9990, 5000);
        String path = "/sessions/" + cid + "/context?max_tokens=";
        // without the parameter: today's answer, byte for byte, with no summary key
        String plain = alpha().get(path + 2000).then().statusCode(200).extract().asString();
        assertThat(alpha().get(path + 2000 + "&summaries=false").then().extract().asString()).isEqualTo(plain);
        assertThat(plain).doesNotContain("\"summary\"");
        // nothing fits with everything after it: the plain answer, summary null
        alpha().get(path + 2000 + "&summaries=true").then().statusCode(200).body("summary", nullValue())
                .body("totals.messages", equalTo(200)).body("omitted_messages", equalTo(9800));
        // 9990's 5000 tokens and the last 10 messages' 100 fit 5100 exactly
        alpha().get(path + 5100 + "&summaries=true").then().statusCode(200).body("summary.id", equalTo(at9990))
                .body("summary.through_seq", equalTo(9990)).body("summary.token_count", equalTo(5000))
                .body("messages.seq", equalTo(seqs(9991, 10_000))).body("totals.tokens", equalTo(5100))
                .body("omitted_messages", equalTo(9990)).body("first_included_seq", equalTo(9991));
        // one token short: 9990 does not fit, 9000 with 1000 messages (10,030) does not either, nor 5000: plain
        alpha().get(path + 5099 + "&summaries=true").then().body("summary", nullValue()).body("totals.tokens", equalTo(5090));
        alpha().get(path + 10_030 + "&summaries=true").then().body("summary.id", equalTo(at9990)); // 9990 still the highest fitting
        // a budget where everything fits needs no summary
        alpha().get(path + 100_000 + "&summaries=true").then().body("summary", nullValue()).body("omitted_messages", equalTo(0));
        // redacting 9980 makes 9990 stale (it covers it), not 9000 or 5000; the next read falls back to 9000
        alpha().delete("/sessions/" + cid + "/messages/9980").then().statusCode(204);
        alpha().get("/sessions/" + cid + "/summaries/" + at9990).then().body("stale", equalTo(true)).body("content", nullValue());
        alpha().get(path + 10_030 + "&summaries=true").then().statusCode(200).body("summary.id", equalTo(at9000))
                .body("messages.size()", equalTo(1000)).body("totals.tokens", equalTo(10_030))
                .body("first_included_seq", equalTo(9001)).body("omitted_messages", equalTo(9000));
        assertThat(at5000).isNotNull();
    }

    @Test
    void aContextReadWithASummaryIsServedFromTheCacheAndEveryChangeToTheSummariesIsSeenAtOnce() {
        String cid = "sumhit-" + UUID.randomUUID(); // small enough to be cached whole (EXAI_STORE_CACHE_MAX_MESSAGES)
        append(cid, 100, 10);
        String at90 = summary(cid, 90, 20);
        String path = "/sessions/" + cid + "/context?max_tokens=120&summaries=true";
        alpha().get(path).then().statusCode(200).body("summary.id", equalTo(at90)); // fills the cached summaries
        // the summaries are cached beside the messages, and a read answers from Redis alone: a changed cached copy shows
        try (Jedis jedis = TestServers.jedis()) {
            Set<String> cached = jedis.keys("exai:*{alpha:" + cid + "}:sumc");
            assertThat(cached).isNotEmpty();
            cached.forEach(key -> {
                assertThat(jedis.hget(key, at90)).isEqualTo("summary through 90");
                jedis.hset(key, at90, "as cached");
            });
        }
        alpha().get(path).then().statusCode(200).header("X-Cache", "hit").body("summary.id", equalTo(at90))
                .body("summary.content", equalTo("as cached")).body("messages.seq", equalTo(seqs(91, 100)))
                .body("totals.tokens", equalTo(120)).body("omitted_messages", equalTo(90)).body("first_included_seq", equalTo(91));
        // a new summary drops the cached ones: the next read has it
        String at95 = summary(cid, 95, 70);
        alpha().get(path).then().header("X-Cache", "hit").body("summary.id", equalTo(at95)).body("totals.tokens", equalTo(120));
        alpha().get(path).then().header("X-Cache", "hit").body("summary.id", equalTo(at95)).body("messages.seq", equalTo(seqs(96, 100)));
        // so does a deletion: back to 90, as PostgreSQL holds it
        alpha().delete("/sessions/" + cid + "/summaries/" + at95).then().statusCode(204);
        alpha().get(path).then().body("summary.id", equalTo(at90)).body("summary.content", equalTo("summary through 90"));
        alpha().get(path).then().header("X-Cache", "hit").body("summary.content", equalTo("summary through 90"));
        // and a redaction it covers: never served from the cache again
        alpha().delete("/sessions/" + cid + "/messages/85").then().statusCode(204);
        alpha().get(path).then().header("X-Cache", "hit").body("summary", nullValue()).body("totals.tokens", equalTo(120))
                .body("messages.seq", equalTo(seqs(89, 100)));
        alpha().get(path).then().header("X-Cache", "hit").body("summary", nullValue());
    }

    @Test
    void aSummaryMadeStaleWhileRedisIsAwayIsNeverServedFromWhatRedisKeptNorAfterRedisLosesEverything() throws Exception {
        Api.awaitRedis("up");
        String cid = "sumout-" + UUID.randomUUID();
        append(cid, 100, 10);
        String at90 = summary(cid, 90, 20);
        String path = "/sessions/" + cid + "/context?max_tokens=120&summaries=true";
        alpha().get(path).then().body("summary.id", equalTo(at90));
        alpha().get(path).then().header("X-Cache", "hit").body("summary.id", equalTo(at90));
        try {
            StoreTestResource.redisProxy().cut();
            alpha().delete("/sessions/" + cid + "/messages/85").then().statusCode(204);
            // Redis still holds the summary as it was before the redaction
            try (Jedis jedis = TestServers.jedis()) {
                assertThat(jedis.keys("exai:*{alpha:" + cid + "}:sumc").stream().map(key -> jedis.hget(key, at90)))
                        .contains("summary through 90");
            }
        } finally {
            StoreTestResource.redisProxy().restore();
        }
        Api.awaitRedis("up");
        alpha().get(path).then().statusCode(200).body("summary", nullValue());
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200); // a history read fills the new generation's cache
        alpha().get(path).then().body("summary", nullValue());
        alpha().get(path).then().header("X-Cache", "hit").body("summary", nullValue()).body("totals.tokens", equalTo(120));
        // Redis loses everything (a restart without persistence): the cache fills again from PostgreSQL, without it
        try (Jedis jedis = TestServers.jedis()) {
            jedis.keys("exai:*{alpha:" + cid + "}:*").forEach(jedis::del);
        }
        alpha().get(path).then().statusCode(200).body("summary", nullValue());
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
        alpha().get(path).then().body("summary", nullValue());
        alpha().get(path).then().header("X-Cache", "hit").body("summary", nullValue());
        String at95 = summary(cid, 95, 70);
        alpha().get(path).then().body("summary.id", equalTo(at95));
        alpha().get(path).then().header("X-Cache", "hit").body("summary.id", equalTo(at95));
    }

    @Test
    void aRedactionInACoveredParentMakesTheContinuationsSummariesStale() throws Exception {
        String parent = "sumpar-" + UUID.randomUUID();
        String child = "sumkid-" + UUID.randomUUID();
        append(parent, 50, 5);
        alpha().body(Map.of("continuation_id", child, "at_seq", 30)).post("/sessions/" + parent + "/fork").then().statusCode(201);
        append(child, 10, 5);
        String childSummary = summary(child, 5, 20);
        String parentLate = summary(parent, 45, 20);
        String parentEarly = summary(parent, 10, 20);
        try (EventStream feed = EventStream.open(Api.ALPHA_KEY, "?types=summary.stale,message.redacted", null)) {
            // after the link: the child's history does not hold it
            alpha().delete("/sessions/" + parent + "/messages/40").then().statusCode(204);
            alpha().get("/sessions/" + child + "/summaries/" + childSummary).then().body("stale", equalTo(false));
            alpha().get("/sessions/" + parent + "/summaries/" + parentLate).then().body("stale", equalTo(true));
            // before the link: the child's summary covers it too; the parent's summary through 10 does not
            alpha().delete("/sessions/" + parent + "/messages/20").then().statusCode(204);
            alpha().get("/sessions/" + child + "/summaries/" + childSummary).then().body("stale", equalTo(true)).body("content", nullValue());
            alpha().get("/sessions/" + parent + "/summaries/" + parentEarly).then().body("stale", equalTo(false));
            List<String> stale = new ArrayList<>();
            for (EventStream.Event event : feed.next(4, Duration.ofSeconds(10))) {
                if (event.type().equals("summary.stale")) {
                    stale.add(event.data().path("summary_id").asText());
                }
            }
            assertThat(stale).containsExactly(parentLate, childSummary);
        }
        // the stale one is never served: the child's context read with summaries answers without it
        alpha().get("/sessions/" + child + "/context?max_tokens=30&summaries=true").then().statusCode(200).body("summary", nullValue());
    }

    @Test
    void aForkAndAChainUseTheParentsSummariesThroughTheLinkAsTheirOwn() {
        String parent = "sumroot-" + UUID.randomUUID();
        String fork = "sumfork-" + UUID.randomUUID();
        String grandchild = "sumgrand-" + UUID.randomUUID();
        append(parent, 100, 10);
        String at40 = summary(parent, 40, 15);
        String at60 = summary(parent, 60, 25);
        String at80 = summary(parent, 80, 20); // past the link: not the fork's
        alpha().body(Map.of("continuation_id", fork, "at_seq", 70)).post("/sessions/" + parent + "/fork").then().statusCode(201);
        append(fork, 20, 10); // the fork's history: the parent's 1..70 (700 tokens), then its own 200

        // listed as the fork's own, with the session each belongs to; one past the link is not the fork's
        alpha().get("/sessions/" + fork + "/summaries").then().statusCode(200)
                .body("items.id", equalTo(List.of(at60, at40))).body("items.continuation_id", equalTo(List.of(parent, parent)));
        alpha().get("/sessions/" + fork + "/summaries/" + at60).then().statusCode(200).body("continuation_id", equalTo(parent));
        alpha().get("/sessions/" + fork + "/summaries/" + at80).then().statusCode(404);
        alpha().delete("/sessions/" + fork + "/summaries/" + at40).then().statusCode(409).contentType("application/problem+json");

        String path = "/sessions/" + fork + "/context?summaries=true&max_tokens=";
        // 500: the fork's 200 whole, 300 left for the parent; 60's 25 + the parent's 61..70 (100) fit, 40's 15 + 300 do not
        alpha().get(path + 500).then().statusCode(200).body("summary.id", equalTo(at60)).body("summary.continuation_id", equalTo(parent))
                .body("messages.seq", equalTo(concat(seqs(61, 70), seqs(1, 20))))
                .body("messages.continuation_id[0]", equalTo(parent)).body("messages.continuation_id[10]", equalTo(fork))
                .body("totals.tokens", equalTo(325)).body("omitted_messages", equalTo(60))
                .body("first_included_seq", equalTo(61)).body("first_included_continuation_id", equalTo(parent));
        // one token short of 60's fit, and 40's: the plain answer
        alpha().get(path + 324).then().statusCode(200).body("summary", nullValue()).body("totals.tokens", equalTo(320))
                .body("totals.messages", equalTo(32));
        // without the chain the parent's summaries do not serve
        alpha().get(path + 150 + "&include_chain=false").then().body("summary", nullValue()).body("totals.tokens", equalTo(150));

        // the fork's own summary stands in for more of the history than any of the parent's: it wins where it fits
        String forkAt10 = summary(fork, 10, 30);
        alpha().get(path + 500).then().body("summary.id", equalTo(forkAt10)).body("messages.seq", equalTo(seqs(11, 20)))
                .body("totals.tokens", equalTo(130)).body("omitted_messages", equalTo(80));

        // a redaction in the parent before the link makes the fork's summary stale, not the parent's older one
        alpha().delete("/sessions/" + parent + "/messages/65").then().statusCode(204);
        alpha().get("/sessions/" + fork + "/summaries/" + forkAt10).then().body("stale", equalTo(true));
        alpha().get(path + 500).then().body("summary.id", equalTo(at60));
        alpha().delete("/sessions/" + parent + "/messages/50").then().statusCode(204);
        alpha().get(path + 500).then().body("summary", nullValue());
        alpha().get(path + 520).then().body("summary.id", equalTo(at40)).body("totals.tokens", equalTo(515))
                .body("totals.messages", equalTo(50)).body("omitted_messages", equalTo(40));

        // a chain two deep (parent_continuation_id): the root's summary serves the grandchild across the fork
        alpha().body(Map.of("continuation_id", grandchild, "parent_continuation_id", fork)).post("/sessions").then().statusCode(201);
        append(grandchild, 5, 10);
        alpha().get("/sessions/" + grandchild + "/summaries").then().body("items.id", equalTo(List.of(forkAt10, at60, at40)))
                .body("items.stale", equalTo(List.of(true, true, false)));
        alpha().get("/sessions/" + grandchild + "/context?summaries=true&max_tokens=600").then().statusCode(200)
                .body("summary.id", equalTo(at40)).body("totals.tokens", equalTo(565)).body("totals.messages", equalTo(55))
                .body("omitted_messages", equalTo(40)).body("first_included_continuation_id", equalTo(parent))
                .body("first_included_seq", equalTo(41));
    }

    @Test
    void aProviderWritesTheSummaryFromTheHistoryAndAnyOlderSummaryItBuildsOn() {
        FakeProviders fake = FakeProviders.get();
        fake.reset();
        String cid = "sumgen-" + UUID.randomUUID();
        append(cid, 30, 100);
        Map<String, Object> glm = Map.of("provider", "glm", "model", "glm-4.6", "max_tokens", 400);
        // the whole history through 20 fits the default window: 20 turns, the instructions and the system line
        JsonPath first = alpha().header("Idempotency-Key", "gen-1").body(Map.of("through_seq", 20, "generate", glm))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201).body("content", equalTo("A summary of 22 messages."))
                .body("token_count", equalTo(7)).body("token_count_estimated", equalTo(false)).body("model", equalTo("glm-4.6"))
                .body("metadata.generated.provider", equalTo("glm")).body("metadata.generated.usage.output_tokens", equalTo(7))
                .body("metadata.generated.built_on", nullValue()).extract().jsonPath();
        assertThat(fake.lastChat.path("model").asText()).isEqualTo("glm-4.6");
        assertThat(fake.lastChat.path("max_tokens").asInt()).isEqualTo(400);
        assertThat(fake.lastChat.path("messages").get(1).path("content").asText()).isEqualTo("message 1");
        assertThat(fake.lastChat.path("messages").get(20).path("content").asText()).isEqualTo("message 20");
        // a replay calls no provider
        int calls = fake.completions.get();
        alpha().header("Idempotency-Key", "gen-1").body(Map.of("through_seq", 20, "generate", glm))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201).header("Idempotent-Replayed", "true")
                .body("id", equalTo(first.getString("id")));
        assertThat(fake.completions.get()).isEqualTo(calls);
        // a window of 1,000 tokens holds 9 turns: the summary through 20 stands in for 1..20, then 21..28 (7 + 800 tokens)
        alpha().body(Map.of("through_seq", 28, "generate", Map.of("provider", "kimi", "model", "kimi-k2", "window_tokens", 1000,
                        "instructions", "Be brief.")))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201)
                .body("metadata.generated.built_on", equalTo(first.getString("id"))).body("metadata.generated.messages", equalTo(8));
        assertThat(fake.lastChat.path("messages").get(1).path("content").asText())
                .isEqualTo("Summary of the earlier part of the conversation:\nA summary of 22 messages.");
        assertThat(fake.lastChat.path("messages").get(2).path("content").asText()).isEqualTo("message 21");
        assertThat(fake.lastChat.path("messages").get(10).path("content").asText()).isEqualTo("Be brief.");
        // a provider that keeps failing: 502 problem+json, nothing stored, no event
        fake.failNext(10, 500);
        try {
            alpha().body(Map.of("through_seq", 30, "generate", glm)).post("/sessions/" + cid + "/summaries").then().statusCode(502)
                    .contentType("application/problem+json");
        } finally {
            fake.reset();
        }
        alpha().get("/sessions/" + cid + "/summaries").then().body("items.through_seq", equalTo(List.of(28, 20)));
    }

    @Test
    void anExportCarriesTheLiveSummariesAndAnImportRestoresThem() {
        String cid = "sumexp-" + UUID.randomUUID();
        append(cid, 40, 10);
        String kept = summary(cid, 30, 15);
        summary(cid, 35, 15);
        alpha().delete("/sessions/" + cid + "/messages/33").then().statusCode(204); // the one through 35 goes stale
        String export = alpha().accept("application/x-ndjson").get("/sessions/" + cid + "/export").then().statusCode(200).extract().asString();
        List<String> lines = export.lines().toList();
        assertThat(lines).hasSize(1 + 40 + 1);
        JsonPath line = new JsonPath(lines.get(41));
        assertThat(line.getString("kind")).isEqualTo("summary");
        assertThat(line.getInt("through_seq")).isEqualTo(30);
        assertThat(line.getString("content")).isEqualTo("summary through 30");
        String copy = "sumimp-" + UUID.randomUUID();
        alpha().contentType("application/x-ndjson").body(export.getBytes(java.nio.charset.StandardCharsets.UTF_8)).post("/sessions/import?continuation_id=" + copy).then().statusCode(201);
        String restored = alpha().get("/sessions/" + copy + "/summaries").then().statusCode(200)
                .body("items.through_seq", equalTo(List.of(30))).body("items[0].content", equalTo("summary through 30"))
                .extract().path("items[0].id");
        assertThat(restored).isNotEqualTo(kept);
        alpha().get("/sessions/" + copy + "/context?max_tokens=115&summaries=true").then().statusCode(200)
                .body("summary.id", equalTo(restored)).body("messages.seq", equalTo(seqs(31, 40))).body("totals.tokens", equalTo(115));
        // a bad summary line: 400 naming it, and no session
        String bad = "sumbad-" + UUID.randomUUID();
        String badExport = export.replace("\"through_seq\":30", "\"through_seq\":99");
        alpha().contentType("application/x-ndjson").body(badExport.getBytes(java.nio.charset.StandardCharsets.UTF_8)).post("/sessions/import?continuation_id=" + bad).then().statusCode(400)
                .body("detail", org.hamcrest.Matchers.containsString("line 42"));
        alpha().get("/sessions/" + bad).then().statusCode(404);
    }

    private static String summary(String cid, int through, int tokens) {
        return alpha().body(Map.of("through_seq", through, "content", "summary through " + through, "token_count", tokens))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201).extract().path("id");
    }

    /** Appends {@code count} messages of {@code tokens} tokens each, in batches of 100. */
    private static void append(String cid, int count, int tokens) {
        for (int first = 1; first <= count; first += 100) {
            List<Map<String, Object>> batch = new ArrayList<>();
            for (int seq = first; seq < first + 100 && seq <= count; seq++) {
                batch.add(Map.of("role", seq % 2 == 1 ? "user" : "assistant", "content", "message " + seq, "token_count", tokens));
            }
            alpha().body(batch).post("/sessions/" + cid + "/messages?create=true").then().statusCode(201);
        }
    }

    private static List<Integer> concat(List<Integer> first, List<Integer> then) {
        List<Integer> all = new ArrayList<>(first);
        all.addAll(then);
        return all;
    }

    private static List<Integer> seqs(int from, int to) {
        List<Integer> seqs = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            seqs.add(i);
        }
        return seqs;
    }
}
