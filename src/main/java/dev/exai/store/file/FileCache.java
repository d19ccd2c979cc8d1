package dev.exai.store.file;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.RedisCalls;
import dev.exai.store.common.RedisCalls.Script;
import dev.exai.store.common.StoreConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * File metadata in Redis, one hash per file keyed {@code {tenant:file:id}}. A file's bytes never change and
 * providers are only ever added, so the number of providers orders versions of the metadata: a write lands only
 * if it knows at least as many providers as the cached one, and a stale re-warm can never hide a provider.
 */
@ApplicationScoped
public class FileCache {

    /** ARGV: ttl, version, json. */
    private static final Script WRITE = Script.of("""
            if tonumber(ARGV[2]) >= tonumber(redis.call('HGET', KEYS[1], 'ver') or '-1') then
              redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'file', ARGV[3])
            end
            redis.call('EXPIRE', KEYS[1], ARGV[1])
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
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().voidItem();
        }
        return redis.eval(WRITE, List.of(key(prefix, tenant, UUID.fromString(file.id()))),
                        List.of(ttlSeconds, Integer.toString(file.providers().size()), toJson(file)))
                .replaceWithVoid().onFailure().recoverWithNull();
    }

    Uni<Void> evict(String tenant, UUID id) {
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().voidItem();
        }
        return redis.command("DEL", key(prefix, tenant, id)).replaceWithVoid().onFailure().recoverWithNull();
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
