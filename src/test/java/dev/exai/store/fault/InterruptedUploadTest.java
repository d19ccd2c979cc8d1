package dev.exai.store.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A client that drops its connection in the middle of an upload leaves no row, no blob and no upload file. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class InterruptedUploadTest {

    private static final Path FILES = Path.of("target", "test-files");

    @Test
    void aCutUploadLeavesNothing() throws Exception {
        long filesBefore = count("SELECT count(*) FROM files");
        long blobsBefore = count("SELECT count(*) FROM blobs");
        for (String type : new String[] {"application/octet-stream", "multipart/form-data; boundary=cut"}) {
            try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
                OutputStream out = socket.getOutputStream();
                String preamble = type.startsWith("multipart")
                        ? "--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        : "";
                out.write(("POST /files?filename=cut.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + Api.ALPHA_KEY
                        + "\r\nContent-Type: " + type + "\r\nContent-Length: 5000000\r\n\r\n" + preamble).getBytes(StandardCharsets.UTF_8));
                out.write(new byte[1_000_000]);
                out.flush();
                Thread.sleep(300); // the service has written part of it to its upload file
            } // closed mid-body
        }
        for (int i = 0; i < 50 && uploadsLeft() > 0; i++) {
            Thread.sleep(100);
        }
        assertThat(uploadsLeft()).as("upload files left behind").isZero();
        assertThat(count("SELECT count(*) FROM files")).isEqualTo(filesBefore);
        assertThat(count("SELECT count(*) FROM blobs")).isEqualTo(blobsBefore);
    }

    private static long uploadsLeft() throws Exception {
        try (Stream<Path> uploads = Files.list(FILES.resolve("uploads"))) {
            return uploads.count();
        }
    }

    private static long count(String sql) throws Exception {
        try (var c = TestServers.connect(StoreTestResource.database()); var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
