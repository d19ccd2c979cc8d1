package dev.exai.store.session;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.RowQuery;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Principal;
import dev.exai.store.security.TenantLimits;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Sessions' units of work: create (plain, get-or-create, fork), read, list, patch, delete. Each writes PostgreSQL
 * first (a 2xx means committed) and then the Redis cache; reads try Redis and fall back to PostgreSQL.
 */
@ApplicationScoped
public class SessionService {

    /** How many ancestors a continuation may have. */
    static final int MAX_CHAIN_DEPTH = 20;

    private final Database db;
    private final SessionRows rows;
    private final SessionCache cache;
    private final TenantLimits limits;
    private final EventOutbox events;

    private final AuditTrail audit;

    public SessionService(Database db, SessionRows rows, SessionCache cache, TenantLimits limits, EventOutbox events, AuditTrail audit) {
        this.audit = audit;
        this.db = db;
        this.events = events;
        this.rows = rows;
        this.cache = cache;
        this.limits = limits;
    }

    /** Creates a session; 409 when the id is taken by a live session. */
    public Uni<Session> create(Principal caller, SessionInput input) {
        return createNew(caller.tenant(), input, false);
    }

    /** Makes {@code input.continuationId()} a continuation of its parent at {@code input.parentSeq()}: 201, 404, 409. */
    public Uni<Session> fork(Principal caller, SessionInput input) {
        return createNew(caller.tenant(), input, true);
    }

    /** The path create and fork share: an expired holder of the id goes, the session is inserted, or 409. */
    private Uni<Session> createNew(String tenant, SessionInput input, boolean fork) {
        return db.inTransaction(conn -> insertNew(conn, tenant, input, fork))
                .call(created -> cache.write(tenant, input.continuationId(), created, List.of(), List.of()))
                .map(StoredSession::view);
    }

    /** Inserts a new session in the caller's transaction (create, fork, import): 409 when a live session has the id. */
    Uni<StoredSession> insertNew(SqlConnection conn, String tenant, SessionInput input, boolean fork) {
        return rows.deleteIfExpired(conn, tenant, input.continuationId())
                .chain(() -> insert(conn, tenant, input, fork))
                .onItem().ifNull().failWith(() -> new SessionTaken(input.continuationId()));
    }

    /** A live session already has the continuation_id a new one asked for: 409. */
    public static final class SessionTaken extends ProblemException {

        private final String continuationId;

        public SessionTaken(String continuationId) {
            super(409, "conflict", "Conflict", "a session with continuation_id " + continuationId + " already exists");
            this.continuationId = continuationId;
        }

        public String continuationId() {
            return continuationId;
        }
    }

    /** Gets or creates; the boolean tells whether it was created. */
    public Uni<Created> getOrCreate(Principal caller, SessionInput input) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> getOrCreate(conn, tenant, input))
                .call(result -> result.created()
                        ? cache.write(tenant, input.continuationId(), result.session(), List.of(), List.of())
                        : Uni.createFrom().voidItem())
                .map(result -> new Created(result.session().view(), result.created()));
    }

    /** Get-or-create inside the caller's transaction (an append with ?create=true). */
    Uni<StoredCreated> getOrCreate(SqlConnection conn, String tenant, SessionInput input) {
        return rows.deleteIfExpired(conn, tenant, input.continuationId())
                .chain(() -> rows.find(conn, tenant, input.continuationId()))
                .chain(existing -> existing != null
                        ? Uni.createFrom().item(new StoredCreated(existing, false))
                        : insert(conn, tenant, input, false).chain(inserted -> inserted != null
                                ? Uni.createFrom().item(new StoredCreated(inserted, true))
                                // another request created it since: answer that one
                                : rows.find(conn, tenant, input.continuationId()).map(found -> new StoredCreated(found, false))));
    }

    /**
     * Inserts a session, a continuation when the input names a parent: the parent must be the tenant's live session
     * (a 400 otherwise, or a 404 for a fork, whose parent is in the path), {@code parent_seq} at most its message count,
     * and the chain at most {@value #MAX_CHAIN_DEPTH} deep. Answers null when the id is taken.
     */
    private Uni<StoredSession> insert(SqlConnection conn, String tenant, SessionInput input, boolean fork) {
        return insertSession(conn, tenant, input, fork).call(inserted -> inserted == null ? Uni.createFrom().voidItem()
                : events.record(conn, tenant, "session.created", input.continuationId(), sessionData(input.continuationId())
                        .put("parent_continuation_id", input.parentContinuationId())));
    }

    private Uni<StoredSession> insertSession(SqlConnection conn, String tenant, SessionInput input, boolean fork) {
        if (input.parentContinuationId() == null) {
            return limits.roomForSession(conn, tenant).chain(() -> rows.insert(conn, tenant, input, null, null));
        }
        return rows.findToContinue(conn, tenant, input.parentContinuationId()).chain(parent -> {
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
            return limits.roomForSession(conn, tenant).chain(() -> rows.insert(conn, tenant, input, parent, at));
        });
    }

    /** The live session {@code cid} of the caller's tenant as stored (404 without one), for rooms that attach rows to it. */
    public Uni<StoredSession> stored(Principal caller, String cid) {
        return rows.find(caller.tenant(), cid).onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    /**
     * The chain ending in the live session {@code cid}, root first, each session with how many of its messages the
     * chain's history holds (the session itself: all of them); 404 without the session.
     */
    public Uni<List<ChainLink>> chain(Principal caller, String cid) {
        return rows.chain(caller.tenant(), cid).map(links -> {
            if (links.isEmpty()) {
                throw ProblemException.notFound("session " + cid);
            }
            return links;
        });
    }

    /** The session's JSON as served: from the cache verbatim, or serialized from PostgreSQL's row. */
    public Uni<String> getJson(Principal caller, String cid) {
        return cache.read(caller.tenant(), cid, null, null)
                .chain(cached -> {
                    if (cached != null) {
                        return Uni.createFrom().item(cached.expired() ? null : cached.sessionJson());
                    }
                    return rows.find(caller.tenant(), cid).map(found -> found == null ? null : cache.toJson(found.view()));
                })
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid));
    }

    public Uni<Page<Session>> list(Principal caller, SessionFilters filters, int limit, String cursor) {
        return rows.list(caller.tenant(), filters, limit, cursor);
    }

    /** Applies {@code change} to the locked row's (title, metadata, ttl) and stores the result. */
    public Uni<Session> patch(Principal caller, String cid, UnaryOperator<SessionPatch> change) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> rows.findForUpdate(conn, tenant, cid)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                        .chain(current -> {
                            SessionPatch patched = change.apply(new SessionPatch(current.view().title(), current.view().metadata(), null, true));
                            return rows.update(conn, tenant, current.id(), patched.title(), patched.metadata(), patched.ttlSeconds(), patched.keepExpiry())
                                    .call(() -> events.record(conn, tenant, "session.updated", cid, sessionData(cid)));
                        }))
                .call(updated -> cache.write(tenant, cid, updated, List.of(), List.of()))
                .map(StoredSession::view);
    }

    /**
     * Deletes a session and its messages. A session that others continue answers 409 naming them, unless
     * {@code cascade}, which deletes the whole subtree of continuations with it.
     */
    public Uni<Void> delete(Principal caller, String cid, boolean cascade) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> rows.findForUpdate(conn, tenant, cid)
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                        .chain(session -> rows.children(conn, session.id()).chain(children -> {
                            if (children.isEmpty()) {
                                return rows.delete(conn, session.id()).replaceWith(List.of(cid));
                            }
                            if (!cascade) {
                                return Uni.createFrom().failure(ProblemException.conflict("session " + cid + " is continued by "
                                        + String.join(", ", children) + "; delete those first, or delete with ?cascade=true"));
                            }
                            return rows.deleteTree(conn, session.id());
                        }).call(deleted -> {
                            Uni<Void> recorded = Uni.createFrom().voidItem();
                            for (String gone : deleted) {
                                recorded = recorded.chain(() -> events.record(conn, tenant, "session.deleted", gone, sessionData(gone)))
                                        .chain(() -> audit.record(conn, caller, "session.delete", "session " + gone,
                                                JsonNodeFactory.instance.objectNode().put("cascade", !gone.equals(cid))));
                            }
                            return recorded;
                        })))
                .chain(deleted -> Uni.join().all(deleted.stream().map(id -> cache.evict(tenant, id)).toList()).andFailFast())
                .replaceWithVoid();
    }

    /** The caller's session rows that the query selects (row APIs: the Supabase door). */
    public Uni<List<SessionRow>> rows(Principal caller, RowQuery query) {
        return rows.rows(caller.tenant(), query);
    }

    /** How many of the caller's session rows the query's filters select. */
    public Uni<Long> count(Principal caller, RowQuery query) {
        return rows.count(caller.tenant(), query);
    }

    /**
     * Creates sessions from rows, all or nothing (one transaction): a 409 {@link ProblemException} when an id is taken
     * (by a live session, or twice in the batch). Answers their rows, in order.
     */
    public Uni<List<SessionRow>> insertRows(Principal caller, List<SessionInput> inputs) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> {
                    Uni<List<StoredSession>> created = Uni.createFrom().item(new ArrayList<>());
                    for (SessionInput input : inputs) {
                        created = created.chain(list -> insertNew(conn, tenant, input, false).map(one -> {
                            list.add(one);
                            return list;
                        }));
                    }
                    return created;
                })
                .call(created -> Uni.join().all(created.stream()
                        .map(s -> cache.write(tenant, s.view().continuationId(), s, List.of(), List.of())).toList()).andFailFast())
                .chain(created -> {
                    List<UUID> ids = created.stream().map(StoredSession::id).toList();
                    return rows.rows(tenant, RowQueries.idIn(ids)).map(found -> RowQueries.inOrder(ids, found, SessionRow::id));
                });
    }

    /** Patches a session as {@link #patch} does and answers its row. */
    public Uni<SessionRow> patchRow(Principal caller, String cid, UnaryOperator<SessionPatch> change) {
        RowQuery one = new RowQuery(List.of(new RowQuery.Filter("continuation_id", RowQuery.Op.EQ, false, List.of(cid))), List.of(), 1L, 0);
        return patch(caller, cid, change).chain(() -> rows.rows(caller.tenant(), one)).map(found -> found.get(0));
    }

    /** The live session with that id in the tenant; or null. */
    Uni<StoredSession> findLive(SqlClient sql, String tenant, UUID id) {
        return rows.findById(sql, tenant, id);
    }

    private static ObjectNode sessionData(String cid) {
        return JsonNodeFactory.instance.objectNode().put("continuation_id", cid);
    }

    /** A session and whether this call created it. */
    public record Created(Session session, boolean created) {
    }

    record StoredCreated(StoredSession session, boolean created) {
    }

    /** The patchable fields; {@code keepExpiry} false means set expiry from {@code ttlSeconds} (null: none). */
    public record SessionPatch(String title, String metadata, Long ttlSeconds, boolean keepExpiry) {
    }
}
