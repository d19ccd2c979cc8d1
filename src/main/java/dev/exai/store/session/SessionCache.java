package dev.exai.store.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.RedisCalls;
import dev.exai.store.common.RedisCalls.Script;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.security.Cipher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Sessions and their histories in Redis, the fast cache in front of PostgreSQL.
 *
 * <p>Layout, per session, all keys hash-tagged on {@code {tenant:continuation_id}} so they share a Redis
 * Cluster slot and one script can touch both:
 * <ul>
 *   <li>{@code exai:<store>:<gen>:{t:cid}:meta}: a hash with {@code count} (highest message count written), {@code ver}
 *       (session row version), {@code session} (the session's JSON) and {@code exp} (expiry, epoch ms or empty);</li>
 *   <li>{@code exai:<store>:<gen>:{t:cid}:msgs}: a sorted set of message JSON scored by {@code seq};</li>
 *   <li>{@code exai:<store>:<gen>:{t:cid}:tok}: a sorted set of zero-padded seqs scored by the running token sum
 *       through that seq, so a context read finds where a token budget starts with one range query;</li>
 *   <li>{@code exai:<store>:<gen>:{t:cid}:fix}: a hash of the messages changed after they were written (metadata
 *       patched, or redacted): seq to the newest JSON, and {@code v<seq>} to its edit count;</li>
 *   <li>{@code exai:<store>:<gen>:{t:cid}:sums} and {@code :sumc}: the session's live summaries, for context reads
 *       with summaries ({@link SessionSummaryCache}).</li>
 * </ul>
 * A streamed answer is not cached while it streams (so its session's reads go to PostgreSQL); its completion puts it in
 * and rewrites the running sums it moved ({@code meta}'s {@code shift}: see {@link #WRITE}).
 * {@code meta}'s {@code sid} is the session's row id: a write for another row with the same continuation_id (the id
 * taken again after the session expired) first drops every key of the old one.
 * Why this shape: appends that commit in one order can reach Redis in another, and a reader may re-warm the
 * cache from PostgreSQL while appends land. Adding to a sorted set by seq is order-free and idempotent, and
 * {@code count} only grows, so the history is complete exactly when the set holds {@code count} members; a read
 * serves from Redis only then and otherwise goes to PostgreSQL. Writes that fail are handled by
 * {@link dev.exai.store.common.CacheGeneration}, which retires every key of the failed generation. Each operation is one script,
 * one round trip, bounded by {@code exai-store.cache.timeout}; no Redis failure fails a request.
 */
@ApplicationScoped
public class SessionCache {

    /**
     * The start of the write scripts, for each generation's keys: the keys of another row with the same id go, then
     * {@code meta} takes the session (ARGV: ttl, version, session json, expiry, count, session row id) when its version
     * is newer, and the higher count.
     */
    private static final String SESSION_META = """
            for k = 1, #KEYS, 6 do
              local meta, msgs, tok, fix = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
              local sid = redis.call('HGET', meta, 'sid')
              if sid and sid ~= ARGV[6] then
                redis.call('DEL', meta, msgs, tok, fix, KEYS[k + 4], KEYS[k + 5])
              end
              redis.call('HSET', meta, 'sid', ARGV[6])
              if tonumber(ARGV[2]) > tonumber(redis.call('HGET', meta, 'ver') or '-1') then
                redis.call('HSET', meta, 'ver', ARGV[2], 'session', ARGV[3], 'exp', ARGV[4])
              end
              local known = redis.call('HGET', meta, 'count')
              if not known or tonumber(ARGV[5]) > tonumber(known) then
                redis.call('HSET', meta, 'count', ARGV[5])
              end
            """;

    /**
     * KEYS: a session's keys (meta/msgs/tok/fix/sums/sumc), once per generation written. ARGV: ttl, version, session
     * json, expiry, count, session row id, then (seq, message json, padded seq, running token sum) per message. Keys of
     * another row with the same id go first. A seq already in the set is left as it is, and a seq with a newer form in
     * {@code fix} (patched or redacted) gets that form: a writer that read PostgreSQL before the change never brings
     * the old form back. Running sums are written only by a writer whose session version is at least {@code shift}, the
     * version of the newest completion of a streamed answer, which moved the sums after it: an older writer's sums may be
     * from before.
     */
    private static final Script WRITE = Script.of(SESSION_META + """
              local fixed = redis.call('EXISTS', fix) == 1
              -- running sums read before a streamed answer's completion moved them are not written back
              local current = tonumber(ARGV[2]) >= tonumber(redis.call('HGET', meta, 'shift') or '-1')
              for i = 7, #ARGV, 4 do
                if redis.call('ZCOUNT', msgs, ARGV[i], ARGV[i]) == 0 then
                  local form = fixed and redis.call('HGET', fix, ARGV[i]) or ARGV[i + 1]
                  redis.call('ZADD', msgs, ARGV[i], form)
                end
                if current then redis.call('ZADD', tok, ARGV[i + 3], ARGV[i + 2]) end
              end
              redis.call('EXPIRE', meta, ARGV[1])
              redis.call('EXPIRE', msgs, ARGV[1])
              redis.call('EXPIRE', tok, ARGV[1])
            end
            return 1
            """);

    /**
     * A message's new form (metadata patched, or redacted). KEYS: a session's keys per generation; ARGV: ttl, seq, edits, json.
     * The form with the most edits wins, whatever order the scripts arrive in; it replaces the cached member when there
     * is one and is kept in {@code fix} for writers still carrying the old form.
     */
    private static final Script REPLACE = Script.of("""
            for k = 1, #KEYS, 6 do
              local msgs, fix = KEYS[k + 1], KEYS[k + 3]
              if tonumber(ARGV[3]) > tonumber(redis.call('HGET', fix, 'v' .. ARGV[2]) or '-1') then
                redis.call('HSET', fix, ARGV[2], ARGV[4], 'v' .. ARGV[2], ARGV[3])
                if redis.call('ZCOUNT', msgs, ARGV[2], ARGV[2]) > 0 then
                  redis.call('ZREMRANGEBYSCORE', msgs, ARGV[2], ARGV[2])
                  redis.call('ZADD', msgs, ARGV[2], ARGV[4])
                end
              end
              redis.call('EXPIRE', fix, ARGV[1])
            end
            return 1
            """);

    /**
     * A streamed answer finished. KEYS: a session's keys per generation; ARGV: ttl, version, session json, expiry, count,
     * session row id, seq, edits, message json, then (padded seq, running token sum) for it and every later message.
     * Records {@code shift} (the completion's version), puts the finished message in (a form in {@code fix} with more
     * edits stays), and writes the moved sums unless a later completion already wrote newer ones.
     */
    private static final Script FINISH = Script.of(SESSION_META + """
              local shift = tonumber(redis.call('HGET', meta, 'shift') or '-1')
              local form = ARGV[9]
              if tonumber(redis.call('HGET', fix, 'v' .. ARGV[7]) or '-1') > tonumber(ARGV[8]) then
                form = redis.call('HGET', fix, ARGV[7])
              end
              redis.call('ZREMRANGEBYSCORE', msgs, ARGV[7], ARGV[7])
              redis.call('ZADD', msgs, ARGV[7], form)
              if tonumber(ARGV[2]) > shift then
                redis.call('HSET', meta, 'shift', ARGV[2])
                for i = 10, #ARGV, 2 do
                  redis.call('ZADD', tok, ARGV[i + 1], ARGV[i])
                end
              end
              redis.call('EXPIRE', meta, ARGV[1])
              redis.call('EXPIRE', msgs, ARGV[1])
              redis.call('EXPIRE', tok, ARGV[1])
            end
            return 1
            """);

    /**
     * The start of the context scripts: answers nil unless the cache holds the session's whole history (KEYS: meta,
     * msgs, tok), renews it, and sets {@code meta}, {@code count} and {@code upto} (ARGV[3], 0 or past the end: the last).
     */
    static final String WHOLE_HISTORY = """
            local meta = redis.call('HMGET', KEYS[1], 'count', 'session', 'exp')
            if not meta[1] or not meta[2] then return false end
            local count = tonumber(meta[1])
            if redis.call('ZCARD', KEYS[2]) ~= count or redis.call('ZCARD', KEYS[3]) ~= count then return false end
            redis.call('EXPIRE', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[2], ARGV[1])
            redis.call('EXPIRE', KEYS[3], ARGV[1])
            local upto = tonumber(ARGV[3])
            if upto == 0 or upto > count then upto = count end
            """;

    /**
     * The newest messages up to seq {@code upto} whose token counts fit a budget. ARGV: ttl, budget, upto (0: the
     * last), whether the newest must be kept even when it alone exceeds the budget. Answers nil when the cache does not
     * hold the whole history, else {count, session json, expiry, messages k..upto, tokens through upto, tokens through
     * k - 1, k, upto}.
     */
    private static final Script CONTEXT = Script.of(WHOLE_HISTORY + """
            if upto == 0 then return {meta[1], meta[2], meta[3], {}, '0', '0', 1, 0} end
            local through = tonumber(redis.call('ZSCORE', KEYS[3], string.format('%012d', upto)))
            local budget = tonumber(ARGV[2])
            local k = 1
            if through > budget then
              local first = redis.call('ZRANGEBYSCORE', KEYS[3], through - budget, '+inf', 'LIMIT', 0, 1)
              k = tonumber(first[1]) + 1
            end
            if k > upto and ARGV[4] == '1' then k = upto end
            local before = 0
            if k > 1 then before = tonumber(redis.call('ZSCORE', KEYS[3], string.format('%012d', k - 1))) end
            local items = {}
            if k <= upto then items = redis.call('ZRANGEBYSCORE', KEYS[2], k, upto) end
            return {meta[1], meta[2], meta[3], items, tostring(through), tostring(before), k, upto}
            """);

    /** ARGV: ttl, then a rank range (start, stop) or nothing for the session alone. Nil when incomplete. */
    private static final Script READ = Script.of("""
            local meta = redis.call('HMGET', KEYS[1], 'count', 'session', 'exp')
            if not meta[1] or not meta[2] then return false end
            if redis.call('ZCARD', KEYS[2]) ~= tonumber(meta[1]) then return false end
            local items = {}
            if #ARGV > 1 then items = redis.call('ZRANGE', KEYS[2], ARGV[2], ARGV[3]) end
            redis.call('EXPIRE', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[2], ARGV[1])
            return {meta[1], meta[2], meta[3], items}
            """);

    private final RedisCalls redis;
    private final ObjectMapper json;
    /** Seals what Redis keeps of sessions and messages (encryption on) and opens it when read. */
    private final Cipher cipher;
    private final String ttlSeconds;
    private final int maxMessages;
    private final long maxSessionBytes;
    private final Counter hits;
    private final Counter misses;

    public SessionCache(RedisCalls redis, ObjectMapper json, Cipher cipher, StoreConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.cipher = cipher;
        this.json = json;
        this.ttlSeconds = Long.toString(config.cache().ttl().toSeconds());
        this.maxMessages = config.cache().maxMessages();
        this.maxSessionBytes = config.cache().maxSessionBytes();
        this.hits = Counter.builder("exai.store.cache.hits").description("Reads answered from Redis").register(metrics);
        this.misses = Counter.builder("exai.store.cache.misses").description("Reads Redis could not answer completely").register(metrics);
    }

    /** A cached session with the requested slice of its history (message JSON in seq order as stored). */
    public record Cached(int count, String sessionJson, Long expiresAtMillis, List<String> messages) {

        /** Whether the session had expired by now (the cache keeps it until its own TTL). */
        boolean expired() {
            return expiresAtMillis != null && expiresAtMillis <= System.currentTimeMillis();
        }
    }

    /**
     * Reads the session and the messages at ranks {@code start..stop} (negative ranks count from the end),
     * or only the session when {@code start} is null. Null when Redis cannot answer completely.
     */
    Uni<Cached> read(String tenant, String cid, Long start, Long stop) {
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().nullItem();
        }
        List<String> args = new ArrayList<>(3);
        args.add(ttlSeconds);
        if (start != null) {
            args.add(Long.toString(start));
            args.add(Long.toString(stop));
        }
        return redis.eval(READ, keys(prefix, tenant, cid), args)
                .map(reply -> counted(reply) == null ? null
                        : new Cached(reply.get(0).toInteger(), opened(reply.get(1)), expiry(reply), openedList(reply.get(3))))
                .onFailure().recoverWithItem(e -> null);
    }

    /**
     * Records a session's new state and the messages it gained (possibly none), {@code addedJson} being their JSON as
     * {@link #toJson} wrote it for the answer. Never fails.
     */
    Uni<Void> write(String tenant, String cid, StoredSession session, List<Message> added, List<String> addedJson) {
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.eval(WRITE, keys(prefixes, tenant, cid), writeArgs(tenant, session, added, addedJson))
                        .replaceWithVoid().onFailure().recoverWithNull());
    }

    private List<String> writeArgs(String tenant, StoredSession session, List<Message> added, List<String> addedJson) {
        boolean withMessages = session.view().messageCount() <= maxMessages;
        List<String> args = new ArrayList<>(6 + 4 * added.size());
        args.add(ttlSeconds);
        args.add(Long.toString(session.version()));
        args.add(cipher.seal(tenant, toJson(session.view())));
        args.add(session.expiresAt() == null ? "" : Long.toString(session.expiresAt().toInstant().toEpochMilli()));
        args.add(Integer.toString(session.view().messageCount()));
        args.add(session.id().toString());
        long bytes = 0;
        for (int i = 0; i < added.size(); i++) {
            if (!withMessages || bytes > maxSessionBytes) {
                break;
            }
            Message m = added.get(i);
            if (m.streaming()) {
                continue; // its text grows: reads of its session go to PostgreSQL until it finishes
            }
            String text = addedJson.get(i);
            bytes += text.length();
            args.add(Long.toString(m.seq()));
            args.add(cipher.seal(tenant, text));
            args.add(paddedSeq(m.seq()));
            args.add(Long.toString(m.tokensThrough()));
        }
        return args;
    }

    /** Records a finished streamed answer and the running sums it moved. Never fails; a failure retires the generation instead. */
    Uni<Void> finish(String tenant, String cid, StreamRows.Finished finished) {
        StoredSession session = finished.session();
        Message m = finished.message();
        List<String> args = new ArrayList<>(9 + 2 * finished.seqs().size());
        args.add(ttlSeconds);
        args.add(Long.toString(session.version()));
        args.add(cipher.seal(tenant, toJson(session.view())));
        args.add(session.expiresAt() == null ? "" : Long.toString(session.expiresAt().toInstant().toEpochMilli()));
        args.add(Integer.toString(session.view().messageCount()));
        args.add(session.id().toString());
        args.add(Long.toString(m.seq()));
        args.add(Integer.toString(m.edits()));
        args.add(cipher.seal(tenant, toJson(m)));
        for (int i = 0; i < finished.seqs().size(); i++) {
            args.add(paddedSeq(finished.seqs().get(i)));
            args.add(Long.toString(finished.throughs().get(i)));
        }
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.eval(FINISH, keys(prefixes, tenant, cid), args).replaceWithVoid().onFailure().recoverWithNull());
    }

    /** The newest messages through seq {@code upto} (0: the last) that fit {@code budget} tokens; null when not cached whole. */
    Uni<CachedContext> context(String tenant, String cid, long budget, long upto, boolean keepNewest) {
        String prefix = redis.prefix();
        if (prefix == null) {
            return Uni.createFrom().nullItem();
        }
        return redis.eval(CONTEXT, keys(prefix, tenant, cid),
                        List.of(ttlSeconds, Long.toString(budget), Long.toString(upto), keepNewest ? "1" : "0"))
                .map(reply -> counted(reply) == null ? null
                        : new CachedContext(reply.get(0).toInteger(), opened(reply.get(1)), expiry(reply), openedList(reply.get(3)),
                                Long.parseLong(reply.get(4).toString()), Long.parseLong(reply.get(5).toString()),
                                reply.get(6).toLong(), reply.get(7).toLong()))
                .onFailure().recoverWithItem(e -> null);
    }

    /** A context slice from the cache: messages {@code first..} through the asked seq, and the token sums around them. */
    record CachedContext(int count, String sessionJson, Long expiresAtMillis, List<String> messages, long tokensThrough,
                         long tokensBefore, long first, long upto) {
    }

    /** Counts a script's answer as a hit or a miss (nil: the cache could not answer completely); answers it as is. */
    Response counted(Response reply) {
        (reply == null ? misses : hits).increment();
        return reply;
    }

    /** The session's expiry from a read script's answer ({count, session, expiry, ...}): epoch ms, or null for none. */
    static Long expiry(Response reply) {
        String exp = reply.get(2) == null ? "" : reply.get(2).toString();
        return exp.isEmpty() ? null : Long.valueOf(exp);
    }

    /** A script's list of cached JSON values, opened ({@link Cipher#open}). */
    List<String> openedList(Response items) {
        List<String> values = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            values.add(cipher.open(items.get(i).toString()));
        }
        return values;
    }

    /** A value as Redis is to keep it: sealed for the tenant with encryption on. */
    String sealed(String tenant, String value) {
        return cipher.seal(tenant, value);
    }

    /** A cached value, opened. */
    String opened(Response item) {
        return cipher.open(item.toString());
    }

    private static String paddedSeq(long seq) {
        return String.format("%012d", seq);
    }

    /** Puts a message's patched or redacted form in place of the one cached. Never fails; a failure retires the generation instead. */
    Uni<Void> replace(String tenant, String cid, Message message) {
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.eval(REPLACE, keys(prefixes, tenant, cid),
                                List.of(ttlSeconds, Long.toString(message.seq()), Integer.toString(message.edits()),
                                        cipher.seal(tenant, toJson(message))))
                        .replaceWithVoid().onFailure().recoverWithNull());
    }

    /** Forgets a session (deleted). Never fails; a failure retires the generation instead. */
    Uni<Void> evict(String tenant, String cid) {
        return redis.writePrefixes().chain(prefixes -> prefixes.isEmpty()
                ? Uni.createFrom().voidItem()
                : redis.command("DEL", keys(prefixes, tenant, cid).toArray(String[]::new)).replaceWithVoid().onFailure().recoverWithNull());
    }

    int maxMessages() {
        return maxMessages;
    }

    String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    static List<String> keys(String prefix, String tenant, String cid) {
        String base = prefix + "{" + tenant + ":" + cid + "}:";
        return List.of(base + "meta", base + "msgs", base + "tok", base + "fix", base + "sums", base + "sumc");
    }

    private static List<String> keys(List<String> prefixes, String tenant, String cid) {
        List<String> keys = new ArrayList<>(6 * prefixes.size());
        prefixes.forEach(prefix -> keys.addAll(keys(prefix, tenant, cid)));
        return keys;
    }
}
