package dev.exai.store.file;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A tenant's named set of objects (the Supabase door's Storage bucket): whether its objects are readable without a
 * key, the largest object it takes ({@code null}: the service's file limit) and the content types it takes
 * ({@code null}: any; an entry may end in {@code /*}).
 */
public record Bucket(String id, boolean isPublic, Long fileSizeLimit, List<String> allowedMimeTypes, OffsetDateTime createdAt,
                     OffsetDateTime updatedAt) {

    /** Whether the bucket takes objects of this content type. */
    public boolean takes(String contentType) {
        if (allowedMimeTypes == null || allowedMimeTypes.isEmpty()) {
            return true;
        }
        String type = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase();
        return allowedMimeTypes.stream().map(String::toLowerCase).anyMatch(allowed -> allowed.equals(type)
                || allowed.equals("*/*") || allowed.endsWith("/*") && type.startsWith(allowed.substring(0, allowed.length() - 1)));
    }
}
