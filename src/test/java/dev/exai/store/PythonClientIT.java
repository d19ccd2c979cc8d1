package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Runs the Python client's own tests (clients/python) against the packaged service. */
class PythonClientIT {

    private static final String KEY = "python-client-key";

    @Test
    void pythonClientTestsPassAgainstThePackagedService() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0, "python3 is not installed");
        String database = TestServers.createDatabase("exai_python");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-python").toString());
        try (AppProcess app = AppProcess.start("python-client", database, "py:" + KEY, env).awaitReady(Duration.ofSeconds(60))) {
            ProcessBuilder python = new ProcessBuilder("python3", "-m", "unittest", "-v", "test_exai_store")
                    .directory(Path.of("clients", "python").toFile()).redirectErrorStream(true);
            python.environment().put("EXAI_STORE_URL", app.url());
            python.environment().put("EXAI_STORE_API_KEY", KEY);
            python.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process run = python.start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
            System.out.println(output);
            assertThat(run.exitValue()).as(output).isZero();
            assertThat(output).contains("Ran 4 tests").contains("OK");
        }
    }
}
