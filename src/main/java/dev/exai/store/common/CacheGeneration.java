package dev.exai.store.common;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Decides whether this instance may use Redis now, and under which key generation.
 *
 * <p>Why: a cache write can fail after PostgreSQL committed (Redis down, slow or partitioned), and Redis may
 * come back still holding the keys from before. Those keys would serve a history without the acknowledged
 * message. So the moment any Redis call fails, this instance stops using Redis (before the request is
 * answered) and asks PostgreSQL for a new generation; when Redis answers again it takes yet another new
 * generation and only then uses Redis again. Keys carry the generation, so keys written before the failure
 * are never read again and simply expire. A new generation is also taken at start-up (a crash may have
 * hidden a failure), and every instance adopts a newer generation from PostgreSQL every
 * {@code exai-store.cache.check-every}, which bounds how long another replica can read keys from before
 * a failure it did not see itself.
 */
@ApplicationScoped
public class CacheGeneration {

    private static final Logger LOG = Logger.getLogger(CacheGeneration.class);

    private final Database db;
    private final ReactiveRedisDataSource redis;
    private final Duration timeout;
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile String prefix;
    private volatile long generation;
    private volatile boolean healthy;

    public CacheGeneration(Database db, ReactiveRedisDataSource redis, StoreConfig config) {
        this.db = db;
        this.redis = redis;
        this.timeout = config.cache().timeout();
    }

    /** The generation to use for keys, or 0 when Redis must not be used now. */
    public long current() {
        return healthy ? generation : 0;
    }

    /** The key prefix of a generation: {@code exai:<store id>:<generation>:}, unique across databases. */
    public String prefix(long gen) {
        return prefix + gen + ":";
    }

    public boolean degraded() {
        return !healthy;
    }

    /** Called when a Redis call failed or timed out: stop using Redis at once and move the generation on. */
    public void redisFailed(Throwable failure) {
        if (healthy) {
            healthy = false;
            LOG.warnf("Redis call failed (%s); serving from PostgreSQL until Redis answers again", failure.toString());
            advance().subscribe().with(g -> { }, e -> LOG.debugf("could not advance the cache generation now: %s", e));
        }
    }

    /** Takes the first generation before the first request, so a started instance uses Redis from the start. */
    void onStart(@Observes StartupEvent event) {
        try {
            check().await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("cache generation not taken at start (%s); the next check retries", e.toString());
        }
    }

    /** Probes a failed Redis, or adopts a newer generation another replica took. */
    @Scheduled(every = "${exai-store.cache.check-every:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> check() {
        if (!checking.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> step = healthy ? adoptNewer() : recover();
        return step.onFailure().recoverWithUni(e -> {
                    LOG.debugf("cache generation check failed: %s", e.toString());
                    return Uni.createFrom().voidItem();
                })
                .eventually(() -> checking.set(false));
    }

    private Uni<Void> recover() {
        return redis.execute("PING").ifNoItem().after(timeout).fail()
                .chain(pong -> advance())
                .invoke(g -> {
                    generation = g;
                    healthy = true;
                    LOG.infof("Redis is in use again with cache generation %d", g);
                })
                .replaceWithVoid();
    }

    private Uni<Void> adoptNewer() {
        return db.run(pool -> pool.query("SELECT generation FROM cache_generation").execute())
                .invoke(rows -> {
                    long stored = rows.iterator().next().getLong(0);
                    if (stored > generation) {
                        generation = stored;
                    }
                })
                .replaceWithVoid();
    }

    private Uni<Long> advance() {
        return db.run(pool -> pool.query("UPDATE cache_generation SET generation = generation + 1 RETURNING store_id, generation").execute())
                .map(rows -> {
                    var row = rows.iterator().next();
                    prefix = "exai:" + row.getString("store_id") + ":";
                    return row.getLong("generation");
                });
    }
}
