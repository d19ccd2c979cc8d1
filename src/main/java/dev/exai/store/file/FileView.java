package dev.exai.store.file;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A file as the API shows it; {@code providers} maps a provider name to its file id and upload time; {@code expiresAt}
 * is null unless it was uploaded with a TTL. {@code blob} names where its bytes are stored (the sha256, or with
 * encryption at rest a keyed hash of it): never shown.
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
        Map<String, ProviderRef> providers,
        @JsonIgnore @Schema(hidden = true) String blob) {

    /** Whether the bytes are stored sealed (encryption at rest): a plain blob is named by its sha256. */
    boolean sealed() {
        return !blob.equals(sha256);
    }

    /** Where a provider holds the file. */
    @RegisterForReflection
    public record ProviderRef(String fileId, String uploadedAt) {
    }
}
