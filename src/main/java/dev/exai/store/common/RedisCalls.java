package dev.exai.store.common;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Redis as the caches use it: every call bounded by {@code exai-store.cache.timeout}, every failure counted and
 * reported to {@link CacheGeneration} (which retires the keys it may have left stale), Lua scripts sent by SHA1.
 */
@ApplicationScoped
public class RedisCalls {

    private final ReactiveRedisDataSource redis;
    private final CacheGeneration generation;
    private final Duration timeout;
    private final Counter fallbacks;
    private final Counter errors;

    public RedisCalls(ReactiveRedisDataSource redis, CacheGeneration generation, StoreConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.generation = generation;
        this.timeout = config.cache().timeout();
        this.fallbacks = Counter.builder("exai.store.cache.fallbacks")
                .description("Reads and writes that skipped Redis because it failed or is recovering").register(metrics);
        this.errors = Counter.builder("exai.store.redis.errors").description("Redis calls that failed or timed out").register(metrics);
    }

    /** The key prefix to read now, or null when Redis must not be read (the call is counted as a fallback). */
    public String prefix() {
        long gen = generation.current();
        if (gen == 0) {
            fallbacks.increment();
            return null;
        }
        return generation.prefix(gen);
    }

    /** The key prefixes a write must reach (see {@link CacheGeneration#writePrefixes()}); empty when Redis must not be written. */
    public Uni<List<String>> writePrefixes() {
        return generation.writePrefixes().invoke(prefixes -> {
            if (prefixes.isEmpty()) {
                fallbacks.increment();
            }
        });
    }

    /** Runs a script; on a server that does not know it yet, sends its source. */
    public Uni<Response> eval(Script script, List<String> keys, List<String> args) {
        String[] evalsha = new String[2 + keys.size() + args.size()];
        evalsha[0] = script.sha();
        evalsha[1] = Integer.toString(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            evalsha[2 + i] = keys.get(i);
        }
        for (int i = 0; i < args.size(); i++) {
            evalsha[2 + keys.size() + i] = args.get(i);
        }
        return guard(redis.execute("EVALSHA", evalsha)
                .onFailure(e -> e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT"))
                .recoverWithUni(() -> {
                    String[] eval = evalsha.clone();
                    eval[0] = script.source();
                    return redis.execute("EVAL", eval);
                }));
    }

    public Uni<Response> command(String command, String... args) {
        return guard(redis.execute(command, args));
    }

    private Uni<Response> guard(Uni<Response> call) {
        return call.ifNoItem().after(timeout).fail()
                .onFailure().invoke(e -> {
                    errors.increment();
                    fallbacks.increment();
                    generation.redisFailed(e);
                });
    }

    /** A Lua script with its SHA1. */
    public record Script(String source, String sha) {
        public static Script of(String source) {
            try {
                return new Script(source, HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8))));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
