package dev.exai.store.perf;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * DDSketch (Datadog's mergeable quantile sketch) as the rollups use it: 0.5% relative accuracy, so a percentile
 * read from an hourly sketch, or from any merge of them, is within 0.5% of the true sample value at that rank.
 */
final class Sketches {

    static final double RELATIVE_ACCURACY = 0.005;

    private Sketches() {
    }

    static DDSketch empty() {
        return DDSketches.unboundedDense(RELATIVE_ACCURACY);
    }

    /** The sketch in DDSketch's own binary encoding, index mapping included, so it decodes on its own. */
    static byte[] serialize(DDSketch sketch) {
        try {
            GrowingByteArrayOutput output = GrowingByteArrayOutput.withDefaultInitialCapacity();
            sketch.encode(output, false);
            return output.trimmedCopy();
        } catch (IOException e) {
            throw new UncheckedIOException("a sketch cannot be encoded", e);
        }
    }

    static DDSketch deserialize(byte[] bytes) {
        try {
            return DDSketch.decode(ByteArrayInput.wrap(bytes), UnboundedSizeDenseStore::new);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored sketch cannot be read", e);
        }
    }

    /**
     * The nearest-rank percentile: the value of the ceil(q * n)-th smallest sample. DDSketch ranks by q * (n - 1),
     * so the quantile asked of it is adjusted to land on exactly that sample.
     */
    static double nearestRank(DDSketch sketch, double q) {
        long n = Math.round(sketch.getCount());
        if (n == 0) {
            return 0;
        }
        if (n == 1) {
            return sketch.getValueAtQuantile(0);
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        return sketch.getValueAtQuantile((rank - 1) / (double) (n - 1));
    }
}
