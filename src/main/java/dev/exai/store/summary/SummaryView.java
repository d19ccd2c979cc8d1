package dev.exai.store.summary;

import com.fasterxml.jackson.annotation.JsonRawValue;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A summary as the API shows it: text that stands in for the history of session {@code continuationId} through its
 * message {@code throughSeq} (a continuation lists its parent's too). A stale one (a message it covered was redacted) has
 * no content and is never used again.
 */
public record SummaryView(
        String id,
        String continuationId,
        long throughSeq,
        String content,
        long tokenCount,
        boolean tokenCountEstimated,
        String model,
        @JsonRawValue @Schema(type = SchemaType.OBJECT, description = "a JSON object") String metadata,
        String createdAt,
        boolean stale) {
}
