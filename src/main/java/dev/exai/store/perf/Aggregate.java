package dev.exai.store.perf;

import com.datadoghq.sketch.ddsketch.DDSketch;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exact count, errors, sum, min, max, token sums and failed calls by error type, plus sketches for the percentiles
 * of latency and of time to first token, of one group in one bucket or window. Everything merges exactly except
 * the percentiles, which stay within the sketch's relative accuracy.
 */
final class Aggregate {

    /** Failed calls without an error_type are counted under this one. */
    static final String UNTYPED = "unspecified";

    long count;
    long errors;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long tokensIn;
    long tokensOut;
    final Map<String, Long> errorTypes = new TreeMap<>();
    long ttftCount;
    final DDSketch sketch;
    final DDSketch ttft;

    Aggregate() {
        this.sketch = Sketches.empty();
        this.ttft = Sketches.empty();
    }

    void add(double latencyMs, boolean ok, Integer tokensIn, Integer tokensOut, String errorType, Double ttftMs) {
        count++;
        if (!ok) {
            errors++;
            errorTypes.merge(errorType == null ? UNTYPED : errorType, 1L, Long::sum);
        }
        sum += latencyMs;
        min = Math.min(min, latencyMs);
        max = Math.max(max, latencyMs);
        sketch.accept(latencyMs);
        this.tokensIn += tokensIn == null ? 0 : tokensIn;
        this.tokensOut += tokensOut == null ? 0 : tokensOut;
        if (ttftMs != null) {
            ttftCount++;
            ttft.accept(ttftMs);
        }
    }

    /** Adds a stored bucket: its sums and counts, and its sketches ({@code ttftSketch} null when it had no TTFT). */
    void merge(long count, long errors, double sum, double min, double max, byte[] sketch, long tokensIn, long tokensOut,
               Map<String, Long> errorTypes, long ttftCount, byte[] ttftSketch) {
        this.count += count;
        this.errors += errors;
        this.sum += sum;
        this.min = Math.min(this.min, min);
        this.max = Math.max(this.max, max);
        this.sketch.mergeWith(Sketches.deserialize(sketch));
        this.tokensIn += tokensIn;
        this.tokensOut += tokensOut;
        errorTypes.forEach((type, n) -> this.errorTypes.merge(type, n, Long::sum));
        if (ttftSketch != null && ttftCount > 0) {
            this.ttftCount += ttftCount;
            this.ttft.mergeWith(Sketches.deserialize(ttftSketch));
        }
    }

    double p(double q) {
        return Sketches.nearestRank(sketch, q);
    }

    /** A TTFT percentile, or null when no call of the group reported a time to first token. */
    Double ttftP(double q) {
        return ttftCount == 0 ? null : Sketches.nearestRank(ttft, q);
    }
}
