package dev.exai.store.security;

import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Tenant keys made at run time: made (the key answered once; only its HMAC-SHA-256 under a server secret is stored),
 * listed, revoked; and, for admission, whether a presented key is one of them, answered from memory so that no request
 * asks the database. Each replica reloads the accepted keys when the key set's version moves, which it asks every
 * {@code exai-store.security.key-check-every} (500 ms), so a revoked key is refused on every replica within that;
 * expiry is checked at each request. When keys were last used is written in batches, off the requests' path.
 */
@ApplicationScoped
public class ManagedKeys {

    private static final Logger LOG = Logger.getLogger(ManagedKeys.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database db;
    private final KeyRows rows;
    private final long everyMs;
    /** When keys were last used is written every 20 checks (10 s by default). */
    private final long flushEveryNanos;
    private final byte[] configuredSecret;
    private final Map<UUID, OffsetDateTime> lastUsed = new ConcurrentHashMap<>();
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile Map<String, KeyRows.Accepted> accepted = Map.of();
    private volatile long version = -1;
    private volatile SecretKeySpec secret;
    private volatile long flushedAt = System.nanoTime();

    private final AuditTrail audit;

    ManagedKeys(Database db, KeyRows rows, AuditTrail audit, StoreConfig config) {
        this.audit = audit;
        this.db = db;
        this.rows = rows;
        this.everyMs = config.security().keyCheckEvery().toMillis();
        this.flushEveryNanos = config.security().keyCheckEvery().toNanos() * 20;
        this.configuredSecret = config.security().keyHashSecret().map(s -> {
            if (s.length() < 32) {
                throw new IllegalStateException("EXAI_STORE_SECURITY_KEY_HASH_SECRET must be at least 32 characters");
            }
            return s.getBytes(StandardCharsets.UTF_8);
        }).orElse(null);
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        // waits (on the main thread, before the HTTP server takes requests): a replica that answered before knowing
        // the made keys would refuse them
        try {
            check().await().atMost(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.warnf("tenant keys made at run time not loaded at start (%s); the next check retries", e.toString());
        }
        vertx.setPeriodic(everyMs, id -> tick());
    }

    private void tick() {
        if (checking.compareAndSet(false, true)) {
            check().subscribe().with(done -> checking.set(false), failure -> {
                LOG.debugf("checking tenant keys failed: %s", failure.toString());
                checking.set(false);
            });
        }
    }

    /** Reloads the accepted keys when their version moved; writes when keys were last used, now and then. */
    private Uni<Void> check() {
        return db.run(pool -> rows.state(pool).chain(state -> {
            if (secret == null) {
                secret = new SecretKeySpec(configuredSecret != null ? configuredSecret : state.secret(), "HmacSHA256");
            }
            Uni<Void> reloaded = state.version() == version ? Uni.createFrom().voidItem()
                    : rows.accepted(pool).invoke(keys -> {
                        Map<String, KeyRows.Accepted> byHash = new HashMap<>();
                        keys.forEach(key -> byHash.put(HexFormat.of().formatHex(key.hash()), key));
                        accepted = Map.copyOf(byHash);
                        version = state.version();
                    }).replaceWithVoid();
            return reloaded.chain(() -> flushUses(pool));
        }));
    }

    private Uni<Void> flushUses(io.vertx.mutiny.sqlclient.Pool pool) {
        if (lastUsed.isEmpty() || System.nanoTime() - flushedAt < flushEveryNanos) {
            return Uni.createFrom().voidItem();
        }
        Map<UUID, OffsetDateTime> batch = new HashMap<>(lastUsed);
        batch.forEach(lastUsed::remove);
        flushedAt = System.nanoTime();
        return rows.used(pool, batch);
    }

    /** The principal of a key made at run time, or empty when the token is none of the accepted ones (or expired). */
    Optional<Principal> principalOf(String token) {
        Map<String, KeyRows.Accepted> keys = accepted;
        if (keys.isEmpty() || secret == null) {
            return Optional.empty();
        }
        KeyRows.Accepted key = keys.get(HexFormat.of().formatHex(hash(token)));
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        if (key == null || (key.expiresAt() != null && !key.expiresAt().isAfter(now))) {
            return Optional.empty();
        }
        lastUsed.put(key.id(), now);
        return Optional.of(new Principal(key.tenant(), "key-" + key.id()));
    }

    /** Makes a key for the tenant: 256 random bits, shown in this answer only. */
    public Uni<IssuedKey> create(Principal admin, String tenant, String name, OffsetDateTime expiresAt) {
        if (secret == null) {
            return Uni.createFrom().failure(ProblemException.unavailable("the key store is not reachable yet; retry"));
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String key = "exai_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String prefix = key.substring(0, 12);
        return db.inTransaction(conn -> rows.insert(conn, tenant, name, prefix, hash(key), expiresAt)
                        .call(view -> audit.record(conn, admin.forTenant(tenant), "key.create", "key " + view.id(), null)))
                .call(this::check)
                .map(view -> new IssuedKey(view.id(), tenant, name, key, prefix, view.createdAt(), view.expiresAt()));
    }

    /** The tenant's keys, newest first, revoked ones included. */
    public Uni<List<KeyView>> list(String tenant) {
        return db.run(pool -> rows.list(pool, tenant));
    }

    /** Revokes one of the tenant's keys: refused here at once, on other replicas within one check. 404 when it has no such live key. */
    public Uni<KeyView> revoke(Principal admin, String tenant, String id) {
        UUID keyId;
        try {
            keyId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(ProblemException.notFound("key " + id));
        }
        return db.inTransaction(conn -> rows.revoke(conn, tenant, keyId)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("live key " + id + " of tenant " + tenant))
                        .call(view -> audit.record(conn, admin.forTenant(tenant), "key.revoke", "key " + id, null)))
                .call(this::check);
    }

    private byte[] hash(String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            return mac.doFinal(token.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available", e);
        }
    }
}
