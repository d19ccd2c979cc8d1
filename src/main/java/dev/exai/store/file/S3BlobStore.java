package dev.exai.store.file;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Blobs as objects {@code <prefix><name>} in an S3-compatible bucket (AWS S3, MinIO, Supabase Storage), for
 * deployments with several replicas. Uploads stream from the finished upload file; reads stream ranges.
 */
public class S3BlobStore implements BlobStore {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final Path scratch;

    public S3BlobStore(S3Client s3, String bucket, String prefix, Path scratch) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.scratch = scratch;
    }

    @Override
    public void put(String name, Path upload) {
        try {
            if (!exists(name)) {
                long size = Files.size(upload);
                s3.putObject(b -> b.bucket(bucket).key(key(name)).contentLength(size), RequestBody.fromFile(upload));
            }
            Files.deleteIfExists(upload);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store blob " + name, e);
        }
    }

    @Override
    public void delete(String name) {
        s3.deleteObject(b -> b.bucket(bucket).key(key(name)));
    }

    @Override
    public Object read(String name, long offset, long length) {
        return stream(name, offset, length);
    }

    @Override
    public InputStream stream(String name, long offset, long length) {
        return s3.getObject(b -> b.bucket(bucket).key(key(name)).range("bytes=" + offset + "-" + (offset + length - 1)));
    }

    @Override
    public Path localCopy(String name) {
        try {
            Files.createDirectories(scratch);
            Path copy = Files.createTempFile(scratch, "provider-", ".blob");
            Files.delete(copy);
            s3.getObject(b -> b.bucket(bucket).key(key(name)), ResponseTransformer.toFile(copy));
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy blob " + name, e);
        }
    }

    @Override
    public void release(Path localCopy) {
        try {
            Files.deleteIfExists(localCopy);
        } catch (IOException ignored) {
            // scratch files are swept with the uploads directory
        }
    }

    @Override
    public boolean exists(String name) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key(name)));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private String key(String name) {
        return prefix + name;
    }
}
