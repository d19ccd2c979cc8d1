package dev.exai.store;

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
 * Installs the Python client package (clients/python) into a fresh virtual environment with no package index
 * (`pip install --no-index`, as on a machine without PyPI), then runs its sync and asyncio tests
 * with that installed package against the packaged service.
 */
class PythonClientIT {

    private static final String KEY = "python-client-key";

    @Test
    void thePackageInstallsWithoutAnIndexAndItsTestsPassAgainstThePackagedService() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0, "python3 is not installed");
        Path venv = Files.createTempDirectory("exai-python-venv");
        run(List.of("python3", "-m", "venv", venv.toString()), Path.of("."), Map.of());
        String pip = run(List.of(venv.resolve("bin/pip").toString(), "install", "--no-index",
                Path.of("clients", "python").toAbsolutePath().toString()), Path.of("."), Map.of());
        assertThat(pip).contains("Successfully installed exai-store-");

        String database = TestServers.createDatabase("exai_python");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-python").toString());
        String tests = Path.of("clients", "python", "tests").toAbsolutePath().toString();
        String thread = java.util.UUID.randomUUID().toString();
        try (AppProcess app = AppProcess.start("python-client", database, "py:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            // run from a directory without the sources, so the installed package is the one imported
            String output = python(venv, app, Map.of("EXAI_STORE_EXPECT_INSTALLED_IN", venv.toString()), "discover", "-v", "-s", tests);
            System.out.println(output);
            assertThat(output).containsPattern("test_two_calls_are_in_flight_at_once_and_the_loop_keeps_running \\(.*\\) \\.\\.\\. ok")
                    .containsPattern("test_the_installed_package_is_the_one_under_test \\(.*\\) \\.\\.\\. ok")
                    .containsPattern("test_a_thread_written_again_and_again_appends_each_turn_once_and_reads_back_the_same \\(.*\\) \\.\\.\\. ok")
                    .containsPattern("Ran \\d+ tests").contains("OK");
            // EXAI's own check: a thread written through PAL's storage interface is there after exai-store restarts
            String written = python(venv, app, Map.of("EXAI_STORE_PAL_PHASE", "write", "EXAI_STORE_PAL_THREAD", thread),
                    "discover", "-v", "-s", tests, "-p", "test_pal.py", "-k", "PalRestartTest");
            assertThat(written).contains("test_the_thread_survives_a_restart").contains("ok").doesNotContain("skipped");
        }
        try (AppProcess again = AppProcess.start("python-client-again", database, "py:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            String read = python(venv, again, Map.of("EXAI_STORE_PAL_PHASE", "read", "EXAI_STORE_PAL_THREAD", thread),
                    "discover", "-v", "-s", tests, "-p", "test_pal.py", "-k", "PalRestartTest");
            assertThat(read).contains("test_the_thread_survives_a_restart").contains("ok").doesNotContain("skipped");
        }
    }

    private static String python(Path venv, AppProcess app, Map<String, String> extraEnv, String... unittestArgs) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(venv.resolve("bin/python").toString(), "-m", "unittest"));
        command.addAll(List.of(unittestArgs));
        Map<String, String> env = new java.util.HashMap<>(extraEnv);
        env.putAll(Map.of("EXAI_STORE_URL", app.url(), "EXAI_STORE_API_KEY", KEY, "PYTHONDONTWRITEBYTECODE", "1"));
        return run(command, venv, env);
    }

    private static String run(List<String> command, Path directory, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s%n%s", command, output).isZero();
        return output;
    }
}
