package dev.exai.store.file;

import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Chooses the blob store from {@code exai-store.files.store}, and owns the uploads directory where request
 * bodies are streamed before they become blobs. Leftovers of uploads cut short by a crash are removed at start.
 */
@ApplicationScoped
public class BlobStoreProducer {

    private static final Logger LOG = Logger.getLogger(BlobStoreProducer.class);

    private final StoreConfig config;
    private final Instance<S3Client> s3;

    public BlobStoreProducer(StoreConfig config, Instance<S3Client> s3) {
        this.config = config;
        this.s3 = s3;
    }

    @Produces
    @ApplicationScoped
    BlobStore blobStore() {
        Path dir = Path.of(config.files().dir());
        return switch (config.files().store()) {
            case "local" -> new LocalBlobStore(dir);
            case "s3" -> new S3BlobStore(s3.get(), config.files().s3().bucket(), config.files().s3().prefix(), uploads());
            default -> throw new IllegalStateException("EXAI_STORE_FILES_STORE must be local or s3, not " + config.files().store());
        };
    }

    /** Where uploads are streamed before they are complete; on the same file system as local blobs. */
    public Path uploads() {
        return Path.of(config.files().dir(), "uploads");
    }

    void cleanUploads(@Observes StartupEvent event) {
        Path uploads = uploads();
        try {
            Files.createDirectories(uploads);
            try (Stream<Path> leftovers = Files.list(uploads)) {
                leftovers.forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        LOG.warnf("cannot remove upload leftover %s: %s", p, e);
                    }
                });
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + uploads + " (EXAI_STORE_FILES_DIR)", e);
        }
    }
}
