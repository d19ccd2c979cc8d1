package dev.exai.store.file;

import java.nio.file.Path;

/**
 * Where file bytes live, addressed by their sha256 so the same bytes are stored once. Implementations are
 * chosen by {@code exai-store.files.store}: a local directory or S3-compatible object storage.
 * Calls may block on I/O: {@link FileService} runs them on worker threads.
 */
public interface BlobStore {

    /** Makes the blob available, taking the bytes from {@code upload} (consumed); a no-op when it already exists. */
    void put(String sha256, Path upload);

    void delete(String sha256);

    /** The bytes {@code offset .. offset + length - 1}: a {@code PathPart} or an {@code InputStream} entity. */
    Object read(String sha256, long offset, long length);

    /** A local file holding the blob, for provider uploads; {@link #release} it when done. */
    Path localCopy(String sha256);

    void release(Path localCopy);

    /** For tests and operators: whether the blob is stored. */
    boolean exists(String sha256);
}
