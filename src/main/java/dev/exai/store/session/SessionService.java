package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TenantLimits;
import dev.exai.store.common.Tokens;
import dev.exai.store.file.FileService;
import dev.exai.store.session.SessionStore.Appended;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * The conversation store's units of work: each writes PostgreSQL first (a 201 means committed) and then
 * the Redis cache; reads try Redis and fall back to PostgreSQL, re-warming the cache on the way.
 */
@ApplicationScoped
public class SessionService {

    /** How many ancestors a continuation may have. */
    static final int MAX_CHAIN_DEPTH = 20;
    /** How many imported messages one statement inserts. */
    private static final int IMPORT_PART = 1000;

    private final Database db;
    private final SessionStore store;
    private final SessionCache cache;
    private final Tokens tokens;
    private final FileService files;
    private final TenantLimits limits;
    /** Null when group commit is off ({@code exai-store.messages.group-commit=false}). */
    private final GroupCommit groupCommit;

    public SessionService(Database db, SessionStore store, SessionCache cache, Tokens tokens, FileService files,
                          TenantLimits limits, GroupCommit groupCommit, StoreConfig config) {
        this.db = db;
        this.groupCommit = config.messages().groupCommit() ? groupCommit : null;
        this.limits = limits;
        this.store = store;
        this.cache = cache;
        this.tokens = tokens;
        this.files = files;
    }

    /** Creates a session; 409 when the id is taken by a live session. */
    public Uni<Session> create(String tenant, SessionInput input) {
        return db.inTransaction(conn -> store.deleteIfExpired(conn, tenant, input.continuationId())
                        .chain(() -> insert(conn, tenant, input, false)))
                .onItem().ifNull().failWith(() -> ProblemException.conflict(
                        "a session with continuation_id " + input.continuationId() + " already exists"))
                .call(created -> cache.write(tenant, input.continuationId(), created, List.of()))
                .map(StoredSession::view);
    }

    /** Gets or creates; the boolean tells whether it was created. */
    public Uni<Created> getOrCreate(String tenant, SessionInput input) {
        return db.inTransaction(conn -> getOrCreate(conn, tenant, input))
                .call(result -> result.created()
                        ? cache.write(tenant, input.continuationId(), result.session(), List.of())
                        : Uni.createFrom().voidItem())
                .map(result -> new Created(result.session().view(), result.created()));
    }

    private Uni<StoredCreated> getOrCreate(SqlConnection conn, String tenant, SessionInput input) {
        return store.deleteIfExpired(conn, tenant, input.continuationId())
                .chain(() -> store.find(conn, tenant, input.continuationId()))
                .chain(existing -> existing != null
                        ? Uni.createFrom().item(new StoredCreated(existing, false))
                        : insert(conn, tenant, input, false).chain(inserted -> inserted != null
                                ? Uni.createFrom().item(new StoredCreated(inserted, true))
                                // another request created it since: answer that one
                                : store.find(conn, tenant, input.continuationId()).map(found -> new StoredCreated(found, false))));
    }

    /**
     * Inserts a session, a continuation when the input names a parent: the parent must be the tenant's live session
     * (a 400 otherwise, or a 404 for a fork, whose parent is in the path), {@code parent_seq} at most its message count,
     * and the chain at most {@value #MAX_CHAIN_DEPTH} deep. Answers null when the id is taken.
     */
    private Uni<StoredSession> insert(SqlConnection conn, String tenant, SessionInput input, boolean fork) {
        if (input.parentContinuationId() == null) {
            return limits.roomForSession(conn, tenant).chain(() -> store.insert(conn, tenant, input, null, null));
        }
        return store.findToContinue(conn, tenant, input.parentContinuationId()).chain(parent -> {
            if (parent == null) {
                return Uni.createFrom().failure(fork
                        ? ProblemException.notFound("session " + input.parentContinuationId())
                        : ProblemException.badRequest("parent_continuation_id " + input.parentContinuationId() + " names no session"));
            }
            int count = parent.view().messageCount();
            Integer at = input.parentSeq() == null ? Integer.valueOf(count) : input.parentSeq();
            if (at > count) {
                return Uni.createFrom().failure(ProblemException.badRequest((fork ? "at_seq " : "parent_seq ") + at + " is past the last message of "
                        + input.parentContinuationId() + " (" + count + ")"));
            }
            if (parent.depth() + 1 > MAX_CHAIN_DEPTH) {
                return Uni.createFrom().failure(ProblemException.badRequest("a chain may have at most " + MAX_CHAIN_DEPTH
                        + " ancestors; " + input.parentContinuationId() + " already has " + parent.depth()));
            }
            return limits.roomForSession(conn, tenant).chain(() -> store.insert(conn, tenant, input, parent, at));
        });
    }

    /** Makes {@code input.continuationId()} a continuation of {@code parentCid} at {@code input.parentSeq()}: 201, 404, 409. */
    public Uni<Session> fork(String tenant, SessionInput input) {
        return db.inTransaction(conn -> store.deleteIfExpired(conn, tenant, input.continuationId())
                        .chain(() -> insert(conn, tenant, input, true)))
                .onItem().ifNull().failWith(() -> ProblemException.conflict(
                        "a session with continuation_id " + input.continuationId() + " already exists"))
                .call(created -> cache.write(tenant, input.continuationId(), created, List.of()))
                .map(StoredSession::view);
    }

    /** The session's JSON as served: from the cache verbatim, or serialized from PostgreSQL's row. */
    public Uni<String> getJson(String tenant, String cid) {
        return cache.read(tenant, cid, null, null)
                .chain(cached -> {
                    if (cached != null) {
                        return Uni.createFrom().item(expired(cached) ? null : cached.sessionJson());
                    }
                    return store.find(tenant, cid).map(found -> found == null ? null : cache.toJson(found.view()));
                })
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    public Uni<Page<Session>> list(String tenant, SessionStore.SessionFilters filters, int limit, String cursor) {
        return store.list(tenant, filters, limit, cursor);
    }

    /** Applies {@code change} to the locked row's (title, metadata, ttl) and stores the result. */
    public Uni<Session> patch(String tenant, String cid, UnaryOperator<SessionPatch> change) {
        return db.inTransaction(conn -> store.findForUpdate(conn, tenant, cid)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                        .chain(current -> {
                            SessionPatch patched = change.apply(new SessionPatch(current.view().title(), current.view().metadata(), null, true));
                            return store.update(conn, current.id(), patched.title(), patched.metadata(), patched.ttlSeconds(), patched.keepExpiry());
                        }))
                .call(updated -> cache.write(tenant, cid, updated, List.of()))
                .map(StoredSession::view);
    }

    /**
     * Deletes a session and its messages. A session that others continue answers 409 naming them, unless
     * {@code cascade}, which deletes the whole subtree of continuations with it.
     */
    public Uni<Void> delete(String tenant, String cid, boolean cascade) {
        return db.inTransaction(conn -> store.findForUpdate(conn, tenant, cid)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                        .chain(session -> store.children(conn, session.id()).chain(children -> {
                            if (children.isEmpty()) {
                                return store.delete(conn, session.id()).replaceWith(List.of(cid));
                            }
                            if (!cascade) {
                                return Uni.createFrom().failure(ProblemException.conflict("session " + cid + " is continued by "
                                        + String.join(", ", children) + "; delete those first, or delete with ?cascade=true"));
                            }
                            return store.deleteTree(conn, session.id());
                        })))
                .chain(deleted -> Uni.join().all(deleted.stream().map(id -> cache.evict(tenant, id)).toList()).andFailFast())
                .replaceWithVoid();
    }

    /** The live session to export, or a 404. */
    public Uni<StoredSession> exportable(String tenant, String cid) {
        return store.find(tenant, cid).onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    /**
     * The session's messages as they were when the export began (seq 1..message_count), read from PostgreSQL one part
     * at a time as the client takes them: memory stays flat whatever the length of the history.
     */
    public Multi<Message> exportMessages(StoredSession session) {
        long upto = session.view().messageCount();
        AtomicLong after = new AtomicLong();
        return Multi.createBy().repeating()
                .uni(() -> store.exportPart(session.id(), after.get(), upto)
                        .invoke(part -> part.forEach(m -> after.set(m.seq()))))
                .whilst(part -> !part.isEmpty() && after.get() < upto)
                .onItem().transformToIterable(part -> part);
    }

    /**
     * Creates a session from an export, all or nothing: the session, then its messages in parts, in one transaction.
     * With an idempotency key, a retry with the same body answers the session the first one made (replayed), another
     * body a 422. File references must be the tenant's files (a 400 naming the line).
     */
    public Uni<Imported> importSession(String tenant, SessionTransfer.Parsed parsed, String idempotencyKey, byte[] requestHash) {
        List<SessionTransfer.ImportedMessage> imported = parsed.messages();
        List<NewMessage> messages = imported.stream().map(SessionTransfer.ImportedMessage::message).toList();
        String cid = parsed.session().continuationId();
        return checkReferences(tenant, messages, i -> "line " + (i + 2))
                .chain(() -> counted(messages))
                .chain(counts -> db.inTransaction(conn -> {
                    Uni<Boolean> claimed = idempotencyKey == null ? Uni.createFrom().item(true)
                            : store.claimImportKey(conn, tenant, idempotencyKey, requestHash, cid);
                    return claimed.chain(owned -> owned
                            ? insertImported(conn, tenant, parsed, counts).map(session -> new Imported(session.view(), false))
                            : replayImport(conn, tenant, idempotencyKey, requestHash));
                }))
                // the first read re-warms the cache from PostgreSQL; keys left by an earlier session of that id go
                .call(result -> result.replayed() ? Uni.createFrom().voidItem() : cache.evict(tenant, cid));
    }

    private Uni<StoredSession> insertImported(SqlConnection conn, String tenant, SessionTransfer.Parsed parsed, int[][] counts) {
        return store.deleteIfExpired(conn, tenant, parsed.session().continuationId())
                .chain(() -> insert(conn, tenant, parsed.session(), false))
                .onItem().ifNull().failWith(() -> ProblemException.conflict(
                        "a session with continuation_id " + parsed.session().continuationId() + " already exists"))
                .chain(session -> {
                    List<SessionTransfer.ImportedMessage> all = parsed.messages();
                    Uni<Void> written = Uni.createFrom().voidItem();
                    long tokensBefore = 0;
                    long totalBefore = 0;
                    for (int from = 0; from < all.size(); from += IMPORT_PART) {
                        int to = Math.min(all.size(), from + IMPORT_PART);
                        List<SessionTransfer.ImportedMessage> part = all.subList(from, to);
                        int[] tokens = Arrays.copyOfRange(counts[0], from, to);
                        int[] reasoning = Arrays.copyOfRange(counts[1], from, to);
                        long firstSeq = from + 1;
                        long tb = tokensBefore;
                        long ttb = totalBefore;
                        written = written.chain(() -> store.insertImported(conn, session.id(), firstSeq, part, tokens, reasoning, tb, ttb));
                        for (int i = from; i < to; i++) {
                            tokensBefore += counts[0][i];
                            totalBefore += counts[0][i] + counts[1][i];
                        }
                    }
                    long tokensTotal = tokensBefore;
                    long reasoningTotal = totalBefore - tokensBefore;
                    return written.chain(() -> store.finishImport(conn, session.id(), all.size(), tokensTotal, reasoningTotal));
                });
    }

    private Uni<Imported> replayImport(SqlConnection conn, String tenant, String key, byte[] requestHash) {
        return store.usedImportKey(conn, tenant, key).chain(used -> {
            if (!MessageDigest.isEqual(used.requestHash(), requestHash)) {
                return Uni.createFrom().failure(ProblemException.unprocessable("idempotency-key-reused",
                        "Idempotency-Key " + key + " was already used with a different request body"));
            }
            return store.find(conn, tenant, used.continuationId())
                    .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + used.continuationId()
                            + ", imported with Idempotency-Key " + key + ", no longer exists"))
                    .map(session -> new Imported(session.view(), true));
        });
    }

    /** A session an import made, and whether this answer replays an earlier import with the same key. */
    public record Imported(Session session, boolean replayed) {
    }

    /**
     * Redacts a message for good: PostgreSQL first (the search index follows the row), then the cache's copy is
     * replaced by the tombstone; a cache write that fails retires the generation, so no stale copy is read again.
     */
    public Uni<Message> redact(String tenant, String cid, long seq) {
        return store.redact(tenant, cid, seq)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                .call(tombstone -> cache.replace(tenant, cid, tombstone));
    }

    /** Merge-patches a message's metadata ({@code change} maps the current metadata JSON to the new one); 409 for a tombstone. */
    public Uni<Message> patchMessage(String tenant, String cid, long seq, UnaryOperator<String> change) {
        return db.inTransaction(conn -> store.findMessageForUpdate(conn, tenant, cid, seq)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                        .chain(current -> current.redacted()
                                ? Uni.createFrom().failure(ProblemException.conflict("message " + seq + " of session " + cid
                                        + " is redacted; a tombstone cannot be patched"))
                                : store.updateMetadata(conn, current.id(), change.apply(current.metadata()))))
                .call(patched -> cache.replace(tenant, cid, patched));
    }

    /**
     * Appends in order, in one transaction: optionally get-or-create the session, claim the idempotency key,
     * then number and insert the messages. A key used before answers the first result (same body) or 422.
     */
    public Uni<Appended> append(String tenant, String cid, List<NewMessage> messages, boolean create,
                                String idempotencyKey, byte[] requestHash) {
        return checkReferences(tenant, messages)
                .chain(() -> counted(messages))
                .chain(counts -> !create && idempotencyKey == null
                        // one statement, atomic on its own; concurrent ones share a commit (GroupCommit)
                        ? plainAppend(tenant, cid, messages, counts)
                        : appendInTransaction(tenant, cid, messages, counts, create, idempotencyKey, requestHash))
                .onFailure(NotAppended.class).recoverWithNull()
                .onItem().ifNull().switchTo(() -> whyNotAppended(tenant, cid, messages.size()))
                .call(appended -> appended.replayed()
                        ? Uni.createFrom().voidItem()
                        : cache.write(tenant, cid, appended.session(), appended.messages()));
    }

    /** An append without key or create: one statement, through group commit unless it is off. */
    private Uni<Appended> plainAppend(String tenant, String cid, List<NewMessage> messages, int[][] counts) {
        return groupCommit != null
                ? groupCommit.append(tenant, cid, messages, counts)
                : db.run(pool -> store.append(pool, tenant, cid, messages, counts[0], counts[1], null));
    }

    /** Token counts to store: the client's, else the tokenizer's; reasoning is always counted. Off the event loop when it could block. */
    private Uni<int[][]> counted(List<NewMessage> messages) {
        long chars = 0;
        for (NewMessage m : messages) {
            chars += (m.tokenCount() == null ? m.content().length() : 0) + (m.reasoning() == null ? 0 : m.reasoning().length());
        }
        Uni<int[][]> counting = Uni.createFrom().item(() -> {
            int[][] counts = new int[2][messages.size()];
            for (int i = 0; i < messages.size(); i++) {
                NewMessage m = messages.get(i);
                counts[0][i] = m.tokenCount() != null ? m.tokenCount() : tokens.count(m.content());
                counts[1][i] = tokens.count(m.reasoning());
            }
            return counts;
        });
        return tokens.needsWorker(chars) ? counting.runSubscriptionOn(Infrastructure.getDefaultWorkerPool()) : counting;
    }

    /** Every file and image a message refers to must be a file of the tenant: else a 400 naming it, before anything is written. */
    private Uni<Void> checkReferences(String tenant, List<NewMessage> messages) {
        return checkReferences(tenant, messages, i -> messages.size() == 1 ? "message" : "messages[" + i + "]");
    }

    private Uni<Void> checkReferences(String tenant, List<NewMessage> messages, IntFunction<String> names) {
        Set<String> ids = new LinkedHashSet<>();
        messages.forEach(m -> {
            ids.addAll(m.files());
            ids.addAll(m.images());
        });
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return files.referenced(tenant, List.copyOf(ids)).map(found -> {
            Set<String> known = new HashSet<>();
            found.forEach(f -> known.add(f.id()));
            for (int i = 0; i < messages.size(); i++) {
                NewMessage m = messages.get(i);
                String name = names.apply(i);
                for (String field : List.of("files", "images")) {
                    List<String> refs = field.equals("files") ? m.files() : m.images();
                    for (int r = 0; r < refs.size(); r++) {
                        if (!known.contains(refs.get(r))) {
                            throw ProblemException.badRequest(name + "." + field + "[" + r + "] names no file of yours: " + refs.get(r));
                        }
                    }
                }
            }
            return null;
        });
    }

    /** No row was appended: the session is missing (404), or its turn cap has no room for these messages (409). */
    private Uni<Appended> whyNotAppended(String tenant, String cid, int asked) {
        return store.find(tenant, cid).chain(session -> {
            if (session == null) {
                return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
            }
            Integer remaining = session.view().remainingMessages();
            return Uni.createFrom().failure(new ProblemException(409, "turn-cap", "Conflict", "session " + cid + " allows "
                    + session.view().maxMessages() + " messages and has room for " + remaining + " more, not " + asked
                    + " (remaining_messages: " + remaining + ")"));
        });
    }

    private Uni<Appended> appendInTransaction(String tenant, String cid, List<NewMessage> messages, int[][] counts, boolean create,
                                              String idempotencyKey, byte[] requestHash) {
        return db.inTransaction(conn -> {
                    Uni<Void> ensured = create
                            ? getOrCreate(conn, tenant, SessionInput.bare(cid)).replaceWithVoid()
                            : Uni.createFrom().voidItem();
                    if (idempotencyKey == null) {
                        return ensured.chain(() -> store.append(conn, tenant, cid, messages, counts[0], counts[1], null));
                    }
                    return ensured.chain(() -> store.claimKey(conn, tenant, cid, idempotencyKey, requestHash))
                            .chain(claimed -> claimed
                                    // no room under a turn cap: roll the claimed key back with the rest
                                    ? store.append(conn, tenant, cid, messages, counts[0], counts[1], idempotencyKey)
                                            .onItem().ifNull().failWith(NotAppended::new)
                                    : replay(conn, tenant, cid, idempotencyKey, requestHash));
                });
    }

    /** Rolls back an append's transaction whose session had no room; the answer is worked out after the rollback. */
    private static final class NotAppended extends RuntimeException {
        NotAppended() {
            super(null, null, false, false);
        }
    }

    private Uni<Appended> replay(SqlConnection conn, String tenant, String cid, String key, byte[] requestHash) {
        return store.usedKey(conn, tenant, cid, key).chain(used -> {
            if (used == null) {
                return Uni.createFrom().nullItem();
            }
            if (!MessageDigest.isEqual(used.requestHash(), requestHash)) {
                return Uni.createFrom().failure(ProblemException.unprocessable("idempotency-key-reused",
                        "Idempotency-Key " + key + " was already used with a different request body"));
            }
            return store.range(conn, used.session().id(), used.firstSeq(), used.lastSeq())
                    .map(stored -> new Appended(used.session(), stored, true));
        });
    }

    /**
     * One page of history as message JSON. {@code start..stop} are 0-based ranks (seq - 1; negative counts
     * from the newest) that the cache serves; on a miss PostgreSQL answers through {@code fromDatabase}.
     */
    public Uni<History> history(String tenant, String cid, HistoryQuery query) {
        Long[] ranks = query.ranks();
        return cache.read(tenant, cid, ranks[0], ranks[1])
                .chain(cached -> {
                    if (cached != null) {
                        if (expired(cached)) {
                            return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
                        }
                        List<String> items = ranks[0] == null ? List.of() : cached.messages();
                        return Uni.createFrom().item(new History(cached.count(), query.descending() ? reversed(items) : items, true));
                    }
                    return historyFromDatabase(tenant, cid, query);
                });
    }

    private Uni<History> historyFromDatabase(String tenant, String cid, HistoryQuery query) {
        return store.find(tenant, cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> {
                    int count = session.view().messageCount();
                    if (count <= cache.maxMessages()) {
                        return store.range(session.id(), 1, count)
                                .call(all -> cache.rewarm(tenant, cid, session, all))
                                .map(all -> new History(count, query.slice(all, count).stream().map(cache::toJson).toList(), false));
                    }
                    return query.fetch(store, session.id(), count)
                            .map(page -> new History(count, page.stream().map(cache::toJson).toList(), false));
                });
    }

    /**
     * A page of a chain's whole history in order: the root's messages up to its link, ..., then the session's own.
     * {@code after} is how many were read before; each item carries its session's continuation_id.
     */
    public Uni<ChainPage> chainHistory(String tenant, String cid, long after, int limit) {
        return store.chain(tenant, cid)
                .chain(links -> {
                    if (links.isEmpty()) {
                        return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
                    }
                    long total = links.stream().mapToLong(SessionStore.ChainLink::upto).sum();
                    List<Uni<List<String>>> parts = new ArrayList<>();
                    long start = 0;
                    long from = after;
                    long to = Math.min(total, after + limit);
                    for (SessionStore.ChainLink link : links) {
                        long end = start + link.upto();
                        if (end > from && start < to) {
                            long first = Math.max(from, start) - start + 1;
                            long last = Math.min(to, end) - start;
                            parts.add(store.range(link.id(), first, last).map(list -> list.stream()
                                    .map(m -> withSession(cache.toJson(m), link.continuationId())).toList()));
                        }
                        start = end;
                    }
                    Uni<List<String>> items = parts.isEmpty() ? Uni.createFrom().item(List.of())
                            : Uni.join().all(parts).andFailFast().map(lists -> lists.stream().flatMap(List::stream).toList());
                    return items.map(list -> new ChainPage(list, to < total ? to : null));
                });
    }

    /** History filtered by tool and/or model: read from PostgreSQL, ascending after {@code afterSeq}. */
    public Uni<ChainPage> filteredHistory(String tenant, String cid, String toolName, String model, long afterSeq, int limit) {
        return store.find(tenant, cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> store.filtered(session.id(), toolName, model, afterSeq, limit + 1))
                .map(list -> new ChainPage(list.stream().limit(limit).map(cache::toJson).toList(),
                        list.size() > limit ? list.get(limit - 1).seq() : null));
    }

    static String withSession(String messageJson, String cid) {
        return "{\"continuation_id\":\"" + cid + "\"," + messageJson.substring(1);
    }

    public Uni<List<SearchHit>> search(String tenant, SearchQuery query, SessionStore.SearchFilters filters, Float afterRank,
                                       UUID afterId, int limit) {
        return store.search(tenant, query, filters, afterRank, afterId, limit);
    }

    private static boolean expired(SessionCache.Cached cached) {
        return cached.expiresAtMillis() != null && cached.expiresAtMillis() <= System.currentTimeMillis();
    }

    private static List<String> reversed(List<String> items) {
        List<String> copy = new ArrayList<>(items);
        Collections.reverse(copy);
        return copy;
    }

    /** A session and whether this call created it. */
    public record Created(Session session, boolean created) {
    }

    private record StoredCreated(StoredSession session, boolean created) {
    }

    /** The patchable fields; {@code keepExpiry} false means set expiry from {@code ttlSeconds} (null: none). */
    public record SessionPatch(String title, String metadata, Long ttlSeconds, boolean keepExpiry) {
    }

    /** A page of message JSON and where the next one starts (null: none). */
    public record ChainPage(List<String> messages, Long next) {
    }

    /** A page of message JSON, with the session's message count and whether Redis answered. */
    public record History(int count, List<String> messages, boolean cacheHit) {
    }
}
