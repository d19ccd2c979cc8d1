package dev.exai.store.perf;

import com.datadoghq.sketch.ddsketch.DDSketch;

/** Exact count, errors, sum, min and max plus a sketch for the percentiles, of one group in one bucket or window. */
final class Aggregate {

    long count;
    long errors;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    final DDSketch sketch;

    Aggregate() {
        this.sketch = Sketches.empty();
    }

    void add(double latencyMs, boolean ok) {
        count++;
        if (!ok) {
            errors++;
        }
        sum += latencyMs;
        min = Math.min(min, latencyMs);
        max = Math.max(max, latencyMs);
        sketch.accept(latencyMs);
    }

    void merge(long count, long errors, double sum, double min, double max, byte[] sketch) {
        this.count += count;
        this.errors += errors;
        this.sum += sum;
        this.min = Math.min(this.min, min);
        this.max = Math.max(this.max, max);
        this.sketch.mergeWith(Sketches.deserialize(sketch));
    }

    double p(double q) {
        return Sketches.nearestRank(sketch, q);
    }
}
