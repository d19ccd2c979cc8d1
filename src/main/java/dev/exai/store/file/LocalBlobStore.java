package dev.exai.store.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jboss.resteasy.reactive.PathPart;

/**
 * Blobs as files under {@code <dir>/blobs/ab/cd/<sha256>}, placed by an atomic rename of the finished upload,
 * so a blob is either absent or complete. The directory is a volume in production; files survive restarts.
 */
public class LocalBlobStore implements BlobStore {

    private final Path blobs;

    public LocalBlobStore(Path dir) {
        this.blobs = dir.resolve("blobs");
    }

    @Override
    public void put(String sha256, Path upload) {
        Path target = path(sha256);
        try {
            if (Files.exists(target)) {
                Files.deleteIfExists(upload);
                return;
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(upload, target);
            }
        } catch (FileAlreadyExistsException e) {
            deleteQuietly(upload);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store blob " + sha256, e);
        }
    }

    @Override
    public void delete(String sha256) {
        try {
            Files.deleteIfExists(path(sha256));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob " + sha256, e);
        }
    }

    @Override
    public Object read(String sha256, long offset, long length) {
        return new PathPart(path(sha256), offset, length);
    }

    @Override
    public Path localCopy(String sha256) {
        return path(sha256);
    }

    @Override
    public void release(Path localCopy) {
        // the blob itself was lent; nothing to clean up
    }

    @Override
    public boolean exists(String sha256) {
        return Files.exists(path(sha256));
    }

    Path path(String sha256) {
        return blobs.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a leftover upload file is swept with the uploads directory
        }
    }
}
