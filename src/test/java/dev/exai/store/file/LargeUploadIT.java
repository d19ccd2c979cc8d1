package dev.exai.store.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.AppProcess;
import dev.exai.store.testing.TestServers;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged service with a 64 MiB heap takes and serves a 300 MB upload: it streams, so memory does not grow
 * with the file. The bytes are generated and hashed on the fly on the test side too.
 */
class LargeUploadIT {

    private static final long SIZE = 300L * 1000 * 1000;
    private static final String KEY = "large-upload-key";

    @Test
    void threeHundredMegabytesThroughSixtyFourMegabytesOfHeap() throws Exception {
        String database = TestServers.createDatabase("exai_large");
        Map<String, String> env = Map.of("EXAI_STORE_FILES_DIR", Files.createTempDirectory("exai-large").toString(),
                "EXAI_STORE_FILES_MAX_BYTES", Long.toString(SIZE + 1));
        try (AppProcess app = AppProcess.start("large-upload", database, "alpha:" + KEY, env, "-Xmx64m").awaitReady(Duration.ofSeconds(90))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(app.url() + "/files?filename=big.bin"))
                            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/octet-stream")
                            .POST(HttpRequest.BodyPublishers.fromPublisher(
                                    HttpRequest.BodyPublishers.ofInputStream(() -> new Generated(SIZE, sent)), SIZE))
                            .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String expected = HexFormat.of().formatHex(sent.digest());
            assertThat(created.body()).contains("\"size\":" + SIZE).contains(expected);
            String id = created.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");

            HttpResponse<InputStream> download = http.send(HttpRequest.newBuilder(URI.create(app.url() + "/files/" + id + "/content"))
                    .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(download.statusCode()).isEqualTo(200);
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long total = 0;
            try (InputStream in = download.body()) {
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    received.update(buffer, 0, n);
                    total += n;
                }
            }
            assertThat(total).isEqualTo(SIZE);
            assertThat(HexFormat.of().formatHex(received.digest())).isEqualTo(expected);
            assertThat(app.alive()).isTrue();
            System.out.printf("LargeUploadIT: peak RSS of the service during a %d-byte upload and download with -Xmx64m: %d MiB%n",
                    SIZE, app.peakRssKib() / 1024);
            assertThat(Files.readString(java.nio.file.Path.of("target", "it-logs", "large-upload.log"))).doesNotContain("OutOfMemoryError");
        }
    }

    /** Deterministic pseudo-random bytes, hashed as they are read. */
    private static final class Generated extends InputStream {
        private final long size;
        private final MessageDigest digest;
        private long position;
        private long state = 42;

        Generated(long size, MessageDigest digest) {
            this.size = size;
            this.digest = digest;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - position);
            for (int i = 0; i < n; i++) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                b[off + i] = (byte) (state >>> 56);
            }
            digest.update(b, off, n);
            position += n;
            return n;
        }
    }
}
