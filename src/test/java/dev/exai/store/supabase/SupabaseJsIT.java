package dev.exai.store.supabase;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The browser and Node client, @supabase/supabase-js 2.119.0 (installed by .ci/run, named by EXAI_TEST_SUPABASE_JS;
 * skipped, saying so, without it), makes one round trip of rows and one of objects through the door against the packaged service:
 * its own request forms (no Prefer on a plain insert, ?columns= on arrays, a HEAD count, one Prefer value for an
 * upsert) and its reading of the answers.
 */
class SupabaseJsIT {

    private static final String KEY = "supabase-js-key";

    @Test
    void oneRoundTripOfRowsThroughSupabaseJs() throws Exception {
        String modules = System.getenv("EXAI_TEST_SUPABASE_JS");
        Assumptions.assumeTrue(modules != null && Files.isDirectory(Path.of(modules, "@supabase", "supabase-js")),
                "EXAI_TEST_SUPABASE_JS names no node_modules with @supabase/supabase-js (.ci/run installs it)");
        String database = TestServers.createDatabase("exai_supabase_js");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-supabase-js").toString());
        try (AppProcess app = AppProcess.start("supabase-js", database, "js:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            ProcessBuilder node = new ProcessBuilder(List.of("node", "--experimental-websocket", "--no-warnings", "door_js.cjs"))
                    .directory(Path.of("src", "test", "supabase").toFile()).redirectErrorStream(true);
            node.environment().putAll(Map.of("SUPABASE_URL", app.url(), "SUPABASE_KEY", KEY, "NODE_PATH", modules));
            Process process = node.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            JsonNode seen = new ObjectMapper().readTree(output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
            assertThat(seen.at("/plainInsert/status").asInt()).isEqualTo(201);
            assertThat(seen.at("/plainInsert/error").isNull()).isTrue();
            assertThat(seen.at("/session/continuation_id").asText()).isEqualTo(seen.path("cid").asText());
            assertThat(seen.at("/inserted/status").asInt()).isEqualTo(201);
            assertThat(seen.at("/inserted/count").asInt()).isEqualTo(2);
            assertThat(seen.path("read").toString())
                    .isEqualTo("[{\"role\":\"user\",\"content\":\"hello from supabase-js\"},{\"role\":\"assistant\",\"content\":\"hello back\"}]");
            assertThat(seen.path("count").asInt()).isEqualTo(2);
            assertThat(seen.at("/upsertAgain/status").asInt()).isEqualTo(201);
            assertThat(seen.at("/upsertAgain/data").size()).isZero();
            assertThat(seen.path("missingTable").asText()).isEqualTo("PGRST205");
            assertThat(seen.at("/removed/0/id").asText()).isEqualTo(seen.at("/session/id").asText());
            app.as(KEY).get("/sessions/" + seen.path("cid").asText()).then().statusCode(404);
            // the objects' round trip
            assertThat(seen.at("/bucket/data/name").asText()).isEqualTo(seen.path("bucketId").asText());
            assertThat(seen.at("/blobUpload/fullPath").asText()).isEqualTo(seen.path("bucketId").asText() + "/page/photo.txt");
            assertThat(seen.at("/textUpload/error").isNull()).isTrue();
            assertThat(seen.at("/duplicate/statusCode").asText()).isEqualTo("409");
            assertThat(seen.path("downloaded").asText()).isEqualTo("bytes from a page");
            assertThat(seen.path("listed").toString()).isEqualTo("[\"note.md\",\"photo.txt\"]");
            assertThat(seen.at("/signedFetch/status").asInt()).isEqualTo(200);
            assertThat(seen.at("/signedFetch/body").asText()).isEqualTo("# from a string");
            assertThat(seen.path("nativeFiles").toString()).isEqualTo("[\"photo.txt\"]");
            assertThat(seen.path("objectsRemoved").asInt()).isEqualTo(2);
            assertThat(seen.path("afterRemove").asText()).isEqualTo("404");
            assertThat(seen.at("/bucketDeleted/message").asText()).isEqualTo("Successfully deleted");
        }
    }
}
