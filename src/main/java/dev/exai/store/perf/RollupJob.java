package dev.exai.store.perf;

import dev.exai.store.common.Database;
import dev.exai.store.common.ServiceClock;
import dev.exai.store.common.StoreConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Rolls raw samples into hourly and daily aggregates and applies retention, on a schedule and on request.
 *
 * <p>Only one instance works at a time: the run holds a PostgreSQL session advisory lock, released when it ends
 * or when its connection dies. Each complete hour whose samples changed ("dirty") is recomputed from all its raw
 * samples and its rows replaced, in one transaction that also marks its day dirty and clears the hour's marker
 * only if no sample arrived meanwhile; complete dirty days are then rebuilt by merging their hourly sketches.
 * Recomputing and replacing makes a run idempotent, and a crash leaves either the old rows or the new ones.
 * Retention drops a raw day partition only when none of its hours and not the day itself is still dirty.
 */
@ApplicationScoped
public class RollupJob {

    private static final Logger LOG = Logger.getLogger(RollupJob.class);
    private static final long LOCK = 0x65786169_70657266L; // "exaiperf"
    private static final int FETCH = 10_000;

    private final Pool pool;
    private final Database db;
    private final SampleStore samples;
    private final ServiceClock clock;
    private final StoreConfig.Perf config;
    private final Counter rowsRolled;
    private final Counter partitionsDropped;
    private final AtomicLong lagSeconds = new AtomicLong();

    public RollupJob(Pool pool, Database db, SampleStore samples, ServiceClock clock, StoreConfig config, MeterRegistry metrics) {
        this.pool = pool;
        this.db = db;
        this.samples = samples;
        this.clock = clock;
        this.config = config.perf();
        this.rowsRolled = Counter.builder("exai.store.perf.rows.rolled").description("Aggregate rows written by rollups").register(metrics);
        this.partitionsDropped = Counter.builder("exai.store.perf.partitions.dropped").description("Raw sample partitions dropped by retention")
                .register(metrics);
        Gauge.builder("exai.store.perf.rollup.lag.seconds", lagSeconds, AtomicLong::get)
                .description("Age of the oldest hour with samples not rolled up").register(metrics);
    }

    /** What one run did. */
    public record Report(boolean ran, int hoursRolled, int daysRolled, long rowsWritten, int partitionsDropped,
                         int partitionsKeptNotRolledUp, long hourlyRowsExpired, long dailyRowsExpired) {
        static Report skipped() {
            return new Report(false, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    void onStart(@Observes StartupEvent event) {
        run().subscribe().with(r -> { }, e -> LOG.warnf("first rollup failed, the schedule retries: %s", e.toString()));
    }

    @Scheduled(every = "${exai-store.perf.rollup-every:1m}", delayed = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduled() {
        return run().onFailure().invoke(e -> LOG.warnf("rollup failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** One run, or {@link Report#skipped()} when another instance holds the lock. */
    public Uni<Report> run() {
        return pool.withConnection(lock -> lock.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(LOCK))
                .chain(rows -> rows.iterator().next().getBoolean(0)
                        ? work().eventually(() -> lock.preparedQuery("SELECT pg_advisory_unlock($1)").execute(Tuple.of(LOCK)))
                        : Uni.createFrom().item(Report.skipped())));
    }

    private Uni<Report> work() {
        OffsetDateTime now = clock.now();
        Instant started = Instant.now();
        LocalDate today = now.toLocalDate();
        long[] rows = {0};
        List<String> buckets = new ArrayList<>();
        return samples.ensurePartitions(now.minus(config.rawRetention()).toLocalDate(), today.plusDays(2))
                .chain(() -> dirty("SELECT hour, version FROM perf_dirty_hours WHERE hour + interval '1 hour' <= $1 ORDER BY hour", now))
                .chain(hours -> Multi.createFrom().iterable(hours)
                        .onItem().transformToUniAndConcatenate(h -> rollHour(h.start(), h.version()).invoke(n -> {
                            rows[0] += n;
                            buckets.add("hour " + h.start());
                        }))
                        .collect().asList().map(List::size))
                .chain(hoursRolled -> dirty("SELECT day, version FROM perf_dirty_days WHERE day + interval '1 day' <= $1 ORDER BY day", now)
                        .chain(days -> Multi.createFrom().iterable(days)
                                .onItem().transformToUniAndConcatenate(d -> rollDay(d.start(), d.version()).invoke(n -> {
                                    rows[0] += n;
                                    buckets.add("day " + d.start());
                                }))
                                .collect().asList().map(List::size))
                        .chain(daysRolled -> retention(now).map(r -> new Report(true, hoursRolled, daysRolled, rows[0],
                                r[0], r[1], r[2], r[3]))))
                .call(() -> updateLag(now))
                .invoke(report -> {
                    rowsRolled.increment(report.rowsWritten());
                    partitionsDropped.increment(report.partitionsDropped());
                    if (report.hoursRolled() + report.daysRolled() + report.partitionsDropped() > 0) {
                        // the interval and the buckets let an operator (and ScaleOutIT) see that runs never overlap
                        LOG.infof("rollup from %s to %s rolled %s: %s", started, Instant.now(), buckets, report);
                    }
                });
    }

    private record Dirty(OffsetDateTime start, long version) {
    }

    private Uni<List<Dirty>> dirty(String sql, OffsetDateTime now) {
        return db.run(p -> p.preparedQuery(sql).execute(Tuple.of(now)).map(rows -> {
            List<Dirty> list = new ArrayList<>();
            rows.forEach(r -> list.add(new Dirty(r.getOffsetDateTime(0), r.getLong(1))));
            return list;
        }));
    }

    /** Recomputes one hour from its raw samples; answers the number of rows written. */
    private Uni<Long> rollHour(OffsetDateTime hour, long version) {
        return pool.withTransaction(conn -> conn.prepare("SELECT tenant, tool, model, provider, params_hash, latency_ms, ok, "
                                + "tokens_in, tokens_out, error_type, ttft_ms FROM perf_samples WHERE at >= $1 AND at < $2")
                        .onItem().transformToMulti(ps -> ps.createStream(FETCH, Tuple.of(hour, hour.plusHours(1))).toMulti())
                        .collect().in(() -> new HashMap<GroupKey, Aggregate>(), (groups, row) -> groups
                                .computeIfAbsent(key(row), k -> new Aggregate()).add(row.getDouble("latency_ms"), row.getBoolean("ok"),
                                        row.getInteger("tokens_in"), row.getInteger("tokens_out"), row.getString("error_type"),
                                        row.getDouble("ttft_ms")))
                        .chain(groups -> replace(conn, "perf_hourly", hour, groups))
                        .call(() -> conn.preparedQuery("INSERT INTO perf_dirty_days (day, version) VALUES ($1, nextval('perf_dirty_version')) "
                                + "ON CONFLICT (day) DO UPDATE SET version = EXCLUDED.version").execute(Tuple.of(hour.truncatedTo(ChronoUnit.DAYS))))
                        .call(() -> conn.preparedQuery("DELETE FROM perf_dirty_hours WHERE hour = $1 AND version = $2")
                                .execute(Tuple.of(hour, version))));
    }

    /** Rebuilds one day by merging its hourly rows; answers the number of rows written. */
    private Uni<Long> rollDay(OffsetDateTime day, long version) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT tenant, tool, model, provider, params_hash, " + Buckets.MERGED
                                + " FROM perf_hourly WHERE bucket_start >= $1 AND bucket_start < $2")
                        .execute(Tuple.of(day, day.plusDays(1)))
                        .map(rows -> {
                            Map<GroupKey, Aggregate> groups = new HashMap<>();
                            for (Row r : rows) {
                                Buckets.merge(groups.computeIfAbsent(key(r), k -> new Aggregate()), r);
                            }
                            return groups;
                        })
                        .chain(groups -> replace(conn, "perf_daily", day, groups))
                        .call(() -> conn.preparedQuery("DELETE FROM perf_dirty_days WHERE day = $1 AND version = $2")
                                .execute(Tuple.of(day, version))));
    }

    private static Uni<Long> replace(SqlConnection conn, String table, OffsetDateTime bucket, Map<GroupKey, Aggregate> groups) {
        int n = groups.size();
        String[] tenant = new String[n];
        String[] tool = new String[n];
        String[] model = new String[n];
        String[] provider = new String[n];
        String[] hash = new String[n];
        Long[] count = new Long[n];
        Long[] errors = new Long[n];
        Double[] sum = new Double[n];
        Double[] min = new Double[n];
        Double[] max = new Double[n];
        Double[] p50 = new Double[n];
        Double[] p95 = new Double[n];
        Double[] p99 = new Double[n];
        Buffer[] sketch = new Buffer[n];
        Long[] tokensIn = new Long[n];
        Long[] tokensOut = new Long[n];
        String[] errorTypes = new String[n];
        Long[] ttftCount = new Long[n];
        Double[] ttft50 = new Double[n];
        Double[] ttft95 = new Double[n];
        Double[] ttft99 = new Double[n];
        Buffer[] ttftSketch = new Buffer[n];
        int i = 0;
        for (Map.Entry<GroupKey, Aggregate> e : groups.entrySet()) {
            GroupKey k = e.getKey();
            Aggregate a = e.getValue();
            tenant[i] = k.tenant();
            tool[i] = k.tool();
            model[i] = k.model();
            provider[i] = k.provider();
            hash[i] = k.paramsHash();
            count[i] = a.count;
            errors[i] = a.errors;
            sum[i] = a.sum;
            min[i] = a.min;
            max[i] = a.max;
            p50[i] = a.p(0.50);
            p95[i] = a.p(0.95);
            p99[i] = a.p(0.99);
            sketch[i] = Buffer.buffer(Sketches.serialize(a.sketch));
            tokensIn[i] = a.tokensIn;
            tokensOut[i] = a.tokensOut;
            errorTypes[i] = Buckets.errorTypesJson(a.errorTypes);
            ttftCount[i] = a.ttftCount;
            ttft50[i] = a.ttftP(0.50);
            ttft95[i] = a.ttftP(0.95);
            ttft99[i] = a.ttftP(0.99);
            ttftSketch[i] = a.ttftCount == 0 ? null : Buffer.buffer(Sketches.serialize(a.ttft));
            i++;
        }
        return conn.preparedQuery("DELETE FROM " + table + " WHERE bucket_start = $1").execute(Tuple.of(bucket))
                .chain(() -> n == 0 ? Uni.createFrom().item(0L) : conn.preparedQuery("INSERT INTO " + table
                                + " (tenant, bucket_start, tool, model, provider, params_hash, count, error_count, sum_ms, min_ms, max_ms,"
                                + " p50_ms, p95_ms, p99_ms, sketch, tokens_in, tokens_out, error_types, ttft_count, ttft_p50_ms, ttft_p95_ms,"
                                + " ttft_p99_ms, ttft_sketch) SELECT t.tenant, $1, t.tool, t.model, t.provider, t.h, t.c, t.e, t.s,"
                                + " t.mn, t.mx, t.p50, t.p95, t.p99, t.sk, t.ti, t.tout, t.et::jsonb, t.tc, t.t50, t.t95, t.t99, t.tsk"
                                + " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
                                + " $7::int8[], $8::int8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[],"
                                + " $15::bytea[], $16::int8[], $17::int8[], $18::text[], $19::int8[], $20::float8[], $21::float8[], $22::float8[],"
                                + " $23::bytea[]) AS t(tenant, tool, model, provider, h, c, e, s, mn, mx, p50, p95, p99, sk, ti, tout, et, tc,"
                                + " t50, t95, t99, tsk)")
                        .execute(Tuple.from(Arrays.asList(bucket, tenant, tool, model, provider, hash, count, errors, sum, min, max,
                                p50, p95, p99, sketch, tokensIn, tokensOut, errorTypes, ttftCount, ttft50, ttft95, ttft99, ttftSketch)))
                        .map(rows -> (long) rows.rowCount()));
    }

    /** {partitions dropped, partitions kept because not rolled up, hourly rows expired, daily rows expired}. */
    Uni<int[]> retention(OffsetDateTime now) {
        OffsetDateTime rawCutoff = now.minus(config.rawRetention());
        return db.run(p -> p.preparedQuery("DELETE FROM perf_hourly WHERE bucket_start < $1").execute(Tuple.of(now.minus(config.hourlyRetention())))
                        .map(rows -> rows.rowCount()))
                .chain(hourly -> db.run(p -> p.preparedQuery("DELETE FROM perf_daily WHERE bucket_start < $1")
                                .execute(Tuple.of(now.minus(config.dailyRetention()))).map(rows -> rows.rowCount()))
                        .chain(daily -> db.run(p -> p.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                        + "WHERE i.inhparent = 'perf_samples'::regclass").execute())
                                .chain(partitions -> {
                                    List<LocalDate> old = new ArrayList<>();
                                    partitions.forEach(r -> {
                                        LocalDate day = SampleStore.partitionDay(r.getString(0));
                                        if (!day.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC).isAfter(rawCutoff)) {
                                            old.add(day);
                                        }
                                    });
                                    return Multi.createFrom().iterable(old).onItem().transformToUniAndConcatenate(this::dropIfRolledUp)
                                            .collect().asList();
                                })
                                .map(dropped -> {
                                    int gone = (int) dropped.stream().filter(Boolean::booleanValue).count();
                                    return new int[] {gone, dropped.size() - gone, hourly, daily};
                                })));
    }

    private Uni<Boolean> dropIfRolledUp(LocalDate day) {
        OffsetDateTime start = day.atStartOfDay().atOffset(ZoneOffset.UTC);
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT EXISTS (SELECT 1 FROM perf_dirty_hours WHERE hour >= $1 AND hour < $2) "
                        + "OR EXISTS (SELECT 1 FROM perf_dirty_days WHERE day = $1)").execute(Tuple.of(start, start.plusDays(1)))
                .chain(rows -> rows.iterator().next().getBoolean(0)
                        ? Uni.createFrom().item(false)
                        : conn.query("DROP TABLE IF EXISTS " + SampleStore.partitionName(day)).execute().map(r -> true)));
    }

    private Uni<Void> updateLag(OffsetDateTime now) {
        return db.run(p -> p.query("SELECT min(hour) FROM perf_dirty_hours").execute())
                .invoke(rows -> {
                    OffsetDateTime oldest = rows.iterator().next().getOffsetDateTime(0);
                    lagSeconds.set(oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toSeconds()));
                })
                .replaceWithVoid();
    }

    private static GroupKey key(Row row) {
        return new GroupKey(row.getString("tenant"), row.getString("tool"), row.getString("model"), row.getString("provider"),
                row.getString("params_hash"));
    }
}
