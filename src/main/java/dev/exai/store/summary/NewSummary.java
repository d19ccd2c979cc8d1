package dev.exai.store.summary;

/**
 * A summary to store, checked: its text (null when a provider is to write it, see {@code generate}), its token count
 * (null: to be counted), model and metadata JSON (or null).
 */
record NewSummary(long throughSeq, String content, Integer tokenCount, String model, String metadata, Generate generate) {

    /**
     * Asks a provider to write the summary: which provider and model, the longest answer ({@code maxTokens}, null: the
     * provider's default), instructions replacing the default ones (or null), and how many tokens of history to send
     * at most ({@code windowTokens}).
     */
    record Generate(String provider, String model, Integer maxTokens, String instructions, int windowTokens) {
    }
}
