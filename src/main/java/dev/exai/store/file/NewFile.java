package dev.exai.store.file;

import java.nio.file.Path;

/**
 * A completely received upload: its bytes sit in {@code upload}, not yet a blob. An object (a file named in a bucket)
 * has {@code bucket} and {@code objectName}; a file uploaded through {@code POST /files} has neither. {@code blob} is the
 * name it is stored under ({@link IncomingUpload.Received#blob}).
 */
record NewFile(String filename, String contentType, long size, String sha256, String sessionId, String purpose,
               Long ttlSeconds, Path upload, String blob, String idempotencyKey, String bucket, String objectName) {
}
