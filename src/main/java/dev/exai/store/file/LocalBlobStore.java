package dev.exai.store.file;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jboss.resteasy.reactive.PathPart;

/**
 * Blobs as files under {@code <dir>/blobs/ab/cd/<name>}, placed by an atomic rename of the finished upload,
 * so a blob is either absent or complete. The directory is a volume in production; files survive restarts.
 */
public class LocalBlobStore implements BlobStore {

    private final Path blobs;

    public LocalBlobStore(Path dir) {
        this.blobs = dir.resolve("blobs");
    }

    @Override
    public void put(String name, Path upload) {
        Path target = path(name);
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
            throw new UncheckedIOException("cannot store blob " + name, e);
        }
    }

    @Override
    public void delete(String name) {
        try {
            Files.deleteIfExists(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob " + name, e);
        }
    }

    @Override
    public Object read(String name, long offset, long length) {
        return new PathPart(path(name), offset, length);
    }

    @Override
    public InputStream stream(String name, long offset, long length) throws IOException {
        return Channels.newInputStream(FileChannel.open(path(name)).position(offset));
    }

    @Override
    public Path localCopy(String name) {
        return path(name);
    }

    @Override
    public void release(Path localCopy) {
        // the blob itself was lent; nothing to clean up
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(path(name));
    }

    Path path(String name) {
        return blobs.resolve(name.substring(0, 2)).resolve(name.substring(2, 4)).resolve(name);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a leftover upload file is swept with the uploads directory
        }
    }
}
