package dev.exai.store.file;

import dev.exai.store.security.Cipher;
import dev.exai.store.security.SealedBlob;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file's plain bytes from its blob, whether the blob holds them as they are or sealed (encryption at rest: opened
 * through {@link Cipher}, segment by segment, so a range reads only the segments it needs), and the freeing of blobs
 * no file names any more. Reads are blocking I/O, for worker threads; the files API, the Supabase door's objects and
 * the sealing job go through it.
 */
@ApplicationScoped
public class FileBytes {

    private final BlobStore blobs;
    private final FileStore store;
    private final Cipher cipher;
    private final BlobStoreProducer blobStores;

    public FileBytes(BlobStore blobs, FileStore store, Cipher cipher, BlobStoreProducer blobStores) {
        this.blobs = blobs;
        this.store = store;
        this.cipher = cipher;
        this.blobStores = blobStores;
    }

    /** The bytes {@code offset .. offset + length - 1} as a response entity (a path part or a stream). */
    Object read(FileView file, long offset, long length) throws IOException {
        return file.sealed() ? open(file, offset, length) : blobs.read(file.blob(), offset, length);
    }

    private InputStream open(FileView file, long offset, long length) throws IOException {
        return cipher.openBlob((from, n) -> blobs.stream(file.blob(), from, n), file.size(), offset, length);
    }

    /**
     * A local file holding the plain bytes, for a provider upload: the blob itself when it is plain and local, else a
     * copy in the uploads directory (a sealed blob opened), deleted by {@link #release}.
     */
    Path localCopy(FileView file) throws IOException {
        if (!file.sealed()) {
            return blobs.localCopy(file.blob());
        }
        Path copy = Files.createTempFile(blobStores.uploads(), "provider-", ".part");
        try (InputStream plain = open(file, 0, file.size())) {
            Files.copy(plain, copy, StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(copy);
            throw e;
        }
    }

    /**
     * The tenant's sealed blob of a plain one ({@link BlobSealingJob}): its name, and the sealed bytes in an uploads file
     * to store under it, or no file when the tenant has that blob already.
     */
    Sealing sealedCopy(String tenant, String plainBlob, long size) throws IOException {
        SealedBlob.Writer writer = cipher.blobWriter(tenant);
        String name = writer.blobName(plainBlob);
        if (blobs.exists(name)) {
            return new Sealing(name, null);
        }
        Path copy = Files.createTempFile(blobStores.uploads(), "seal-", ".part");
        try (OutputStream out = Files.newOutputStream(copy);
             InputStream in = size == 0 ? InputStream.nullInputStream() : blobs.stream(plainBlob, 0, size)) {
            byte[] chunk = new byte[4 * SealedBlob.SEGMENT];
            long left = size;
            do {
                int wanted = (int) Math.min(chunk.length, left);
                int n = in.readNBytes(chunk, 0, wanted);
                if (n < wanted) {
                    throw new IOException("blob " + plainBlob + " holds fewer bytes than its file's size");
                }
                left -= n;
                out.write(writer.seal(chunk, 0, n, left == 0));
            } while (left > 0);
            return new Sealing(name, copy);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(copy);
            throw e;
        }
    }

    /** A sealed blob's name, and the file holding its bytes until it is stored (null when it is stored already). */
    record Sealing(String name, Path upload) {
    }

    /**
     * Deletes a blob that no file names any more, its row in {@code conn}'s transaction and then its bytes, under the
     * blob's lock (so no upload of the same bytes interleaves); a blob still named is left alone.
     */
    Uni<Void> freeIfUnused(SqlConnection conn, String blob) {
        return store.lockBlob(conn, blob)
                .chain(() -> store.deleteBlobIfUnused(conn, blob))
                .chain(unused -> unused ? FileService.blocking(() -> {
                    blobs.delete(blob);
                    return null;
                }).replaceWithVoid() : Uni.createFrom().voidItem());
    }

    void release(FileView file, Path localCopy) throws IOException {
        if (file.sealed()) {
            Files.deleteIfExists(localCopy);
        } else {
            blobs.release(localCopy);
        }
    }
}
