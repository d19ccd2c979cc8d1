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
        try (AppProcess app = AppProcess.start("python-client", database, "py:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            // run from a directory without the sources, so the installed package is the one imported
            String output = run(List.of(venv.resolve("bin/python").toString(), "-m", "unittest", "discover", "-v",
                            "-s", Path.of("clients", "python", "tests").toAbsolutePath().toString()), venv,
                    Map.of("EXAI_STORE_URL", app.url(), "EXAI_STORE_API_KEY", KEY, "PYTHONDONTWRITEBYTECODE", "1",
                            "EXAI_STORE_EXPECT_INSTALLED_IN", venv.toString()));
            System.out.println(output);
            assertThat(output).containsPattern("test_two_calls_are_in_flight_at_once_and_the_loop_keeps_running \\(.*\\) \\.\\.\\. ok")
                    .containsPattern("test_the_installed_package_is_the_one_under_test \\(.*\\) \\.\\.\\. ok")
                    .containsPattern("Ran \\d+ tests").contains("OK");
        }
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
