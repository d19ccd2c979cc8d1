package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A database holding EXAI's hand-made tables, with rows, is upgraded in place by two instances starting at once:
 * the migrations run once, the old conversations are served (numbered by created_at), and new appends continue them.
 */
class LegacyMigrationIT {

    private static final String KEY = "legacy-test-key";

    @Test
    void twoInstancesMigrateALegacyDatabaseOnceAndServeItsRows() throws Exception {
        String database = TestServers.createDatabase("exai_legacy");
        TestServers.execute(database,
                "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"",
                "CREATE TABLE chat_sessions (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), continuation_id TEXT UNIQUE NOT NULL, "
                        + "created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW(), user_id TEXT, metadata JSONB)",
                "CREATE TABLE chat_messages (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), "
                        + "session_id UUID REFERENCES chat_sessions(id) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL, "
                        + "created_at TIMESTAMP DEFAULT NOW(), metadata JSONB)",
                "INSERT INTO chat_sessions (continuation_id, user_id, metadata) VALUES ('legacy-a', 'alice', '{\"model\":\"glm-4.6\"}'), ('legacy-b', NULL, NULL)",
                // inserted out of order: seq must follow created_at
                "INSERT INTO chat_messages (session_id, role, content, created_at) SELECT id, 'assistant', 'second', '2026-01-01 10:00:02' FROM chat_sessions WHERE continuation_id = 'legacy-a'",
                "INSERT INTO chat_messages (session_id, role, content, created_at) SELECT id, 'user', 'first', '2026-01-01 10:00:01' FROM chat_sessions WHERE continuation_id = 'legacy-a'",
                "INSERT INTO chat_messages (session_id, role, content, created_at, metadata) SELECT id, 'user', 'only', '2026-01-02 09:00:00', '{\"k\":1}' FROM chat_sessions WHERE continuation_id = 'legacy-b'",
                "INSERT INTO chat_messages (session_id, role, content) VALUES (NULL, 'user', 'orphan')");

        Map<String, String> env = Map.of("EXAI_STORE_DEFAULT_TENANT", "exai");
        try (AppProcess a = AppProcess.start("legacy-a", database, "exai:" + KEY, env);
             AppProcess b = AppProcess.start("legacy-b", database, "exai:" + KEY, env)) {
            a.awaitReady(Duration.ofSeconds(90));
            b.awaitReady(Duration.ofSeconds(90));

            try (var c = TestServers.connect(database);
                 ResultSet rs = c.createStatement().executeQuery("SELECT version, count(*) FROM flyway_schema_history "
                         + "WHERE success AND version IS NOT NULL GROUP BY version ORDER BY version::numeric")) {
                StringBuilder versions = new StringBuilder();
                while (rs.next()) {
                    versions.append(rs.getString(1)).append('x').append(rs.getInt(2)).append(' ');
                }
                // the baseline (0) and every migration in migrations/, each applied exactly once
                StringBuilder expected = new StringBuilder("0x1 ");
                try (var files = java.nio.file.Files.list(java.nio.file.Path.of("migrations"))) {
                    files.map(f -> f.getFileName().toString().replaceAll("^V(\\d+)__.*", "$1")).map(Integer::parseInt).sorted()
                            .forEach(v -> expected.append(v).append("x1 "));
                }
                assertThat(versions.toString().trim()).isEqualTo(expected.toString().trim());
            }

            a.as(KEY).get("/sessions/legacy-a").then().statusCode(200)
                    .body("user_id", equalTo("alice")).body("metadata.model", equalTo("glm-4.6")).body("message_count", equalTo(2));
            b.as(KEY).get("/sessions/legacy-a/messages").then().statusCode(200)
                    .body("items.seq", equalTo(List.of(1, 2))).body("items.content", equalTo(List.of("first", "second")));
            a.as(KEY).get("/sessions/legacy-b/messages").then().statusCode(200)
                    .body("items[0].metadata.k", equalTo(1)).body("items[0].created_at", equalTo("2026-01-02T09:00:00.000Z"));
            b.as(KEY).body(Map.of("role", "assistant", "content", "third")).post("/sessions/legacy-a/messages").then().statusCode(201)
                    .body("seq", equalTo(3));
            a.as(KEY).queryParam("q", "second").get("/messages/search").then().statusCode(200)
                    .body("items[0].continuation_id", equalTo("legacy-a"));
        }
        try (var c = TestServers.connect(database);
             ResultSet rs = c.createStatement().executeQuery("SELECT content FROM chat_messages_orphaned")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("orphan");
        }
    }
}
