package dev.exai.store.session;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Cursors;
import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.Tokens;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.file.FileService;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Messages' units of work: append (idempotent, through group commit when it can), history pages, metadata patches,
 * redaction and search. Writes go to PostgreSQL first and then to the cache; reads try the cache and fall back.
 * Each answer is the JSON the route writes, serialized once.
 */
@ApplicationScoped
public class MessageService {

    private final Database db;
    private final MessageRows rows;
    private final StreamedAnswers answers;
    private final SessionRows sessionRows;
    private final SearchRows searchRows;
    private final SessionService sessions;
    private final SessionCache cache;
    private final SessionSummaryCache cachedSummaries;
    private final AuditTrail audit;
    private final Tokens tokens;
    private final FileService files;
    /** Null when group commit is off ({@code exai-store.messages.group-commit=false}). */
    private final GroupCommit groupCommit;

    private final EventOutbox events;
    private final SummaryHook summaries;

    public MessageService(Database db, MessageRows rows, StreamedAnswers answers, SessionRows sessionRows, SearchRows searchRows, SessionService sessions,
                          SessionCache cache, SessionSummaryCache cachedSummaries, Tokens tokens, FileService files,
                          GroupCommit groupCommit, EventOutbox events, SummaryHook summaries, AuditTrail audit, StoreConfig config) {
        this.audit = audit;
        this.cachedSummaries = cachedSummaries;
        this.db = db;
        this.events = events;
        this.summaries = summaries;
        this.rows = rows;
        this.answers = answers;
        this.sessionRows = sessionRows;
        this.searchRows = searchRows;
        this.sessions = sessions;
        this.cache = cache;
        this.tokens = tokens;
        this.files = files;
        this.groupCommit = config.messages().groupCommit() ? groupCommit : null;
    }

    /**
     * Appends in order, in one transaction: optionally get-or-create the session, claim the idempotency key,
     * then number and insert the messages. A key used before answers the first result (same body) or 422.
     * {@code batch}: the answer is an array (the body was one), else the one message.
     */
    public Uni<AppendAnswer> append(Principal caller, String cid, List<NewMessage> messages, boolean batch, boolean create,
                                    String idempotencyKey, byte[] requestHash) {
        String tenant = caller.tenant();
        return checkReferences(tenant, messages, i -> messages.size() == 1 ? "message" : "messages[" + i + "]")
                .chain(() -> counted(messages))
                .chain(counts -> !create && idempotencyKey == null && messages.stream().noneMatch(NewMessage::streaming)
                        // one statement, atomic on its own; concurrent ones share a commit (GroupCommit)
                        ? plainAppend(tenant, cid, messages, counts)
                        : appendInTransaction(tenant, cid, messages, counts, create, idempotencyKey, requestHash))
                .onFailure(NotAppended.class).recoverWithNull()
                .onItem().ifNull().switchTo(() -> whyNotAppended(tenant, cid, messages.size()))
                .chain(appended -> {
                    List<String> json = appended.messages().stream().map(cache::toJson).toList();
                    Uni<Void> cached = appended.replayed() ? Uni.createFrom().voidItem()
                            : cache.write(tenant, cid, appended.session(), appended.messages(), json);
                    String body = batch ? "[" + String.join(",", json) + "]" : json.get(0);
                    return cached.replaceWith(new AppendAnswer(body, appended.replayed()));
                });
    }

    /** The stored messages as the route answers them (one object, or an array for a batch), and whether a key replayed them. */
    public record AppendAnswer(String json, boolean replayed) {
    }

    /** An append without key or create: one statement, through group commit unless it is off. */
    private Uni<MessageRows.Appended> plainAppend(String tenant, String cid, List<NewMessage> messages, int[][] counts) {
        return groupCommit != null
                ? groupCommit.append(tenant, cid, messages, counts)
                : db.run(pool -> rows.append(pool, tenant, cid, messages, counts[0], counts[1], null));
    }

    /** Token counts to store: the client's, else the tokenizer's; reasoning is always counted. Off the event loop when it could block. */
    Uni<int[][]> counted(List<NewMessage> messages) {
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

    /**
     * Every file and image a message refers to must be a file of the tenant: else a 400 naming it ({@code names} gives
     * a message's name), before anything is written.
     */
    Uni<Void> checkReferences(String tenant, List<NewMessage> messages, IntFunction<String> names) {
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
    private Uni<MessageRows.Appended> whyNotAppended(String tenant, String cid, int asked) {
        return sessionRows.find(tenant, cid).chain(session -> {
            if (session == null) {
                return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
            }
            Integer remaining = session.view().remainingMessages();
            return Uni.createFrom().failure(new ProblemException(409, "turn-cap", "Conflict", "session " + cid + " allows "
                    + session.view().maxMessages() + " messages and has room for " + remaining + " more, not " + asked
                    + " (remaining_messages: " + remaining + ")"));
        });
    }

    private Uni<MessageRows.Appended> appendInTransaction(String tenant, String cid, List<NewMessage> messages, int[][] counts,
                                                         boolean create, String idempotencyKey, byte[] requestHash) {
        return db.inTransaction(conn -> {
                    Uni<Void> ensured = create
                            ? sessions.getOrCreate(conn, tenant, SessionInput.bare(cid)).replaceWithVoid()
                            : Uni.createFrom().voidItem();
                    if (idempotencyKey == null) {
                        return ensured.chain(() -> rows.append(conn, tenant, cid, messages, counts[0], counts[1], null))
                                .chain(appended -> answers.opened(conn, appended, messages));
                    }
                    return ensured.chain(() -> rows.claimKey(conn, tenant, cid, idempotencyKey, requestHash))
                            .chain(claimed -> claimed
                                    // no room under a turn cap: roll the claimed key back with the rest
                                    ? rows.append(conn, tenant, cid, messages, counts[0], counts[1], idempotencyKey)
                                            .onItem().ifNull().failWith(NotAppended::new)
                                            .chain(appended -> answers.opened(conn, appended, messages))
                                    : replay(conn, tenant, cid, idempotencyKey, requestHash));
                });
    }

    /** Rolls back an append's transaction whose session had no room; the answer is worked out after the rollback. */
    private static final class NotAppended extends RuntimeException {
        NotAppended() {
            super(null, null, false, false);
        }
    }

    private Uni<MessageRows.Appended> replay(SqlConnection conn, String tenant, String cid, String key, byte[] requestHash) {
        return rows.usedKey(conn, tenant, cid, key).chain(used -> {
            if (used == null) {
                return Uni.createFrom().nullItem();
            }
            if (!MessageDigest.isEqual(used.requestHash(), requestHash)) {
                return Uni.createFrom().failure(IdempotencyKey.reused(key));
            }
            return rows.range(conn, used.session().id(), used.firstSeq(), used.lastSeq())
                    .map(stored -> new MessageRows.Appended(used.session(), stored, true));
        });
    }

    /**
     * One page of history as message JSON. {@code start..stop} are 0-based ranks (seq - 1; negative counts
     * from the newest) that the cache serves; on a miss PostgreSQL answers, re-warming the cache.
     */
    public Uni<History> history(Principal caller, String cid, HistoryQuery query) {
        String tenant = caller.tenant();
        Long[] ranks = query.ranks();
        return cache.read(tenant, cid, ranks[0], ranks[1])
                .chain(cached -> {
                    if (cached != null) {
                        if (cached.expired()) {
                            return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
                        }
                        List<String> items = ranks[0] == null ? List.of() : cached.messages();
                        return Uni.createFrom().item(new History(cached.count(), query.descending() ? reversed(items) : items, true));
                    }
                    return historyFromDatabase(tenant, cid, query);
                });
    }

    private Uni<History> historyFromDatabase(String tenant, String cid, HistoryQuery query) {
        return sessionRows.find(tenant, cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> {
                    int count = session.view().messageCount();
                    if (count <= cache.maxMessages()) {
                        return rows.range(session.id(), 1, count).chain(all -> {
                            List<String> json = all.stream().map(cache::toJson).toList();
                            return cache.write(tenant, cid, session, all, json)
                                    .replaceWith(new History(count, query.slice(json, count), false));
                        });
                    }
                    return rows.page(query, session.id(), count)
                            .map(page -> new History(count, page.stream().map(cache::toJson).toList(), false));
                });
    }

    /**
     * A page of a chain's whole history in order: the root's messages up to its link, ..., then the session's own.
     * {@code after} is how many were read before; each item carries its session's continuation_id.
     */
    public Uni<ChainPage> chainHistory(Principal caller, String cid, long after, int limit) {
        return sessionRows.chain(caller.tenant(), cid)
                .chain(links -> {
                    if (links.isEmpty()) {
                        return Uni.createFrom().failure(ProblemException.notFound("session " + cid));
                    }
                    long total = links.stream().mapToLong(ChainLink::upto).sum();
                    List<Uni<List<String>>> parts = new ArrayList<>();
                    long start = 0;
                    long from = after;
                    long to = Math.min(total, after + limit);
                    for (ChainLink link : links) {
                        long end = start + link.upto();
                        if (end > from && start < to) {
                            long first = Math.max(from, start) - start + 1;
                            long last = Math.min(to, end) - start;
                            parts.add(rows.range(link.id(), first, last).map(list -> list.stream()
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
    public Uni<ChainPage> filteredHistory(Principal caller, String cid, String toolName, String model, long afterSeq, int limit) {
        return sessionRows.find(caller.tenant(), cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> rows.filtered(session.id(), toolName, model, afterSeq, limit + 1))
                .map(list -> new ChainPage(list.stream().limit(limit).map(cache::toJson).toList(),
                        list.size() > limit ? list.get(limit - 1).seq() : null));
    }

    static String withSession(String messageJson, String cid) {
        return "{\"continuation_id\":\"" + cid + "\"," + messageJson.substring(1);
    }

    /**
     * Redacts a message for good: PostgreSQL first (the search index follows the row), in the same transaction every
     * summary that covers it becomes stale, then the cache's copy is replaced by the tombstone and the cached summaries
     * of every session that had one made stale are dropped; a cache write that fails retires the generation, so no
     * stale copy is read again.
     */
    public Uni<Void> redact(Principal caller, String cid, long seq) {
        String tenant = caller.tenant();
        List<String> staledIn = new ArrayList<>();
        return db.inTransaction(conn -> rows.findMessageForUpdate(conn, tenant, cid, seq)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                        .invoke(current -> refuseStreaming(current, cid, "redacted"))
                        .chain(current -> rows.redact(conn, tenant, cid, seq)
                                // redacting a tombstone again changes nothing (a summary written since saw the tombstone)
                                .call(() -> current.redacted() ? Uni.createFrom().voidItem()
                                        : events.record(conn, tenant, "message.redacted", cid, messageData(cid, seq))
                                                .chain(() -> audit.record(conn, caller, "message.redact", "message " + seq + " of session " + cid, null))
                                                .chain(() -> sessionRows.covering(conn, tenant, cid, seq))
                                                .chain(covering -> summaries.messageChanged(conn, caller, covering.sessionId(), seq,
                                                        covering.continuations()))
                                                .invoke(staledIn::addAll))))
                .call(tombstone -> cache.replace(tenant, cid, tombstone))
                .call(() -> {
                    Uni<Void> forgotten = Uni.createFrom().voidItem();
                    for (String staled : staledIn) {
                        forgotten = forgotten.chain(() -> cachedSummaries.forget(tenant, staled));
                    }
                    return forgotten;
                })
                .replaceWithVoid();
    }

    /**
     * Merge-patches a message's metadata ({@code change} maps the current metadata JSON to the new one); 409 for a
     * tombstone. Answers the message's JSON.
     */
    public Uni<String> patchMessage(Principal caller, String cid, long seq, UnaryOperator<String> change) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> rows.findMessageForUpdate(conn, tenant, cid, seq)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                        .invoke(current -> refuseStreaming(current, cid, "patched"))
                        .chain(current -> current.redacted()
                                ? Uni.createFrom().failure(ProblemException.conflict("message " + seq + " of session " + cid
                                        + " is redacted; a tombstone cannot be patched"))
                                : rows.updateMetadata(conn, current.id(), change.apply(current.metadata()))
                                        .call(() -> events.record(conn, tenant, "message.updated", cid, messageData(cid, seq)))))
                .call(patched -> cache.replace(tenant, cid, patched))
                .map(cache::toJson);
    }

    /** A streaming answer changes only through its pieces and its completion: 409 for any other change. */
    private static void refuseStreaming(Message current, String cid, String change) {
        if (current.streaming()) {
            throw ProblemException.conflict("message " + current.seq() + " of session " + cid
                    + " is a streamed answer still streaming; it can be " + change + " once it is complete or aborted");
        }
    }

    private static ObjectNode messageData(String cid, long seq) {
        return JsonNodeFactory.instance.objectNode().put("continuation_id", cid).put("seq", seq);
    }

    /** A page of ranked search hits, best first, after the cursor of an earlier page (null: the first page). */
    public Uni<Page<SearchHit>> search(Principal caller, String q, SearchFilters filters, String cursor, int limit) {
        Float afterRank = null;
        UUID afterId = null;
        if (cursor != null) {
            List<String> fields = Cursors.decode(cursor, 2);
            try {
                afterRank = Float.valueOf(fields.get(0));
                afterId = UUID.fromString(fields.get(1));
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest("cursor is not one this service returned");
            }
        }
        return searchRows.search(caller.tenant(), q, filters, afterRank, afterId, limit + 1)
                .map(hits -> {
                    if (hits.size() <= limit) {
                        return new Page<>(hits, null);
                    }
                    SearchHit last = hits.get(limit - 1);
                    return new Page<>(hits.subList(0, limit), Cursors.encode(Float.toString(last.rank()), last.id()));
                });
    }

    private static List<String> reversed(List<String> items) {
        List<String> copy = new ArrayList<>(items);
        Collections.reverse(copy);
        return copy;
    }

    /** A page of message JSON and where the next one starts (null: none). */
    public record ChainPage(List<String> messages, Long next) {
    }

    /** A page of message JSON, with the session's message count and whether Redis answered. */
    public record History(int count, List<String> messages, boolean cacheHit) {
    }
}
