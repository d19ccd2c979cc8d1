package dev.exai.store.session;

import java.time.OffsetDateTime;

/**
 * What a session list may be narrowed to; a null field does not narrow. {@code metadata} is a JSON object the
 * session's metadata must contain, {@code titleContains} matches anywhere in the title, ignoring case.
 */
public record SessionFilters(String userId, String metadata, String titleContains, OffsetDateTime updatedAfter) {
}
