package dev.exai.store.perf;

import dev.exai.store.common.Database;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Raw samples in PostgreSQL: one statement per batch (arrays through {@code unnest}) that also records the
 * canonical parameters of new hashes and marks the touched hours for the rollup. Raw samples live in one
 * partition per UTC day, made ahead by the rollup job and, for a day it has not made yet, on demand.
 */
@ApplicationScoped
public class SampleStore {

    private static final DateTimeFormatter PARTITION_DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final String INSERT = "WITH p AS ("
            + " INSERT INTO perf_params (tenant, params_hash, params)"
            + " SELECT DISTINCT ON (h) $1, h, j::jsonb FROM unnest($5::text[], $11::text[]) AS t(h, j) ON CONFLICT DO NOTHING"
            + "), d AS ("
            + " INSERT INTO perf_dirty_hours (hour, version)"
            + " SELECT hour, nextval('perf_dirty_version') FROM (SELECT DISTINCT date_trunc('hour', a, 'UTC') AS hour FROM unnest($2::timestamptz[]) a) x"
            + " ON CONFLICT (hour) DO UPDATE SET version = EXCLUDED.version"
            + ") INSERT INTO perf_samples (tenant, at, tool, model, provider, params_hash, latency_ms, ok, error, tokens_in, tokens_out,"
            + " error_type, ttft_ms)"
            + " SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $12::text[], $5::text[], $6::float8[],"
            + " $7::bool[], $8::text[], $9::int[], $10::int[], $13::text[], $14::float8[])";

    private final Database db;

    public SampleStore(Database db) {
        this.db = db;
    }

    /** Stores a validated batch in one round trip (two when a day's partition had to be made first). */
    Uni<Integer> insert(String tenant, List<NewSample> samples) {
        int n = samples.size();
        OffsetDateTime[] at = new OffsetDateTime[n];
        String[] tool = new String[n];
        String[] model = new String[n];
        String[] provider = new String[n];
        String[] hash = new String[n];
        Double[] latency = new Double[n];
        Boolean[] ok = new Boolean[n];
        String[] error = new String[n];
        Integer[] tokensIn = new Integer[n];
        Integer[] tokensOut = new Integer[n];
        String[] params = new String[n];
        String[] errorType = new String[n];
        Double[] ttft = new Double[n];
        TreeSet<LocalDate> days = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            NewSample s = samples.get(i);
            at[i] = s.at();
            tool[i] = s.tool();
            model[i] = s.model();
            provider[i] = s.provider();
            hash[i] = s.paramsHash();
            latency[i] = s.latencyMs();
            ok[i] = s.ok();
            error[i] = s.error();
            tokensIn[i] = s.tokensIn();
            tokensOut[i] = s.tokensOut();
            params[i] = s.canonicalParams();
            errorType[i] = s.errorType();
            ttft[i] = s.ttftMs();
            days.add(s.at().withOffsetSameInstant(ZoneOffset.UTC).toLocalDate());
        }
        Tuple args = Tuple.from(Arrays.asList(tenant, at, tool, model, hash, latency, ok, error, tokensIn, tokensOut, params, provider,
                errorType, ttft));
        Uni<Integer> insert = db.run(pool -> pool.preparedQuery(INSERT).execute(args).map(rows -> n));
        return insert.onFailure(SampleStore::missingPartition)
                .recoverWithUni(() -> ensurePartitions(days.first(), days.last()).chain(() -> insert));
    }

    /** Makes the daily partitions from {@code first} to {@code last} (inclusive) that do not exist yet. */
    Uni<Void> ensurePartitions(LocalDate first, LocalDate last) {
        return Multi.createFrom().iterable(first.datesUntil(last.plusDays(1)).toList())
                .onItem().transformToUniAndConcatenate(day -> db.run(pool -> createPartition(pool, day)))
                .collect().last().replaceWithVoid();
    }

    private static Uni<Void> createPartition(SqlClient sql, LocalDate day) {
        String ddl = "CREATE TABLE IF NOT EXISTS " + partitionName(day) + " PARTITION OF perf_samples FOR VALUES FROM ('"
                + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')";
        return sql.query(ddl).execute().replaceWithVoid()
                // another instance made it between our check and our create
                .onFailure(e -> e instanceof PgException pg && ("42P07".equals(pg.getSqlState()) || "23505".equals(pg.getSqlState())))
                .recoverWithNull();
    }

    static String partitionName(LocalDate day) {
        return "perf_samples_" + PARTITION_DAY.format(day);
    }

    static LocalDate partitionDay(String name) {
        return LocalDate.parse(name.substring("perf_samples_".length()), PARTITION_DAY);
    }

    private static boolean missingPartition(Throwable e) {
        return e instanceof PgException pg && "23514".equals(pg.getSqlState());
    }
}
