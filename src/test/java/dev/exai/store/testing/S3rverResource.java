package dev.exai.store.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A real S3-compatible server for the S3 blob store's tests: s3rver (npm), found through EXAI_TEST_S3RVER or at
 * the place .ci/run installs it, started on a free loopback port with the bucket created.
 */
public class S3rverResource implements QuarkusTestResourceLifecycleManager {

    public static final String BUCKET = "exai-test";
    /** The directory where the running s3rver keeps its objects (as {@code <bucket>/<key>._S3rver_object} files). */
    private static volatile Path data;
    private Process process;

    /** The s3rver executable, or null when it is not installed on this machine. */
    public static Path executable() {
        String given = System.getenv("EXAI_TEST_S3RVER");
        Path path = Path.of(given != null && !given.isBlank() ? given : "/tmp/exai-s3rver/node_modules/.bin/s3rver");
        return Files.isExecutable(path) ? path : null;
    }

    public static Path data() {
        return data;
    }

    public static boolean available() {
        return executable() != null;
    }

    @Override
    public Map<String, String> start() {
        int port = TestServers.freePort();
        try {
            data = Files.createTempDirectory("s3rver");
            Path log = Path.of("target", "it-logs");
            Files.createDirectories(log);
            process = new ProcessBuilder(List.of(executable().toString(), "-d", data.toString(), "-a", "127.0.0.1",
                    "-p", Integer.toString(port), "--silent", "--configure-bucket", BUCKET))
                    .redirectErrorStream(true).redirectOutput(log.resolve("s3rver.log").toFile()).start();
            for (int i = 0; i < 100 && !listening(port); i++) {
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start s3rver", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Map.of(
                "exai-store.files.store", "s3",
                "exai-store.files.s3.bucket", BUCKET,
                "quarkus.s3.endpoint-override", "http://127.0.0.1:" + port,
                "quarkus.s3.aws.credentials.type", "static",
                "quarkus.s3.aws.credentials.static-provider.access-key-id", "S3RVER",
                "quarkus.s3.aws.credentials.static-provider.secret-access-key", "S3RVER");
    }

    @Override
    public void stop() {
        if (process != null) {
            process.destroy();
        }
    }

    private static boolean listening(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
