package dev.exai.store.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Where file bytes live, each blob under its name: the sha256 of its bytes, so the same bytes are stored once, or with
 * encryption at rest a keyed hash of it (the blob then holds the bytes sealed, {@link FileBytes}). Implementations are
 * chosen by {@code exai-store.files.store}: a local directory or S3-compatible object storage. Calls may block on I/O:
 * the services run them on worker threads.
 */
public interface BlobStore {

    /** Makes the blob available, taking the bytes from {@code upload} (consumed); a no-op when it already exists. */
    void put(String name, Path upload);

    void delete(String name);

    /** The bytes {@code offset .. offset + length - 1}: a {@code PathPart} or an {@code InputStream} entity. */
    Object read(String name, long offset, long length);

    /** A stream of the bytes from {@code offset}, at least {@code length} of them unless the blob ends first. */
    InputStream stream(String name, long offset, long length) throws IOException;

    /** A local file holding the blob, for provider uploads; {@link #release} it when done. */
    Path localCopy(String name);

    void release(Path localCopy);

    /** For tests and operators: whether the blob is stored. */
    boolean exists(String name);
}
