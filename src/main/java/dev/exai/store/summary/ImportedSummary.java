package dev.exai.store.summary;

import java.time.OffsetDateTime;

/** A summary line of an import, checked: the summary, whether its count was estimated, and its time (null: now). */
record ImportedSummary(NewSummary summary, boolean estimated, OffsetDateTime createdAt) {
}
