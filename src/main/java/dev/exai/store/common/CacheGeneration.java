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
 * <p>Every replica must agree on the generation, or one replica's appends would land in keys another no longer
 * reads. So each replica holds a lease: PostgreSQL confirms the generation every {@code exai-store.cache.check-every},
 * and a replica uses Redis only while its last confirmation is younger than the lease (two check periods, less
 * the Redis call timeout, so a call never outlives it). A new generation is used by nobody until one lease
 * has passed since it was taken; by then every replica's lease on the old one has run out. During that quiet
 * period, and whenever a replica cannot confirm its lease, reads and writes go to PostgreSQL alone.
 *
 * <p>The probe is {@code DBSIZE}, which the Redis Cluster client sends to every master: a master that stops
 * answering is noticed within one check even when no request touched its slots, so the generation has moved
 * before a replica that may lack the last acknowledged writes is promoted (promotion takes
 * {@code cluster-node-timeout}, which must exceed {@code check-every} plus {@code exai-store.cache.timeout}).
 */
@ApplicationScoped
public class CacheGeneration {

    private static final Logger LOG = Logger.getLogger(CacheGeneration.class);
    private static final String READ = "SELECT store_id, generation, (extract(epoch FROM now() - advanced_at) * 1000)::bigint AS age_ms "
            + "FROM cache_generation";

    private final Database db;
    private final ReactiveRedisDataSource redis;
    private final Duration timeout;
    private final long leaseNanos;
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile String prefix;
    private volatile long generation;
    private volatile long usableFrom;
    private volatile long leaseUntil;
    private volatile boolean healthy;
    private volatile long failedGeneration;

    public CacheGeneration(Database db, ReactiveRedisDataSource redis, StoreConfig config) {
        this.db = db;
        this.redis = redis;
        this.timeout = config.cache().timeout();
        this.leaseNanos = config.cache().checkEvery().multipliedBy(2).toNanos();
    }

    /** The generation to use for keys, or 0 when Redis must not be used now. */
    public long current() {
        long now = System.nanoTime();
        return healthy && now - usableFrom >= 0 && leaseUntil - now > 0 ? generation : 0;
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
                    .chain(() -> db.run(pool -> pool.query("UPDATE cache_generation SET generation = generation + 1, advanced_at = now() "
                            + "RETURNING store_id, generation, 0::bigint AS age_ms").execute()))
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
                ? everyMasterAnswers().onFailure().invoke(this::redisFailed).onFailure().recoverWithNull().chain(this::renew)
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
        return db.run(pool -> pool.preparedQuery("UPDATE cache_generation SET generation = generation + 1, advanced_at = now() "
                        + "WHERE generation = $1").execute(Tuple.of(gen)))
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
        if (stored > generation) {
            long ageNanos = Duration.ofMillis(Math.max(0, row.getLong("age_ms"))).toNanos();
            usableFrom = answered + Math.max(0, leaseNanos - ageNanos);
            generation = stored;
        }
        if (stored == generation) {
            leaseUntil = started + leaseNanos - timeout.toNanos();
        }
    }

    private Uni<Void> everyMasterAnswers() {
        return redis.execute("DBSIZE").ifNoItem().after(timeout).fail().replaceWithVoid();
    }
}
