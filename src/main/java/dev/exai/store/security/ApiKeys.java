package dev.exai.store.security;

import dev.exai.store.common.Hashing;
import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which key a bearer token is: a tenant key from EXAI_STORE_API_KEYS (the bootstrap keys), one made at run time
 * ({@link ManagedKeys}), or the admin key (EXAI_STORE_ADMIN_KEY). A key maps to exactly one tenant; comparison with
 * the configured keys is constant-time. Each key has an id that names it in logs and records without revealing it:
 * {@code env-} and the first 12 hex digits of its SHA-256, or {@code key-} and a made key's id. In the prod profile
 * the service refuses to start with neither bootstrap keys nor an admin key unless auth was turned off explicitly.
 */
@ApplicationScoped
public class ApiKeys {

    static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final boolean enabled;
    private final String defaultTenant;
    private final Map<String, byte[]> keysByTenant;
    private final Map<String, String> keyIdsByTenant;
    private final byte[] adminKey;
    private final ManagedKeys managed;
    private final JwtBearers jwts;

    public ApiKeys(StoreConfig config, ManagedKeys managed, JwtBearers jwts) {
        this.managed = managed;
        this.jwts = jwts;
        this.adminKey = config.adminKey().map(key -> {
            if (key.length() < 16) {
                throw new IllegalStateException("EXAI_STORE_ADMIN_KEY must be at least 16 characters");
            }
            return key.getBytes(StandardCharsets.UTF_8);
        }).orElse(null);
        this.enabled = config.authEnabled();
        this.defaultTenant = config.defaultTenant();
        this.keysByTenant = parse(config.apiKeys().orElse(List.of()));
        Map<String, String> ids = new LinkedHashMap<>();
        keysByTenant.forEach((tenant, key) -> ids.put(tenant, "env-" + Hashing.sha256Hex(key).substring(0, 12)));
        this.keyIdsByTenant = Map.copyOf(ids);
    }

    void checkOnStart(@Observes StartupEvent event) {
        if (enabled && keysByTenant.isEmpty() && adminKey == null && !jwts.configured() && LaunchMode.current() == LaunchMode.NORMAL) {
            throw new IllegalStateException("none of EXAI_STORE_API_KEYS, EXAI_STORE_ADMIN_KEY or a JWT key is set: set tenant:key "
                    + "pairs, or an admin key to make tenant keys with, or EXAI_STORE_JWT_SECRET / EXAI_STORE_JWT_PUBLIC_KEY_LOCATION, "
                    + "or EXAI_STORE_AUTH_ENABLED=false to run without authentication");
        }
    }

    /** The principal of an {@code Authorization: Bearer <key>} header, or empty when it is missing or unknown. */
    public Optional<Principal> principalOfHeader(String authorization) {
        return principalOf(bearer(authorization));
    }

    /** Whether an {@code Authorization: Bearer <key>} header carries the admin key. */
    public boolean isAdmin(String authorization) {
        String token = bearer(authorization);
        return adminKey != null && token != null && MessageDigest.isEqual(adminKey, token.getBytes(StandardCharsets.UTF_8));
    }

    private static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : null;
    }

    /**
     * The principal a bearer token belongs to, or empty when the token is unknown; a JWT (when JWTs are accepted) that
     * fails its checks throws its 401.
     */
    public Optional<Principal> principalOf(String token) {
        if (!enabled) {
            return Optional.of(new Principal(defaultTenant, "none"));
        }
        if (token == null) {
            return Optional.empty();
        }
        byte[] presented = token.getBytes(StandardCharsets.UTF_8);
        String match = null;
        for (Map.Entry<String, byte[]> entry : keysByTenant.entrySet()) {
            if (MessageDigest.isEqual(entry.getValue(), presented)) {
                match = entry.getKey();
            }
        }
        if (match != null) {
            return Optional.of(new Principal(match, keyIdsByTenant.get(match)));
        }
        Optional<Principal> jwt = jwts.ifJwt(token);
        return jwt.isPresent() ? jwt : managed.principalOf(token);
    }

    public boolean enabled() {
        return enabled;
    }

    private static Map<String, byte[]> parse(List<String> pairs) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (String pair : pairs) {
            String trimmed = pair.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int colon = trimmed.indexOf(':');
            String tenant = colon < 0 ? "" : trimmed.substring(0, colon);
            String key = colon < 0 ? "" : trimmed.substring(colon + 1);
            if (!TENANT.matcher(tenant).matches() || key.length() < 8) {
                throw new IllegalStateException("EXAI_STORE_API_KEYS entries must be tenant:key with a tenant of "
                        + "[A-Za-z0-9._-] and a key of at least 8 characters; one entry is not");
            }
            keys.put(tenant, key.getBytes(StandardCharsets.UTF_8));
        }
        return keys;
    }
}
