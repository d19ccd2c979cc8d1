package dev.exai.store.summary;

/** A summary to store, checked: its text, its token count (null: to be counted), model and metadata JSON (or null). */
record NewSummary(long throughSeq, String content, Integer tokenCount, String model, String metadata) {
}
