package dev.exai.store.session;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
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
 * tombstone: same seq, no content, metadata, reasoning or references. A streamed answer ({@code status} streaming, then
 * complete or incomplete) also shows how many pieces it received and how many of them are contiguous from index 0.
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
        @Schema(enumeration = {"streaming", "complete", "incomplete"}) String status,
        @JsonInclude(JsonInclude.Include.NON_NULL) String finishReason,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer chunksReceived,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer chunksContiguous,
        @JsonIgnore int reasoningTokenCount,
        @JsonIgnore long tokensThrough,
        @JsonIgnore long totalThrough,
        @JsonIgnore int edits) {

    public static final String STREAMING = "streaming";

    /** Whether the answer is still streaming: its text grows, its tokens do not count yet, and the cache does not hold it. */
    @JsonIgnore
    public boolean streaming() {
        return STREAMING.equals(status);
    }

    /** This message with its status, pieces and finish reason as given. */
    Message withStream(String newStatus, String newFinishReason, Integer received, Integer contiguous) {
        return new Message(id, seq, role, content, metadata, toolName, model, provider, usage, files, images, reasoning, tokenCount,
                tokenCountEstimated, createdAt, redacted, newStatus, newFinishReason, received, contiguous, reasoningTokenCount,
                tokensThrough, totalThrough, edits);
    }

    /** A call's token usage as the provider reported it. */
    @RegisterForReflection
    public record Usage(Integer inputTokens, Integer outputTokens) {
    }
}
