package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import java.util.List;

/**
 * A stored message as the API shows it; {@code metadata} is the stored JSON text, written out as-is. The running
 * token sums ({@code tokensThrough}: this session's token counts over seq 1..this one; {@code totalThrough}: the
 * same with reasoning tokens) are kept beside it for the context read and never shown, as is {@code edits} (how many
 * metadata patches and redactions it had: the cache keeps the form with the most). A redacted message is a
 * tombstone: same seq, no content, metadata, reasoning or references.
 */
@RegisterForReflection // serialized by hand for the cache, outside the types the REST layer registers
public record Message(
        String id,
        long seq,
        String role,
        String content,
        @JsonRawValue @Schema(type = SchemaType.OBJECT, description = "a JSON object") String metadata,
        String toolName,
        String model,
        String provider,
        Usage usage,
        List<String> files,
        List<String> images,
        String reasoning,
        int tokenCount,
        boolean tokenCountEstimated,
        String createdAt,
        boolean redacted,
        @JsonIgnore int reasoningTokenCount,
        @JsonIgnore long tokensThrough,
        @JsonIgnore long totalThrough,
        @JsonIgnore int edits) {

    /** A call's token usage as the provider reported it. */
    @RegisterForReflection
    public record Usage(Integer inputTokens, Integer outputTokens) {
    }
}
