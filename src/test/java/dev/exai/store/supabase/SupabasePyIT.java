package dev.exai.store.supabase;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The real client: supabase-py 2.31.0 installed into a fresh virtual environment runs a storage module written as
 * EXAI's is and the seed's service class (src/test/supabase), unchanged, against the packaged service, with only
 * the environment variables a user would set; they then read the same data through the native API.
 */
class SupabasePyIT {

    private static final String KEY = "supabase-door-key";

    @Test
    void exaisModuleAndTheSeedsServiceRunUnchangedAgainstTheDoor() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0, "python3 is not installed");
        Path venv = Files.createTempDirectory("exai-supabase-venv");
        run(List.of("python3", "-m", "venv", venv.toString()), Path.of("."), Map.of(), false);
        String pip = run(List.of(venv.resolve("bin/pip").toString(), "install", "--retries", "0", "--timeout", "10", "supabase==2.31.0"),
                Path.of("."), Map.of(), true);
        Assumptions.assumeTrue(pip.contains("Successfully installed") || pip.contains("already satisfied"),
                "supabase==2.31.0 could not be installed from the package index: " + pip);

        String database = TestServers.createDatabase("exai_supabase");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-supabase").toString());
        try (AppProcess app = AppProcess.start("supabase-door", database, "door:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            String output = run(List.of(venv.resolve("bin/python").toString(), "-m", "unittest", "-v", "test_door"),
                    Path.of("src", "test", "supabase"),
                    Map.of("SUPABASE_URL", app.url(), "SUPABASE_SERVICE_ROLE_KEY", KEY, "SUPABASE_KEY", KEY, "PYTHONDONTWRITEBYTECODE", "1"),
                    false);
            System.out.println(output);
            assertThat(output).contains("test_conversations_and_idempotent_messages_on_the_same_data_as_the_native_api")
                    .contains("test_sessions_and_messages_of_the_seed").contains("test_files_are_objects_with_metadata_rows_and_links")
                    .contains("test_buckets_objects_and_urls").contains("test_files_of_the_seed")
                    .containsPattern("Ran \\d+ tests").contains("OK");
        }
    }

    private static String run(List<String> command, Path directory, Map<String, String> env, boolean mayFail) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
        if (!mayFail) {
            assertThat(process.exitValue()).as("%s%n%s", command, output).isZero();
        }
        return output;
    }
}
