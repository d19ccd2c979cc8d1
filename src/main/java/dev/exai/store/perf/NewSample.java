package dev.exai.store.perf;

import java.time.OffsetDateTime;

/** One validated sample, with its parameters already canonical and hashed. */
record NewSample(OffsetDateTime at, String tool, String model, String provider, String paramsHash, String canonicalParams,
                 double latencyMs, boolean ok, String error, Integer tokensIn, Integer tokensOut, String errorType, Double ttftMs) {
}
