package dev.exai.store.security;

import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * What one tenant may use, so that one tenant's runaway client cannot slow or starve another: a request rate (a
 * token bucket per tenant, Bucket4j; 429 with Retry-After), the sessions it may hold (counted under a per-tenant
 * lock when one is created; 409), and the bytes of files and message text it may store (counted for every tenant
 * each {@code usage-every}; writes past it answer 507 until the next count finds room). Limits are per replica for
 * the rate (each replica allows the configured rate) and exact across replicas for sessions.
 */
@ApplicationScoped
public class TenantLimits {

    private static final Logger LOG = Logger.getLogger(TenantLimits.class);
    private static final String USAGE = "SELECT tenant, sum(bytes)::bigint AS bytes FROM ("
            + "SELECT tenant, sum(size) AS bytes FROM files GROUP BY tenant"
            + " UNION ALL SELECT s.tenant, sum(octet_length(m.content) + coalesce(octet_length(m.reasoning), 0))"
            + " FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id GROUP BY s.tenant"
            // the pieces of answers still streaming (their text is in chat_messages once they finish)
            + " UNION ALL SELECT s.tenant, sum(octet_length(c.content) + coalesce(octet_length(c.reasoning), 0)) FROM message_chunks c"
            + " JOIN chat_messages m ON m.id = c.message_id JOIN chat_sessions s ON s.id = m.session_id GROUP BY s.tenant) usage"
            + " GROUP BY tenant";

    private final StoreConfig.Limits config;
    private final Database db;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private volatile Map<String, Long> storedBytes = Map.of();

    public TenantLimits(StoreConfig config, Database db) {
        this.config = config.limits();
        this.db = db;
    }

    /** Takes one request from the tenant's rate; the problem to answer when it has none left, else null. */
    ProblemException admit(String tenant) {
        double rate = override(tenant).flatMap(StoreConfig.Limits.TenantLimits::requestsPerSecond).orElse(config.requestsPerSecond());
        if (rate <= 0) {
            return null;
        }
        ConsumptionProbe probe = buckets.computeIfAbsent(tenant, t -> bucket(t, rate)).tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return null;
        }
        long retryAfter = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        return new ProblemException(429, "rate-limited", "Too Many Requests", "tenant " + tenant + " is over its limit of " + rate
                + " requests per second (EXAI_STORE_LIMITS_REQUESTS_PER_SECOND); retry after " + retryAfter + " s")
                .withHeader("Retry-After", Long.toString(retryAfter));
    }

    /** The problem to answer when the tenant had used its stored bytes at the last count, else null. */
    ProblemException storageFull(String tenant) {
        long limit = storedBytesLimit(tenant);
        Long used = storedBytes.get(tenant);
        if (limit <= 0 || used == null || used < limit) {
            return null;
        }
        return new ProblemException(507, "storage-quota", "Insufficient Storage", "tenant " + tenant + " stores " + used
                + " bytes of files and messages, its limit is " + limit + " (EXAI_STORE_LIMITS_STORED_BYTES); delete some first");
    }

    /**
     * Checks, inside the transaction that creates a session, that the tenant holds fewer than its limit; a lock per
     * tenant (held to the commit) makes concurrent creations count one after another.
     */
    public Uni<Void> roomForSession(SqlConnection conn, String tenant) {
        long limit = override(tenant).flatMap(StoreConfig.Limits.TenantLimits::sessions).orElse(config.sessions());
        if (limit <= 0) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery("SELECT pg_advisory_xact_lock(hashtext('exai-store.sessions.' || $1))").execute(Tuple.of(tenant))
                .chain(() -> conn.preparedQuery("SELECT count(*) FROM chat_sessions WHERE tenant = $1").execute(Tuple.of(tenant)))
                .map(rows -> rows.iterator().next().getLong(0))
                .invoke(held -> {
                    if (held >= limit) {
                        throw new ProblemException(409, "session-quota", "Conflict", "tenant " + tenant + " holds " + held
                                + " sessions, its limit (EXAI_STORE_LIMITS_SESSIONS); delete some first");
                    }
                })
                .replaceWithVoid();
    }

    /** Counts every tenant's stored bytes, when some tenant has a bytes limit. */
    @Scheduled(every = "${exai-store.limits.usage-every:30s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> countUsage() {
        if (config.storedBytes() <= 0 && config.tenants().values().stream().noneMatch(t -> t.storedBytes().isPresent())) {
            return Uni.createFrom().voidItem();
        }
        return db.run(pool -> pool.query(USAGE).execute())
                .invoke(rows -> {
                    Map<String, Long> counted = new HashMap<>();
                    for (Row row : rows) {
                        counted.put(row.getString("tenant"), row.getLong("bytes"));
                    }
                    storedBytes = Map.copyOf(counted);
                })
                .onFailure().invoke(e -> LOG.warnf("could not count the tenants' stored bytes: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private long storedBytesLimit(String tenant) {
        return override(tenant).flatMap(StoreConfig.Limits.TenantLimits::storedBytes).orElse(config.storedBytes());
    }

    private Bucket bucket(String tenant, double rate) {
        int burst = override(tenant).flatMap(StoreConfig.Limits.TenantLimits::burst).orElse(config.burst());
        long perMinute = Math.max(1, Math.round(rate * 60));
        return Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(Math.max(1, burst)).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
                .build();
    }

    private Optional<StoreConfig.Limits.TenantLimits> override(String tenant) {
        return Optional.ofNullable(config.tenants().get(tenant));
    }
}
