package dev.exai.store.common;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every {@code exai-store.*} setting in one typed place; environment names are the upper-snake form. */
@ConfigMapping(prefix = "exai-store")
public interface StoreConfig {

    /** Whether requests need a tenant key; turning it off in prod must be explicit (EXAI_STORE_AUTH_ENABLED=false). */
    @WithDefault("true")
    boolean authEnabled();

    /** Comma-separated {@code tenant:key} pairs (EXAI_STORE_API_KEYS). */
    Optional<List<String>> apiKeys();

    /** The key of {@code /admin/...} routes (EXAI_STORE_ADMIN_KEY): it manages tenant keys and is refused on tenant routes. */
    Optional<String> adminKey();

    Security security();

    Jwt jwt();

    Audit audit();

    Streams streams();

    Encryption encryption();

    /**
     * Encryption at rest (docs/security.md): set a key (base64 of 32 random bytes, {@code openssl rand -base64 32}) and
     * message text, reasoning and titles are stored sealed with AES-256-GCM.
     */
    interface Encryption {
        /** The key that wraps the tenants' data keys (EXAI_STORE_ENCRYPTION_KEY). */
        Optional<String> key();

        /** A file holding the key instead (EXAI_STORE_ENCRYPTION_KEY_FILE), such as a mounted secret. */
        Optional<String> keyFile();

        /** Keys that wrapped data keys before a rotation, read until {@code ops/rotate-key} has rewrapped them. */
        Optional<List<String>> previousKeys();
    }

    /** The audit trail ({@code GET /admin/audit}). */
    interface Audit {
        /** How long audit rows are kept (EXAI_STORE_AUDIT_RETENTION); unset: kept for good. */
        Optional<Duration> retention();
    }

    /** The tenant that owns every request when auth is disabled, and rows that predate tenants. */
    @WithDefault("default")
    String defaultTenant();

    /** Largest JSON request body, checked on the declared length (EXAI_STORE_MAX_JSON_BODY). */
    @WithDefault("16M")
    MemorySize maxJsonBody();

    Messages messages();

    Cache cache();

    Database db();

    Sessions sessions();

    Files files();

    Providers providers();

    Perf perf();

    Limits limits();

    Events events();

    /** The change feed ({@code GET /events}); the retention purge runs every {@code exai-store.events.purge-every}. */
    interface Events {
        /** How often each instance looks for newly complete events to announce (a committed change waits about this long). */
        @WithDefault("50ms")
        Duration stampEvery();

        /** How long events are kept; a reader asking for events before that gets 410. */
        @WithDefault("7d")
        Duration retention();

        /** Open event streams one tenant may hold on one instance (429 past it). */
        @WithDefault("32")
        int maxStreamsPerTenant();

        /** How long an idle stream waits before it sends a comment line, so proxies keep it open. */
        @WithDefault("15s")
        Duration heartbeat();
    }

    /** JWT bearers (EXAI_STORE_JWT_*): accepted when a secret or a public key is set. */
    interface Jwt {
        /** HS256's shared secret (EXAI_STORE_JWT_SECRET), at least 32 bytes. */
        Optional<String> secret();

        /** RS256/ES256 public keys: a PEM file, or a JWK or JWKS file (EXAI_STORE_JWT_PUBLIC_KEY_LOCATION). */
        Optional<String> publicKeyLocation();

        /** The {@code iss} a token must carry, when set. */
        Optional<String> issuer();

        /** An {@code aud} a token must carry, when set. */
        Optional<String> audience();

        /** The claim that names the tenant. */
        @WithDefault("tenant")
        String tenantClaim();

        /** How far {@code exp} and {@code nbf} may be off. */
        @WithDefault("30s")
        Duration leeway();
    }

    /** Tenant keys made at run time ({@code /admin/tenants/{tenant}/keys}). */
    interface Security {
        /** How often each replica asks whether a key was made or revoked (and reloads its keys when one was). */
        @WithDefault("500ms")
        Duration keyCheckEvery();

        /**
         * The secret the keys' hashes are keyed with (EXAI_STORE_SECURITY_KEY_HASH_SECRET, at least 32 characters); without it, a
         * random one kept in the database.
         */
        Optional<String> keyHashSecret();
    }

    /**
     * What one tenant may use, so that a runaway client cannot starve the others: the values here apply to every
     * tenant, {@code exai-store.limits.tenants.<tenant>.*} overrides them for one. 0 means no limit.
     */
    interface Limits {
        /** Requests per second a tenant may make, on average (429 beyond). */
        @WithDefault("0")
        double requestsPerSecond();

        /** Requests a tenant may make at once, above the average. */
        @WithDefault("50")
        int burst();

        /** Bytes of files and message text a tenant may store (507 beyond, checked against the last usage count). */
        @WithDefault("0")
        long storedBytes();

        /** Sessions a tenant may hold (409 beyond). */
        @WithDefault("0")
        long sessions();

        /** How often the stored bytes of every tenant are counted, when some tenant has a bytes limit. */
        @WithDefault("30s")
        Duration usageEvery();

        /** Per-tenant overrides of the values above. */
        Map<String, TenantLimits> tenants();

        interface TenantLimits {
            Optional<Double> requestsPerSecond();

            Optional<Integer> burst();

            Optional<Long> storedBytes();

            Optional<Long> sessions();
        }
    }

    interface Messages {
        /** Largest message {@code content} in UTF-8 bytes; beyond it an append answers 413. */
        @WithDefault("1048576")
        int maxContentBytes();

        /** How long an Idempotency-Key of an append is remembered. */
        @WithDefault("24h")
        Duration idempotencyRetention();

        /** Whether concurrent plain appends share a transaction and its commit (session/GroupCommit). */
        @WithDefault("true")
        boolean groupCommit();
    }

    interface Cache {
        /** Time to live of a cached session and its history, refreshed on every use. */
        @WithDefault("24h")
        Duration ttl();

        /** How long one Redis call may take before the request falls back to PostgreSQL. */
        @WithDefault("250ms")
        Duration timeout();

        /** How often the cache generation is compared with PostgreSQL and a failed Redis is probed. */
        @WithDefault("1s")
        Duration checkEvery();

        /** Sessions with more messages than this are served from PostgreSQL only. */
        @WithDefault("5000")
        int maxMessages();

        /** Sessions whose history is larger than this (JSON bytes) are served from PostgreSQL only. */
        @WithDefault("16777216")
        long maxSessionBytes();
    }

    interface Database {
        /** Upper bound on one database unit of work; past it the request answers 503. */
        @WithDefault("5s")
        Duration timeout();
    }

    interface Files {
        /** Where the local blob store keeps blobs and in-flight uploads (a volume in production). */
        @WithDefault("data/files")
        String dir();

        /** Largest upload in bytes; beyond it 413 and nothing is kept. */
        @WithDefault("52428800")
        long maxBytes();

        /** {@code local} (the directory above) or {@code s3} (S3-compatible object storage). */
        @WithDefault("local")
        String store();

        S3 s3();

        interface S3 {
            /** Bucket of the S3 store; endpoint, region, credentials and path style are quarkus.s3.* settings. */
            @WithDefault("exai-store")
            String bucket();

            /** Key prefix of blobs inside the bucket. */
            @WithDefault("blobs/")
            String prefix();
        }
    }

    interface Providers {
        /** Bound on one provider call (upload or text fetch). */
        @WithDefault("60s")
        Duration timeout();

        /** Retries of a provider call answered 429 or 5xx, or not answered; Retry-After is honoured up to 30 s. */
        @WithDefault("3")
        int retries();

        /** First back-off between retries; it doubles each time. */
        @WithDefault("500ms")
        Duration backoff();

        Provider kimi();

        Provider glm();

        interface Provider {
            /** Base URL of the provider's OpenAI-style API (files live under {url}/files). */
            Optional<String> url();

            /** The provider API key sent as Authorization: Bearer. */
            Optional<String> apiKey();

            /** Largest file the provider accepts; larger ones are refused before any upload. */
            @WithDefault("52428800")
            long maxBytes();
        }
    }

    interface Perf {
        /** How often the rollup and retention job runs (cron-free interval). */
        @WithDefault("1m")
        String rollupEvery();

        /** Raw samples are kept this long (whole days, and only once rolled up); older samples are refused. */
        @WithDefault("7d")
        Duration rawRetention();

        /** Hourly aggregates are kept this long. */
        @WithDefault("90d")
        Duration hourlyRetention();

        /** Daily aggregates are kept this long. */
        @WithDefault("730d")
        Duration dailyRetention();

        /** Keys left out of {@code params} before hashing, at any depth. */
        @WithDefault("continuation_id,request_id,timestamp")
        List<String> volatileKeys();

        /** How far in the future a sample's {@code at} may be (clock skew). */
        @WithDefault("1h")
        Duration maxFuture();
    }

    interface Sessions {
        /** Largest {@code ttl_seconds} a session may ask for. */
        @WithDefault("31536000")
        long maxTtlSeconds();
    }

    /** Streamed answers (docs/API.md, "Streamed answers"). */
    interface Streams {
        /** An answer that receives nothing for this long becomes incomplete (EXAI_STORE_STREAMS_IDLE_SECONDS). */
        @WithDefault("300")
        long idleSeconds();

        /** How often the idle answers are looked for. */
        @WithDefault("15s")
        Duration idleCheckEvery();
    }
}
