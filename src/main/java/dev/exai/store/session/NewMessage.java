package dev.exai.store.session;

import java.util.List;

/**
 * One validated message of an append request; {@code metadata} is JSON object text, {@code files} and
 * {@code images} are file ids of the tenant (checked before the append), {@code tokenCount} is the client's or null;
 * {@code streaming}: an assistant answer opened empty, whose text arrives as pieces (docs/API.md, "Streamed answers").
 */
public record NewMessage(String role, String content, String metadata, String toolName, String model, String provider,
                         Integer inputTokens, Integer outputTokens, List<String> files, List<String> images,
                         String reasoning, Integer tokenCount, boolean streaming) {
}
