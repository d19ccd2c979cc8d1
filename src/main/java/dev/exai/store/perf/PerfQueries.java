package dev.exai.store.perf;

import dev.exai.store.common.Database;
import dev.exai.store.common.Times;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads of the performance data: stored hourly or daily buckets, and summaries over any window merged from the
 * clean hourly buckets that lie wholly inside it and the raw samples of the rest (the window's edges and hours
 * not rolled up yet). Merging sketches keeps percentiles within the sketch's accuracy of the exact values.
 */
@ApplicationScoped
public class PerfQueries {

    static final Set<String> DIMENSIONS = Set.of("tool", "model", "provider", "params_hash");

    private final Database db;

    public PerfQueries(Database db) {
        this.db = db;
    }

    /** A stored bucket as the API shows it. */
    @RegisterForReflection // built by hand into pages
    public record Bucket(String bucketStart, String granularity, String tool, String model, String provider, String paramsHash,
                         long count, long errorCount, double avgMs, double minMs, double maxMs, double p50Ms, double p95Ms, double p99Ms,
                         long tokensIn, long tokensOut, Map<String, Long> errorTypes, long ttftCount, Double ttftP50Ms,
                         Double ttftP95Ms, Double ttftP99Ms) {
    }

    /** Statistics of one group over a window; dimensions not grouped by are null. */
    @RegisterForReflection // built by hand into pages
    public record Summary(String tool, String model, String provider, String paramsHash, long count, long errorCount,
                          double avgMs, double minMs, double maxMs, double p50Ms, double p95Ms, double p99Ms,
                          long tokensIn, long tokensOut, Map<String, Long> errorTypes, long ttftCount, Double ttftP50Ms,
                          Double ttftP95Ms, Double ttftP99Ms) {
    }

    Uni<List<Bucket>> buckets(String tenant, String granularity, OffsetDateTime from, OffsetDateTime to, String tool, String model,
                              String provider, String paramsHash, int limit, int offset) {
        String table = granularity.equals("hour") ? "perf_hourly" : "perf_daily";
        return db.run(pool -> pool.preparedQuery("SELECT bucket_start, tool, model, provider, params_hash, count, error_count, sum_ms, "
                        + "min_ms, max_ms, p50_ms, p95_ms, p99_ms, tokens_in, tokens_out, error_types::text AS error_types, ttft_count, "
                        + "ttft_p50_ms, ttft_p95_ms, ttft_p99_ms FROM " + table + " WHERE tenant = $1 AND bucket_start >= $2 AND bucket_start < $3 "
                        + "AND ($4::text IS NULL OR tool = $4) AND ($5::text IS NULL OR model = $5) AND ($6::text IS NULL OR provider = $6) "
                        + "AND ($7::text IS NULL OR params_hash = $7) ORDER BY bucket_start, tool, model, provider, params_hash LIMIT $8 OFFSET $9")
                .execute(Tuple.from(Arrays.asList(tenant, from, to, tool, model, provider, paramsHash, limit, offset)))
                .map(rows -> {
                    List<Bucket> list = new ArrayList<>();
                    for (Row r : rows) {
                        long count = r.getLong("count");
                        list.add(new Bucket(Times.format(r.getOffsetDateTime("bucket_start")), granularity, r.getString("tool"),
                                r.getString("model"), r.getString("provider"), r.getString("params_hash"), count, r.getLong("error_count"),
                                r.getDouble("sum_ms") / count, r.getDouble("min_ms"), r.getDouble("max_ms"), r.getDouble("p50_ms"),
                                r.getDouble("p95_ms"), r.getDouble("p99_ms"), r.getLong("tokens_in"), r.getLong("tokens_out"),
                                Buckets.errorTypes(r.getString("error_types")), r.getLong("ttft_count"), r.getDouble("ttft_p50_ms"),
                                r.getDouble("ttft_p95_ms"), r.getDouble("ttft_p99_ms")));
                    }
                    return list;
                }));
    }

    Uni<List<Summary>> summary(String tenant, OffsetDateTime from, OffsetDateTime to, List<String> groupBy) {
        OffsetDateTime firstFull = from.truncatedTo(ChronoUnit.HOURS).equals(from) ? from : from.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        OffsetDateTime lastFullEnd = to.truncatedTo(ChronoUnit.HOURS);
        Map<List<String>, Aggregate> groups = new LinkedHashMap<>();
        Uni<Void> hourly = db.run(pool -> pool.preparedQuery("SELECT tool, model, provider, params_hash, " + Buckets.MERGED
                        + " FROM perf_hourly h WHERE tenant = $1 AND bucket_start >= $2 AND bucket_start + interval '1 hour' <= $3 "
                        + "AND NOT EXISTS (SELECT 1 FROM perf_dirty_hours d WHERE d.hour = h.bucket_start)")
                .execute(Tuple.of(tenant, firstFull, lastFullEnd))
                .invoke(rows -> rows.forEach(r -> Buckets.merge(groups.computeIfAbsent(group(r, groupBy), k -> new Aggregate()), r)))
                .replaceWithVoid());
        Uni<Void> raw = db.run(pool -> pool.preparedQuery("SELECT tool, model, provider, params_hash, latency_ms, ok, tokens_in, tokens_out, error_type, ttft_ms FROM perf_samples "
                        + "WHERE tenant = $1 AND at >= $2 AND at < $3 AND (at < $4 OR at >= $5 "
                        + "OR date_trunc('hour', at, 'UTC') IN (SELECT hour FROM perf_dirty_hours))")
                .execute(Tuple.of(tenant, from, to, firstFull, lastFullEnd.isBefore(firstFull) ? firstFull : lastFullEnd))
                .invoke(rows -> rows.forEach(r -> groups.computeIfAbsent(group(r, groupBy), k -> new Aggregate())
                        .add(r.getDouble("latency_ms"), r.getBoolean("ok"), r.getInteger("tokens_in"), r.getInteger("tokens_out"),
                                r.getString("error_type"), r.getDouble("ttft_ms"))))
                .replaceWithVoid());
        return hourly.chain(() -> raw).map(done -> {
            List<Summary> list = new ArrayList<>();
            groups.forEach((key, a) -> {
                list.add(new Summary(key.get(0), key.get(1), key.get(2), key.get(3), a.count, a.errors, a.sum / a.count,
                        a.min, a.max, a.p(0.50), a.p(0.95), a.p(0.99), a.tokensIn, a.tokensOut, a.errorTypes, a.ttftCount,
                        a.ttftP(0.50), a.ttftP(0.95), a.ttftP(0.99)));
            });
            return list;
        });
    }

    /** The canonical parameters JSON of the tenant's hash, or null. */
    Uni<String> params(String tenant, String hash) {
        return db.run(pool -> pool.preparedQuery("SELECT params::text FROM perf_params WHERE tenant = $1 AND params_hash = $2")
                .execute(Tuple.of(tenant, hash))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0)));
    }

    private static List<String> group(Row r, List<String> groupBy) {
        return Arrays.asList(groupBy.contains("tool") ? r.getString("tool") : null, groupBy.contains("model") ? r.getString("model") : null,
                groupBy.contains("provider") ? r.getString("provider") : null,
                groupBy.contains("params_hash") ? r.getString("params_hash") : null);
    }
}
