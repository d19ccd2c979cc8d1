package dev.exai.store.file;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.Map;

/**
 * A file as the API shows it; {@code providers} maps a provider name to its file id and upload time; {@code expiresAt}
 * is null unless it was uploaded with a TTL.
 */
@RegisterForReflection // serialized by hand for the cache and the upload route
public record FileView(
        String id,
        String filename,
        String contentType,
        long size,
        String sha256,
        String sessionId,
        String purpose,
        String createdAt,
        String expiresAt,
        Map<String, ProviderRef> providers) {

    /** Where a provider holds the file. */
    @RegisterForReflection
    public record ProviderRef(String fileId, String uploadedAt) {
    }
}
