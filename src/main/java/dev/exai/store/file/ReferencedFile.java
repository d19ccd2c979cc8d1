package dev.exai.store.file;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A file as a context read lists it: what a prompt builder needs to decide whether to attach it, including the
 * token count of the text each provider extracted from it ({@code {"kimi": 812}}, null when none did).
 */
@RegisterForReflection // part of the context answer, serialized by hand
public record ReferencedFile(String id, String filename, String contentType, long size, String sha256,
                             @JsonRawValue String extractedTextTokens) {
}
