package dev.exai.store.common;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Decides whether this instance may use Redis now, and under which key generation.
 *
 * <p>Why: a cache write can fail after PostgreSQL committed (Redis down, slow or partitioned), and Redis may
 * come back still holding the keys from before, or a promoted Redis replica may lack the last writes. Those keys
 * would serve a history without an acknowledged message. Keys carry a generation kept in PostgreSQL, and the
 * generation moves on whenever Redis may have missed a write: at the first failed call (this instance stops
 * using Redis before the request is answered), when a probe finds a Redis master not answering, and at start-up
 * (a crash may have hidden a failure). Keys of a retired generation are never read again and simply expire.
 *
 * <p>Replicas learn of a new generation only when they next ask PostgreSQL, so for a while some read the old
 * generation and some the new; a write that reached only one of them would be missing from reads of the other.
 * So each replica holds a lease: PostgreSQL confirms the generation every {@code exai-store.cache.check-every},
 * and a replica reads Redis only while its last confirmation is younger than the lease (three check periods, so a late check does not lapse it, less
 * the Redis call timeout, so a call never outlives it). A new generation is read by nobody until one lease has
 * passed since it was taken, by when every lease on the older ones has run out; and until then every write
 * goes to all generations from the oldest one a replica may still read ({@code readable_from}) to the newest.
 * A write made with a lapsed lease first asks PostgreSQL again. The lease length derives from
 * {@code check-every}, so every replica must be configured with the same value. What remains: a replica whose own Redis calls
 * fail cannot write, so its appends can be missing from other replicas' reads until they adopt the generation it
 * retired, at most one lease later.
 *
 * <p>The probe is {@code DBSIZE}, which the Redis Cluster client sends to every master: a master that stops
 * answering is noticed within one check even when no request touched its slots, so the generation has moved
 * before a replica that may lack the last acknowledged writes is promoted (promotion takes
 * {@code cluster-node-timeout}, which must exceed {@code check-every} plus {@code exai-store.cache.timeout}).
 */
@ApplicationScoped
public class CacheGeneration {

    private static final Logger LOG = Logger.getLogger(CacheGeneration.class);
    private static final String COLUMNS = "store_id, generation, readable_from, (extract(epoch FROM now() - advanced_at) * 1000)::bigint AS age_ms";
    private static final String READ = "SELECT " + COLUMNS + " FROM cache_generation";
    /** The generations from readable_from up stay in use for one lease after the last move. */
    private static final String ADVANCE = "UPDATE cache_generation SET generation = generation + 1, advanced_at = now(), "
            + "readable_from = CASE WHEN now() - advanced_at < $1::bigint * interval '1 millisecond' THEN readable_from ELSE generation END";

    private final Database db;
    private final ReactiveRedisDataSource redis;
    private final Duration timeout;
    private final long leaseNanos;
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile String prefix;
    private volatile long generation;
    private volatile List<String> writeCurrent = List.of();
    private volatile List<String> writeWithOlder = List.of();
    private volatile long olderInUseUntil;
    private volatile long usableFrom;
    private volatile long leaseUntil;
    private volatile boolean healthy;
    private volatile long failedGeneration;

    public CacheGeneration(Database db, ReactiveRedisDataSource redis, StoreConfig config) {
        this.db = db;
        this.redis = redis;
        this.timeout = config.cache().timeout();
        this.leaseNanos = config.cache().checkEvery().multipliedBy(3).toNanos();
    }

    /** The generation to use for keys, or 0 when Redis must not be used now. */
    public long current() {
        long now = System.nanoTime();
        return healthy && now - usableFrom >= 0 && leaseUntil - now > 0 ? generation : 0;
    }

    /**
     * The key prefixes a write must reach: the current generation and the older ones a replica may still read;
     * empty when this replica cannot write to Redis now. With a lapsed lease, asks PostgreSQL first.
     */
    public Uni<List<String>> writePrefixes() {
        if (!healthy) {
            return Uni.createFrom().item(List.of());
        }
        if (leaseUntil - System.nanoTime() > 0) {
            return Uni.createFrom().item(writable());
        }
        return renew().map(v -> writable()).onFailure().recoverWithItem(e -> writable());
    }

    private List<String> writable() {
        return olderInUseUntil - System.nanoTime() > 0 ? writeWithOlder : writeCurrent;
    }

    /** The key prefix of a generation: {@code exai:<store id>:<generation>:}, unique across databases. */
    public String prefix(long gen) {
        return prefix + gen + ":";
    }

    public boolean degraded() {
        return current() == 0;
    }

    /** Called when a Redis call failed or timed out: stop using Redis at once and retire the generation. */
    public void redisFailed(Throwable failure) {
        if (healthy) {
            healthy = false;
            failedGeneration = generation;
            LOG.warnf("Redis call failed (%s); serving from PostgreSQL until Redis answers again", failure.toString());
            retire(failedGeneration).subscribe().with(g -> { }, e -> LOG.debugf("could not retire the cache generation now: %s", e));
        }
    }

    /** Takes a new generation before the first request (a crash may have hidden a failure). */
    void onStart(@Observes StartupEvent event) {
        try {
            long started = System.nanoTime();
            everyMasterAnswers()
                    .chain(() -> db.run(pool -> pool.preparedQuery(ADVANCE + " RETURNING " + COLUMNS).execute(Tuple.of(leaseMillis()))))
                    .invoke(rows -> {
                        adopt(rows.iterator().next(), started);
                        healthy = true;
                        LOG.infof("Redis in use with cache generation %d", generation);
                    })
                    .await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("cache generation not taken at start (%s); the next check retries", e.toString());
        }
    }

    /** Renews the lease (adopting a newer generation), probes Redis, and takes Redis back once it answers. */
    @Scheduled(every = "${exai-store.cache.check-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> check() {
        if (!checking.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> step = healthy
                ? renew().chain(() -> everyMasterAnswers().onFailure().invoke(this::redisFailed).onFailure().recoverWithNull())
                : renew().chain(this::everyMasterAnswers).chain(this::recover);
        return step.onFailure().recoverWithUni(e -> {
                    LOG.debugf("cache generation check failed: %s", e.toString());
                    return Uni.createFrom().voidItem();
                })
                .eventually(() -> checking.set(false));
    }

    private Uni<Void> renew() {
        long started = System.nanoTime();
        return db.run(pool -> pool.query(READ).execute()).invoke(rows -> adopt(rows.iterator().next(), started)).replaceWithVoid();
    }

    /** Redis answers again: use the generation taken since the failure, or take one if nobody has. */
    private Uni<Void> recover() {
        if (generation > failedGeneration) {
            healthy = true;
            LOG.infof("Redis is in use again with cache generation %d", generation);
            return Uni.createFrom().voidItem();
        }
        return retire(failedGeneration).chain(this::renew).chain(this::recover);
    }

    /** Moves the generation past {@code gen}, unless another replica already has. */
    private Uni<Void> retire(long gen) {
        return db.run(pool -> pool.preparedQuery(ADVANCE + " WHERE generation = $2").execute(Tuple.of(leaseMillis(), gen)))
                .replaceWithVoid();
    }

    /**
     * Takes what PostgreSQL answered to a query started at {@code started}: the lease runs from the query's start;
     * a newer generation is usable one lease after it was taken.
     */
    private void adopt(Row row, long started) {
        long answered = System.nanoTime();
        prefix = "exai:" + row.getString("store_id") + ":";
        long stored = row.getLong("generation");
        long quiet = Math.max(0, leaseNanos - Duration.ofMillis(Math.max(0, row.getLong("age_ms"))).toNanos());
        olderInUseUntil = answered + quiet;
        if (stored > generation) {
            usableFrom = answered + quiet;
            generation = stored;
        }
        if (stored == generation) {
            leaseUntil = started + leaseNanos - timeout.toNanos();
        }
        // the write targets are worked out here, once per answer, not on every write
        List<String> prefixes = new ArrayList<>();
        for (long gen = row.getLong("readable_from"); gen <= generation; gen++) {
            prefixes.add(prefix(gen));
        }
        writeWithOlder = List.copyOf(prefixes);
        writeCurrent = List.of(prefix(generation));
    }

    private long leaseMillis() {
        return Duration.ofNanos(leaseNanos).toMillis();
    }

    private Uni<Void> everyMasterAnswers() {
        return redis.execute("DBSIZE").ifNoItem().after(timeout).fail().replaceWithVoid();
    }
}
