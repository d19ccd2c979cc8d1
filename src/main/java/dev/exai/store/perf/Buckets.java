package dev.exai.store.perf;

import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import java.util.Map;
import java.util.TreeMap;

/** How a stored aggregate row (hourly or daily) is read back into an {@link Aggregate}, and how error counts are stored. */
final class Buckets {

    /** The columns {@link #merge} reads. */
    static final String MERGED = "count, error_count, sum_ms, min_ms, max_ms, sketch, tokens_in, tokens_out, error_types::text AS error_types,"
            + " ttft_count, ttft_sketch";

    private Buckets() {
    }

    static void merge(Aggregate into, Row r) {
        into.merge(r.getLong("count"), r.getLong("error_count"), r.getDouble("sum_ms"), r.getDouble("min_ms"), r.getDouble("max_ms"),
                r.getBuffer("sketch").getBytes(), r.getLong("tokens_in"), r.getLong("tokens_out"), errorTypes(r.getString("error_types")),
                r.getLong("ttft_count"), r.getBuffer("ttft_sketch") == null ? null : r.getBuffer("ttft_sketch").getBytes());
    }

    static Map<String, Long> errorTypes(String json) {
        Map<String, Long> types = new TreeMap<>();
        new JsonObject(json).forEach(e -> types.put(e.getKey(), ((Number) e.getValue()).longValue()));
        return types;
    }

    static String errorTypesJson(Map<String, Long> types) {
        JsonObject json = new JsonObject();
        types.forEach(json::put);
        return json.encode();
    }
}
