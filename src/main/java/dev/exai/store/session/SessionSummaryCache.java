package dev.exai.store.session;

import dev.exai.store.common.RedisCalls;
import dev.exai.store.common.RedisCalls.Script;
import dev.exai.store.common.StoreConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's live summaries in Redis, beside its messages ({@link SessionCache}'s {@code sums} and {@code sumc}
 * keys), so that a context read with summaries is one call there, like the plain one. Filled from PostgreSQL by the
 * first read after a change, dropped by every change once it commits; a fill never brings back a list read before a
 * change (a version moved by each drop).
 */
@ApplicationScoped
class SessionSummaryCache {

    /**
     * The context read with the session's own summaries, in one call. KEYS: meta, msgs, tok, sums, sumc. ARGV: ttl,
     * budget, upto (0: the last), the highest through_seq a summary may have (0: any). {@code sums} holds the live
     * summaries scored by through_seq, each member {@code <created µs>|<id>|<token count>|<running token sum through
     * it>}, and {@code sumc} their content by id, {@code loaded} once filled and {@code ver}, moved by each change.
     * Nil when the messages are not cached whole; else {count, session json, expiry, messages k..upto, tokens through
     * upto, tokens through k - 1, k, upto, state, details}, the state being {@code fits} (the session's own messages fit:
     * all of them), {@code none} (no summary fits: the plain slice), {@code summary} (details: id, through_seq,
     * token count, tokens after it, content; the messages after it) or {@code unknown} (summaries not cached: the
     * plain slice; details: the version to fill them at).
     */
    private static final Script CONTEXT_SUMMARY = Script.of(SessionCache.WHOLE_HISTORY + """
            local through = 0
            if upto > 0 then through = tonumber(redis.call('ZSCORE', KEYS[3], string.format('%012d', upto))) end
            local budget = tonumber(ARGV[2])
            local state, details, k = 'fits', {}, 1
            if through > budget then
              k = nil
              local sums = redis.call('HMGET', KEYS[5], 'loaded', 'ver')
              if not sums[1] then
                state, details = 'unknown', {sums[2] or '0'}
              else
                state = 'none'
                redis.call('EXPIRE', KEYS[4], ARGV[1])
                redis.call('EXPIRE', KEYS[5], ARGV[1])
                local highest = tonumber(ARGV[4])
                if highest == 0 or highest > upto then highest = upto end
                local live = redis.call('ZREVRANGEBYSCORE', KEYS[4], highest, '-inf', 'WITHSCORES')
                for i = 1, #live, 2 do
                  local id, tokens, sum = string.match(live[i], '^%d+|([^|]+)|(%d+)|(%d+)$')
                  local after = through - tonumber(sum)
                  if after > budget then break end
                  if tonumber(tokens) + after <= budget then
                    state, details = 'summary', {id, live[i + 1], tokens, tostring(after), redis.call('HGET', KEYS[5], id)}
                    k = tonumber(live[i + 1]) + 1
                    break
                  end
                end
              end
              if not k then
                local first = redis.call('ZRANGEBYSCORE', KEYS[3], through - budget, '+inf', 'LIMIT', 0, 1)
                k = math.min(tonumber(first[1]) + 1, upto)
              end
            end
            local before = 0
            if k > 1 then before = tonumber(redis.call('ZSCORE', KEYS[3], string.format('%012d', k - 1))) end
            local items = {}
            if k <= upto then items = redis.call('ZRANGEBYSCORE', KEYS[2], k, upto) end
            return {meta[1], meta[2], meta[3], items, tostring(through), tostring(before), k, upto, state, details}
            """);

    /**
     * Fills a session's cached summaries, unless they are filled already or changed since {@code ver} was read (a
     * reader that read PostgreSQL before a change never brings the old list back). KEYS: sums, sumc. ARGV: ttl, ver,
     * then (through_seq, member, id, content) per live summary.
     */
    private static final Script FILL_SUMMARIES = Script.of("""
            if redis.call('HEXISTS', KEYS[2], 'loaded') == 1 then return 0 end
            if (redis.call('HGET', KEYS[2], 'ver') or '0') ~= ARGV[2] then return 0 end
            redis.call('DEL', KEYS[1])
            for i = 3, #ARGV, 4 do
              redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
              redis.call('HSET', KEYS[2], ARGV[i + 2], ARGV[i + 3])
            end
            redis.call('HSET', KEYS[2], 'loaded', '1')
            redis.call('EXPIRE', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[2], ARGV[1])
            return 1
            """);

    /** Drops a session's cached summaries and moves their version. KEYS: sums/sumc pairs, one per generation. ARGV: ttl. */
    private static final Script FORGET_SUMMARIES = Script.of("""
            for k = 1, #KEYS, 2 do
              local ver = redis.call('HINCRBY', KEYS[k + 1], 'ver', 1)
              redis.call('DEL', KEYS[k], KEYS[k + 1])
              redis.call('HSET', KEYS[k + 1], 'ver', ver)
              redis.call('EXPIRE', KEYS[k + 1], ARGV[1])
            end
            return 1
            """);

    private final RedisCalls redis;
    private final SessionCache messages;
    private final String ttlSeconds;
    private final long maxSessionBytes;

    SessionSummaryCache(RedisCalls redis, SessionCache messages, StoreConfig config) {
        this.redis = redis;
        this.messages = messages;
        this.ttlSeconds = Long.toString(config.cache().ttl().toSeconds());
        this.maxSessionBytes = config.cache().maxSessionBytes();
    }

    /** A context slice read with the session's own summaries (see {@link #CONTEXT_SUMMARY}). */
    record SummaryContext(SessionCache.CachedContext slice, String state, String version, SummaryHook.Candidate summary) {
    }

    /**
     * The context read with the session's own summaries through {@code highest} (0: any), in one call; null when the
     * messages are not cached whole.
     */
    Uni<SummaryContext> context(String tenant, String cid, long budget, long upto, long highest) {
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().nullItem();
        }
        List<String> keys = SessionCache.keys(prefix, tenant, cid);
        return redis.eval(CONTEXT_SUMMARY, List.of(keys.get(0), keys.get(1), keys.get(2), keys.get(4), keys.get(5)),
                        List.of(ttlSeconds, Long.toString(budget), Long.toString(upto), Long.toString(highest)))
                .map(reply -> {
                    if (messages.counted(reply) == null) {
                        return null;
                    }
                    SessionCache.CachedContext slice = new SessionCache.CachedContext(reply.get(0).toInteger(), messages.opened(reply.get(1)),
                            SessionCache.expiry(reply), messages.openedList(reply.get(3)), Long.parseLong(reply.get(4).toString()),
                            Long.parseLong(reply.get(5).toString()), reply.get(6).toLong(), reply.get(7).toLong());
                    String state = reply.get(8).toString();
                    Response details = reply.get(9);
                    return switch (state) {
                        case "summary" -> new SummaryContext(slice, state, null, new SummaryHook.Candidate(details.get(0).toString(),
                                cid, Long.parseLong(details.get(1).toString()), messages.opened(details.get(4)),
                                Long.parseLong(details.get(2).toString()), Long.parseLong(details.get(3).toString())));
                        case "unknown" -> new SummaryContext(slice, state, details.get(0).toString(), null);
                        default -> new SummaryContext(slice, state, null, null);
                    };
                })
                .onFailure().recoverWithItem(e -> null);
    }

    /**
     * Fills the session's cached summaries with {@code live}, read from PostgreSQL after {@code version} was read from
     * the cache; left unfilled when their content exceeds the session's cache bound. Never fails.
     */
    Uni<Void> fill(String tenant, String cid, String version, List<SummaryHook.Live> live) {
        String prefix = redis.prefix();
        long bytes = live.stream().mapToLong(summary -> summary.content().length()).sum();
        if (prefix == null || bytes > maxSessionBytes) {
            return Uni.createFrom().voidItem();
        }
        List<String> keys = SessionCache.keys(prefix, tenant, cid);
        List<String> args = new ArrayList<>(2 + 4 * live.size());
        args.add(ttlSeconds);
        args.add(version);
        for (SummaryHook.Live summary : live) {
            args.add(Long.toString(summary.throughSeq()));
            args.add(String.format("%020d|%s|%d|%d", summary.createdAtMicros(), summary.id(), summary.tokenCount(), summary.tokensThrough()));
            args.add(summary.id());
            args.add(messages.sealed(tenant, summary.content()));
        }
        return redis.eval(FILL_SUMMARIES, List.of(keys.get(4), keys.get(5)), args).replaceWithVoid().onFailure().recoverWithNull();
    }

    /** Drops the session's cached summaries (one was written, deleted or made stale). Never fails; a failure retires the generation. */
    Uni<Void> forget(String tenant, String cid) {
        return redis.writePrefixes().chain(prefixes -> {
            if (prefixes.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            List<String> keys = new ArrayList<>(2 * prefixes.size());
            for (String prefix : prefixes) {
                List<String> all = SessionCache.keys(prefix, tenant, cid);
                keys.add(all.get(4));
                keys.add(all.get(5));
            }
            return redis.eval(FORGET_SUMMARIES, keys, List.of(ttlSeconds)).replaceWithVoid().onFailure().recoverWithNull();
        });
    }
}
