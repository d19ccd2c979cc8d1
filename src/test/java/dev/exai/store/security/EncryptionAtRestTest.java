package dev.exai.store.security;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.ScanParams;
import redis.clients.jedis.ScanResult;

/**
 * Encryption at rest (docs/security.md): with a key configured, a marker word written into a message's content and
 * reasoning, a streamed answer's pieces, a summary, a row the Supabase door writes and a session's title is found by the
 * API (history from Redis and from PostgreSQL, search in English and Chinese, the title filter, export, context with and
 * without the summary, the Supabase door's rows) while neither
 * PostgreSQL's files (data and WAL, after a checkpoint) nor any Redis key or value holds it.
 */
@QuarkusTest
@TestProfile(EncryptionAtRestTest.Encrypted.class)
@QuarkusTestResource(StoreTestResource.class)
class EncryptionAtRestTest {

    /** The test profile with encryption at rest on (a fixed test key: base64 of 32 bytes). */
    public static class Encrypted implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("exai-store.encryption.key", "q0Ow0bCk0X7n3n4Pp8c4W2fKp7Qh6m1yQ9Vd3Ls2Rj4=");
        }
    }

    @Test
    void markersAreFoundThroughTheApiButNowhereOnDiskNorInRedis() throws Exception {
        Api.awaitRedis("up");
        long started = System.currentTimeMillis();
        String marker = "zq" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String title = "Plan " + marker + " review";
        String cjk = randomHan(5);
        String cid = newId();
        alpha().body(Map.of("continuation_id", cid, "title", title)).post("/sessions").then().statusCode(201)
                .body("title", equalTo(title));
        alpha().body(List.of(Map.of("role", "user", "content", "please check " + marker + " and " + cjk + " now", "token_count", 100),
                        Map.of("role", "assistant", "content", "checked", "reasoning", "thinking about " + marker, "token_count", 100)))
                .post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(Map.of("role", "assistant", "status", "streaming")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(List.of(Map.of("index", 0, "content", "piece " + marker), Map.of("index", 1, "content", " tail")))
                .post("/sessions/" + cid + "/messages/3/chunks").then().statusCode(200);
        String streamingCid = newId();
        alpha().put("/sessions/" + streamingCid).then().statusCode(201);
        alpha().body(Map.of("role", "assistant", "status", "streaming")).post("/sessions/" + streamingCid + "/messages").then().statusCode(201);
        alpha().body(Map.of("index", 0, "content", "still streaming " + marker))
                .post("/sessions/" + streamingCid + "/messages/1/chunks").then().statusCode(200);
        alpha().get("/sessions/" + streamingCid + "/messages").then().statusCode(200)
                .body("items[0].content", equalTo("still streaming " + marker));
        alpha().body(Map.of("chunks", 2, "token_count", 10)).post("/sessions/" + cid + "/messages/3/complete").then().statusCode(200);
        alpha().body(Map.of("through_seq", 2, "content", "summary of " + marker, "token_count", 5))
                .post("/sessions/" + cid + "/summaries").then().statusCode(201);

        // the API answers the text: from Redis and from PostgreSQL
        List<String> expected = List.of("please check " + marker + " and " + cjk + " now", "checked", "piece " + marker + " tail");
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "hit")
                .body("items.content", equalTo(expected)).body("items[1].reasoning", equalTo("thinking about " + marker));
        forgetCache(cid);
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).header("X-Cache", "miss")
                .body("items.content", equalTo(expected)).body("items[1].reasoning", equalTo("thinking about " + marker));
        alpha().get("/sessions/" + cid).then().statusCode(200).body("title", equalTo(title));
        // search: an English word, a Chinese word, a single Chinese character; the title filter by word
        alpha().queryParam("q", marker).queryParam("continuation_id", cid).get("/messages/search").then().statusCode(200)
                .body("items.seq", containsInAnyOrder(1, 3)).body("items.snippet", everyItem(containsString("<mark>" + marker + "</mark>")));
        // stemmed as before: "checking" finds "check" and "checked"
        alpha().queryParam("q", "checking").queryParam("continuation_id", cid).get("/messages/search").then().statusCode(200)
                .body("items.seq", containsInAnyOrder(1, 2));
        alpha().queryParam("q", cjk.substring(0, 3)).queryParam("continuation_id", cid).get("/messages/search").then().statusCode(200)
                .body("items.seq", equalTo(List.of(1))).body("items[0].snippet", containsString("<mark>" + cjk.substring(0, 3) + "</mark>"));
        alpha().queryParam("q", cjk.substring(2, 3)).queryParam("continuation_id", cid).get("/messages/search").then().statusCode(200)
                .body("items.seq", equalTo(List.of(1)));
        alpha().queryParam("q", cjk.substring(3) + cjk.substring(0, 1)).queryParam("continuation_id", cid).get("/messages/search")
                .then().statusCode(200).body("items.size()", equalTo(0));
        alpha().queryParam("q", marker).get("/sessions").then().statusCode(200).body("items.continuation_id", equalTo(List.of(cid)));
        alpha().queryParam("q", "review " + marker).get("/sessions").then().statusCode(200).body("items.continuation_id", equalTo(List.of(cid)));
        alpha().queryParam("q", marker + " absent").get("/sessions").then().statusCode(200).body("items.size()", equalTo(0));
        // text that is no words, or tsquery syntax, is matched as words through the blind index too: never a 500
        for (String odd : List.of("!!!", "it's & (x) | !y <-> 'z'", "\\", "%_", "数")) {
            alpha().queryParam("q", odd).get("/sessions").then().statusCode(200);
            alpha().queryParam("q", odd).get("/messages/search").then().statusCode(200);
        }
        // export, context and the Supabase door's rows
        String export = alpha().get("/sessions/" + cid + "/export").then().statusCode(200).extract().asString();
        assertThat(export).contains("please check " + marker).contains("thinking about " + marker).contains(title);
        JsonPath context = alpha().get("/sessions/" + cid + "/context?max_tokens=1000").then().statusCode(200).extract().jsonPath();
        assertThat(context.getList("messages.content", String.class)).isEqualTo(expected);
        for (int read = 0; read < 2; read++) { // the first from PostgreSQL (which fills Redis), the second from Redis
            alpha().get("/sessions/" + cid + "/context?max_tokens=50&summaries=true").then().statusCode(200)
                    .body("summary.content", equalTo("summary of " + marker)).body("messages.content", equalTo(List.of(expected.get(2))));
        }
        String sessionId = alpha().header("apikey", Api.ALPHA_KEY).queryParam("continuation_id", "eq." + cid)
                .get("/rest/v1/chat_sessions").then().statusCode(200).extract().path("[0].id");
        alpha().header("apikey", Api.ALPHA_KEY).queryParam("session_id", "eq." + sessionId).queryParam("order", "created_at")
                .get("/rest/v1/chat_messages").then().statusCode(200).body("content[0]", equalTo(expected.get(0)));
        // a row the door writes is sealed as well
        alpha().header("apikey", Api.ALPHA_KEY).body(Map.of("session_id", sessionId, "role", "user", "content", "door " + marker))
                .post("/rest/v1/chat_messages").then().statusCode(201);
        List<String> all = new ArrayList<>(expected);
        all.add("door " + marker);

        // nowhere in PostgreSQL's files (WAL included, after a checkpoint) nor in Redis
        try (Connection c = TestServers.connect("postgres"); ResultSet rs = c.createStatement().executeQuery("SHOW data_directory")) {
            rs.next();
            c.createStatement().execute("CHECKPOINT");
            Path dataDirectory = Path.of(rs.getString(1));
            List<Path> holding = filesHolding(dataDirectory, marker, started - 5_000);
            assertThat(holding).as("files of %s written since the test began that hold the marker", dataDirectory).isEmpty();
            assertThat(filesHolding(dataDirectory, cjk, started - 5_000)).as("files holding the Chinese marker").isEmpty();
        }
        assertThat(redisHolding(marker)).as("Redis keys holding the marker").isEmpty();
        // the marker reached both: read back through the API after the checks
        alpha().get("/sessions/" + cid + "/messages").then().statusCode(200).body("items.content", equalTo(all));
    }

    @Test
    void sealedTextNeverPassesForInputAndIsRefusedAsSuch() {
        String cid = newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "looks like \u0001E1:AAAA")).post("/sessions/" + cid + "/messages")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("encrypted values"));
        alpha().get("/sessions/" + cid).then().body("message_count", equalTo(0));
    }

    /** {@code n} random distinct characters of the CJK Unified Ideographs block: a marker no other test writes. */
    private static String randomHan(int n) {
        java.util.Random random = new java.util.Random();
        StringBuilder out = new StringBuilder();
        while (out.length() < n) {
            char c = (char) (0x4e00 + random.nextInt(0x9fff - 0x4e00));
            if (out.indexOf(String.valueOf(c)) < 0) {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static void forgetCache(String cid) {
        try (Jedis jedis = TestServers.jedis()) {
            for (String key : jedis.keys("*" + cid + "*")) {
                jedis.del(key);
            }
        }
    }

    /** Files under {@code root} modified since {@code since} (epoch ms) whose bytes hold the text (UTF-8). */
    static List<Path> filesHolding(Path root, String text, long since) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.find(root, 20, (p, a) -> a.isRegularFile() && a.lastModifiedTime().toMillis() >= since)) {
            files.forEach(file -> {
                try {
                    if (indexOf(Files.readAllBytes(file), needle) >= 0) {
                        found.add(file);
                    }
                } catch (IOException e) {
                    if (Files.exists(file)) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }
        return found;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every Redis key whose name or value (of any type) holds the text. */
    private static List<String> redisHolding(String text) {
        List<String> found = new ArrayList<>();
        try (Jedis jedis = TestServers.jedis()) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, new ScanParams().count(1000));
                for (String key : page.getResult()) {
                    String values = switch (jedis.type(key)) {
                        case "string" -> String.valueOf(jedis.get(key));
                        case "hash" -> String.valueOf(jedis.hgetAll(key));
                        case "list" -> String.valueOf(jedis.lrange(key, 0, -1));
                        case "zset" -> String.valueOf(jedis.zrangeWithScores(key, 0, -1));
                        case "set" -> String.valueOf(jedis.smembers(key));
                        default -> "";
                    };
                    if (key.contains(text) || values.contains(text)) {
                        found.add(key);
                    }
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        return found;
    }
}
