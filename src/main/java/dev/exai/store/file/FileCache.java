package dev.exai.store.file;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.RedisCalls;
import dev.exai.store.common.RedisCalls.Script;
import dev.exai.store.common.StoreConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * File metadata in Redis, one hash per file keyed {@code {tenant:file:id}}. A file's bytes never change and
 * providers are only ever added, so the number of providers orders versions of the metadata: a write lands only
 * if it knows at least as many providers as the cached one, and a stale re-warm can never hide a provider.
 */
@ApplicationScoped
public class FileCache {

    /** KEYS: the file's key in each generation written. ARGV: ttl, version, json. */
    private static final Script WRITE = Script.of("""
            for _, key in ipairs(KEYS) do
              if tonumber(ARGV[2]) >= tonumber(redis.call('HGET', key, 'ver') or '-1') then
                redis.call('HSET', key, 'ver', ARGV[2], 'file', ARGV[3])
              end
              redis.call('EXPIRE', key, ARGV[1])
            end
            return 1
            """);

    private final RedisCalls redis;
    private final ObjectMapper json;
    private final String ttlSeconds;

    public FileCache(RedisCalls redis, ObjectMapper json, StoreConfig config) {
        this.redis = redis;
        this.json = json;
        this.ttlSeconds = Long.toString(config.cache().ttl().toSeconds());
    }

    /** The cached metadata JSON, or null. Never fails. */
    Uni<String> read(String tenant, UUID id) {
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().nullItem();
        }
        return redis.command("HGET", key(prefix, tenant, id), "file")
                .map(reply -> reply == null ? null : reply.toString())
                .onFailure().recoverWithNull();
    }

    Uni<Void> write(String tenant, FileView file) {
        UUID id = UUID.fromString(file.id());
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.eval(WRITE, prefixes.stream().map(p -> key(p, tenant, id)).toList(),
                                List.of(ttl(file), Integer.toString(file.providers().size()), toJson(file)))
                        .replaceWithVoid().onFailure().recoverWithNull());
    }

    /** The cache's TTL, or less for a file that expires sooner: the cache never serves an expired file. */
    private String ttl(FileView file) {
        if (file.expiresAt() == null) {
            return ttlSeconds;
        }
        long left = Duration.between(Instant.now(), Instant.parse(file.expiresAt())).toSeconds();
        return Long.toString(Math.max(0, Math.min(left, Long.parseLong(ttlSeconds)))); // EXPIRE 0 drops the key
    }

    Uni<Void> evict(String tenant, UUID id) {
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.command("DEL", prefixes.stream().map(p -> key(p, tenant, id)).toArray(String[]::new))
                        .replaceWithVoid().onFailure().recoverWithNull());
    }

    String toJson(FileView file) {
        try {
            return json.writeValueAsString(file);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a file", e);
        }
    }

    private static String key(String prefix, String tenant, UUID id) {
        return prefix + "{" + tenant + ":file:" + id + "}";
    }
}
