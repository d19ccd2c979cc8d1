package dev.exai.store.session;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.beta;
import static dev.exai.store.testing.Api.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import dev.exai.store.testing.TestServers;
import io.restassured.specification.RequestSpecification;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Search in Chinese, Japanese and English on one index, with filters, snippets and cursors, against real PostgreSQL. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class SearchApiTest {

    private static final String CHINESE = "昨天的数据库连接失败了，我们需要检查配置文件。";
    private static final String JAPANESE = "東京タワーに行きましたが、エレベーターは混んでいました。";
    private static final String ENGLISH = "The build runs every night and the deploy runs after it.";
    private static final String MIXED = "Kimi 说数据库连接池已经满了 and the retries were running late";

    private static String session(String... contents) {
        String cid = newId();
        List<Map<String, Object>> batch = new ArrayList<>();
        for (String content : contents) {
            batch.add(Map.of("role", "user", "content", content));
        }
        alpha().body(batch).queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
        return cid;
    }

    private static JsonPath search(String cid, String q, Object... params) {
        RequestSpecification spec = alpha().queryParam("q", q).queryParam("continuation_id", cid);
        for (int i = 0; i < params.length; i += 2) {
            spec.queryParam((String) params[i], params[i + 1]);
        }
        return spec.get("/messages/search").then().statusCode(200).extract().jsonPath();
    }

    private static List<Integer> seqs(JsonPath page) {
        return page.getList("items.seq");
    }

    @Test
    void wordsInsideChineseAndJapaneseTextAreFoundAndEnglishIsStemmed() {
        String cid = session(CHINESE, JAPANESE, ENGLISH, MIXED);

        assertThat(seqs(search(cid, "连接"))).containsExactlyInAnyOrder(1, 4);
        assertThat(seqs(search(cid, "数据库连接"))).containsExactlyInAnyOrder(1, 4);
        assertThat(seqs(search(cid, "配置文件"))).containsExactly(1);
        assertThat(seqs(search(cid, "连接池"))).containsExactly(4);
        assertThat(seqs(search(cid, "タワー"))).containsExactly(2);
        assertThat(seqs(search(cid, "エレベーター"))).containsExactly(2);
        assertThat(seqs(search(cid, "東京"))).containsExactly(2);
        // one character: any word starting with it, and the last character of a run too
        assertThat(seqs(search(cid, "池"))).containsExactly(4);
        assertThat(seqs(search(cid, "了"))).containsExactlyInAnyOrder(1, 4);
        // English: stemmed, and mixed with a Chinese word both must match
        assertThat(seqs(search(cid, "running"))).containsExactlyInAnyOrder(3, 4);
        assertThat(seqs(search(cid, "run 数据库"))).containsExactly(4);
        assertThat(seqs(search(cid, "\"deploy runs\""))).containsExactly(3);
        // characters that appear, but not in this order, are no match
        assertThat(seqs(search(cid, "接连"))).isEmpty();
        assertThat(seqs(search(cid, "ータワ東"))).isEmpty();
    }

    @Test
    void hitsCarryASnippetWithTheMatchesMarked() {
        String cid = session(CHINESE, ENGLISH, MIXED);
        JsonPath chinese = search(cid, "检查配置");
        assertThat(chinese.getString("items[0].snippet")).contains("<mark>检查配置</mark>");
        assertThat(chinese.getString("items[0].content")).isEqualTo(CHINESE);
        assertThat(search(cid, "deploying").getString("items[0].snippet")).contains("<mark>deploy</mark>");
        String mixed = search(cid, "retries 连接池").getString("items[0].snippet");
        assertThat(mixed).contains("<mark>retries</mark>").contains("<mark>连接池</mark>");
        assertThat(chinese.getFloat("items[0].rank")).isPositive();
    }

    @Test
    void filtersNarrowTheHits() {
        String cid = newId();
        String other = newId();
        String word = "zebrafish";
        alpha().body(Map.of("user_id", "u-search")).put("/sessions/" + cid).then().statusCode(201);
        alpha().body(List.of(
                Map.of("role", "user", "content", word + " one", "metadata", Map.of("project", "p1", "tags", List.of("a", "b"))),
                Map.of("role", "assistant", "content", word + " two", "tool_name", "chat", "model", "kimi-k2"),
                Map.of("role", "assistant", "content", word + " three", "tool_name", "analyze", "model", "glm-4.6"))
        ).post("/sessions/" + cid + "/messages").then().statusCode(201);
        alpha().body(List.of(Map.of("role", "user", "content", word + " four", "metadata", Map.of("project", "p1"))))
                .queryParam("create", true).post("/sessions/" + other + "/messages").then().statusCode(201);

        RequestSpecification base = alpha().queryParam("q", word);
        assertThat(alpha().queryParam("q", word).queryParam("user_id", "u-search").get("/messages/search")
                .then().statusCode(200).extract().jsonPath().getList("items.continuation_id", String.class)).containsOnly(cid).hasSize(3);
        assertThat(seqs(search(cid, word))).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(seqs(search(cid, word, "role", "assistant"))).containsExactlyInAnyOrder(2, 3);
        assertThat(seqs(search(cid, word, "tool_name", "analyze"))).containsExactly(3);
        assertThat(seqs(search(cid, word, "model", "kimi-k2"))).containsExactly(2);
        assertThat(seqs(search(cid, word, "metadata", "{\"project\":\"p1\"}"))).containsExactly(1);
        assertThat(seqs(search(cid, word, "metadata", "{\"tags\":[\"b\"]}"))).containsExactly(1);
        assertThat(seqs(search(cid, word, "metadata", "{\"project\":\"p2\"}"))).isEmpty();
        String future = Instant.now().plusSeconds(3600).toString();
        String past = Instant.now().minusSeconds(3600).toString();
        assertThat(seqs(search(cid, word, "from", past, "to", future))).hasSize(3);
        assertThat(seqs(search(cid, word, "from", future))).isEmpty();
        assertThat(seqs(search(cid, word, "to", past))).isEmpty();
        List<String> both = base.queryParam("metadata", "{\"project\":\"p1\"}").get("/messages/search")
                .then().statusCode(200).extract().jsonPath().getList("items.continuation_id", String.class);
        assertThat(both).contains(cid, other);
        JsonPath hit = search(cid, word, "tool_name", "chat");
        assertThat(hit.getString("items[0].model")).isEqualTo("kimi-k2");
        assertThat(hit.getString("items[0].tool_name")).isEqualTo("chat");
        // another tenant finds nothing of alpha's
        beta().queryParam("q", word).get("/messages/search").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    void cursorsWalkEveryHitOnceInRankOrder() {
        String word = "axolotl";
        List<String> contents = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            contents.add((word + " ").repeat(i) + "filler text number " + i);
        }
        contents.add("数据 " + word);
        String cid = session(contents.toArray(String[]::new));
        List<Integer> seen = new ArrayList<>();
        List<Float> ranks = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonPath page = cursor == null ? search(cid, word, "limit", 3) : search(cid, word, "limit", 3, "cursor", cursor);
            seen.addAll(seqs(page));
            ranks.addAll(page.getList("items.rank", Float.class));
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(8);
        assertThat(new HashSet<>(seen)).hasSize(8);
        List<Float> sorted = new ArrayList<>(ranks);
        sorted.sort((a, b) -> Float.compare(b, a));
        assertThat(ranks).isEqualTo(sorted);
        assertThat(seen.get(0)).isEqualTo(7); // the most occurrences rank first
    }

    @Test
    void badFiltersAreProblems() {
        alpha().queryParam("q", "x").queryParam("metadata", "[1]").get("/messages/search")
                .then().statusCode(400).body("detail", org.hamcrest.Matchers.containsString("metadata must be a JSON object"));
        alpha().queryParam("q", "x").queryParam("metadata", "{bad").get("/messages/search").then().statusCode(400);
        alpha().queryParam("q", "x").queryParam("role", "robot").get("/messages/search")
                .then().statusCode(400).body("detail", org.hamcrest.Matchers.containsString("role must be one of"));
        alpha().queryParam("q", "x").queryParam("from", "yesterday").get("/messages/search").then().statusCode(400);
        alpha().queryParam("q", "x").queryParam("continuation_id", "bad id").get("/messages/search").then().statusCode(400);
        alpha().queryParam("q", "x").queryParam("cursor", "bm9wZQ").get("/messages/search")
                .then().statusCode(400).body("detail", equalTo("cursor is not one this service returned"));
    }

    @Test
    void theServiceIndexesEachMessageExactlyAsTheMigrationFunctionDoes() throws Exception {
        String cid = session(CHINESE, JAPANESE, ENGLISH, MIXED, "ภาษาไทยไม่มีช่องว่าง and 한국어 텍스트", "单", "", "ｶﾀｶﾅ 半角");
        try (Connection c = TestServers.connect(StoreTestResource.database());
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FILTER (WHERE m.search_doc IS DISTINCT FROM"
                     + " exai_search_document(m.content)), count(*) FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"
                     + " WHERE s.continuation_id = '" + cid + "'")) {
            rs.next();
            assertThat(rs.getInt(2)).isEqualTo(8);
            assertThat(rs.getInt(1)).as("messages whose stored search_doc differs from exai_search_document(content)").isZero();
        }
        assertThat(seqs(search(cid, "ไม่มี"))).containsExactly(5);
        assertThat(seqs(search(cid, "한국어"))).containsExactly(5);
        assertThat(seqs(search(cid, "ｶﾀｶﾅ"))).containsExactly(8);
    }
}
