package dev.exai.store.session;

/** One validated message of an append request; {@code metadata} is JSON object text. */
public record NewMessage(String role, String content, String metadata, Integer tokenCount) {
}
