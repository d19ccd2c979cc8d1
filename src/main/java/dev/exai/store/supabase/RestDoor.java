package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.RowQuery;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.ViewRow;
import dev.exai.store.security.Principal;
import dev.exai.store.session.MessageRowService;
import dev.exai.store.session.SessionRow;
import dev.exai.store.session.SessionService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PostgREST's table operations on the door's tables, carried out by the session room's services (a conversation or
 * chat session is a session, a message row an append) or by the door's own provider upload records. Answers the rows
 * to write back, rendered for the table.
 */
@ApplicationScoped
public class RestDoor {

    private final SessionService sessions;
    private final MessageRowService messages;
    private final OwnTables own;
    private final DoorWrites writes;

    public RestDoor(SessionService sessions, MessageRowService messages, OwnTables own, ObjectMapper json, StoreConfig config) {
        this.sessions = sessions;
        this.messages = messages;
        this.own = own;
        this.writes = new DoorWrites(json, config.messages().maxContentBytes());
    }

    /** Rows a read selects, rendered, and their total when {@code counted}. */
    record Selected(ArrayNode rows, Long total) {
    }

    Uni<Selected> select(Principal caller, DoorTable table, PostgrestQuery query, boolean counted) {
        Uni<ArrayNode> rows = read(caller, table, query.rows(), query.select());
        Uni<Long> total = !counted ? Uni.createFrom().nullItem() : switch (table.kind()) {
            case SESSIONS -> sessions.count(caller, query.rows());
            case MESSAGES -> messages.count(caller, query.rows());
            case OWN -> own.count(caller.tenant(), table, query.rows());
        };
        return Uni.combine().all().unis(rows, total).asTuple().map(t -> new Selected(t.getItem1(), t.getItem2()))
                .onFailure().transform(e -> DoorFailures.translate(table, e));
    }

    /** Inserts (or upserts, by {@code resolution}: null, "merge-duplicates" or "ignore-duplicates") the body's rows. */
    Uni<ArrayNode> insert(Principal caller, DoorTable table, PostgrestQuery query, String body, String resolution) {
        List<ObjectNode> given = writes.rows(table, body);
        Uni<ArrayNode> done = switch (table.kind()) {
            case SESSIONS -> insertSessions(caller, table, query, given, resolution);
            case MESSAGES -> insertMessages(caller, table, query, given, resolution);
            case OWN -> insertOwn(caller, table, query, given, resolution);
        };
        return done.onFailure().transform(e -> DoorFailures.translate(table, e));
    }

    private Uni<ArrayNode> insertSessions(Principal caller, DoorTable table, PostgrestQuery query, List<ObjectNode> given,
                                          String resolution) {
        String target = query.onConflict() == null ? "id" : query.onConflict();
        if (!target.equals("id") && !target.equals("continuation_id")) {
            throw conflictTarget();
        }
        if (resolution == null || target.equals("id")) {
            // the conflict target is the primary key, which an insert never gives: every row is new (PostgREST's behaviour)
            return sessions.insertRows(caller, given.stream().map(row -> writes.session(table, row)).toList())
                    .map(rows -> render(rows, table, query.select()));
        }
        List<String> ids = given.stream().map(row -> writes.session(table, row).continuationId()).toList();
        RowQuery existing = new RowQuery(List.of(new RowQuery.Filter("continuation_id", RowQuery.Op.IN, false, ids)), List.of(), null, 0);
        return sessions.rows(caller, existing).chain(found -> {
            List<String> known = found.stream().map(r -> r.continuationId()).toList();
            List<ObjectNode> fresh = given.stream().filter(row -> !known.contains(row.path("continuation_id").asText())).toList();
            Uni<List<SessionRow>> inserted = fresh.isEmpty() ? Uni.createFrom().item(List.of())
                    : sessions.insertRows(caller, fresh.stream().map(row -> writes.session(table, row)).toList());
            if (resolution.equals("ignore-duplicates")) {
                return inserted.map(rows -> render(rows, table, query.select()));
            }
            List<ObjectNode> merging = given.stream().filter(row -> known.contains(row.path("continuation_id").asText())).toList();
            Uni<List<SessionRow>> merged = Uni.createFrom().item(new ArrayList<>());
            for (ObjectNode row : merging) {
                merged = merged.chain(list -> sessions.patchRow(caller, row.path("continuation_id").asText(),
                        writes.sessionPatch(table, row)).map(one -> {
                            list.add(one);
                            return list;
                        }));
            }
            return Uni.combine().all().unis(inserted, merged).asTuple().map(t -> {
                ArrayNode out = render(t.getItem1(), table, query.select());
                out.addAll(render(t.getItem2(), table, query.select()));
                return out;
            });
        });
    }

    private Uni<ArrayNode> insertMessages(Principal caller, DoorTable table, PostgrestQuery query, List<ObjectNode> given,
                                          String resolution) {
        if (query.onConflict() != null && !(table.columns().containsKey("idempotency_key") && query.onConflict().equals("idempotency_key"))
                && !query.onConflict().equals("id")) {
            throw conflictTarget();
        }
        boolean skipTaken = "ignore-duplicates".equals(resolution) && "idempotency_key".equals(query.onConflict());
        return messages.insertRows(caller, given.stream().map(row -> writes.message(table, row)).toList(), skipTaken)
                .map(rows -> render(rows, table, query.select()));
    }

    private Uni<ArrayNode> insertOwn(Principal caller, DoorTable table, PostgrestQuery query, List<ObjectNode> given, String resolution) {
        given.forEach(table::checkRequired);
        List<String> target = query.onConflict() == null ? table.own().primaryKey()
                : table.own().key(Arrays.stream(query.onConflict().split(",")).map(String::trim).toList());
        if (target == null) {
            throw conflictTarget();
        }
        Uni<Void> parents = table.columns().containsKey("conversation_id") ? conversationsOf(caller, table, given) : Uni.createFrom().voidItem();
        return parents.chain(() -> own.insert(caller.tenant(), table, given, target, "ignore-duplicates".equals(resolution),
                        "merge-duplicates".equals(resolution)))
                .map(rows -> render(rows, table, query.select()));
    }

    /** A link names a conversation of the caller's tenant (23503 otherwise, as for a missing one). */
    private Uni<Void> conversationsOf(Principal caller, DoorTable table, List<ObjectNode> given) {
        List<String> ids = given.stream().map(row -> row.path("conversation_id").asText()).distinct().toList();
        RowQuery query = new RowQuery(List.of(new RowQuery.Filter("id", RowQuery.Op.IN, false, ids)), List.of(), null, 0);
        return sessions.rows(caller, query).invoke(found -> {
            List<String> known = found.stream().map(r -> String.valueOf(r.value("id"))).toList();
            ids.stream().filter(id -> !known.contains(id)).findFirst().ifPresent(missing -> {
                throw PostgrestError.missingParent(table.name(), "conversation_id", missing, "conversations");
            });
        }).replaceWithVoid();
    }

    /** Applies the body's columns to every row the filters select; answers those rows as they are now. */
    Uni<ArrayNode> update(Principal caller, DoorTable table, PostgrestQuery query, String body) {
        if (!query.filtered()) {
            throw PostgrestError.whereRequired("UPDATE");
        }
        ObjectNode patch = writes.patch(table, body);
        if (table.kind() == DoorTable.Kind.OWN) {
            return own.update(caller.tenant(), table, query.rows(), patch).map(rows -> render(rows, table, query.select()))
                    .onFailure().transform(e -> DoorFailures.translate(table, e));
        }
        if (table.kind() == DoorTable.Kind.MESSAGES) {
            throw PostgrestError.notAllowed("table " + table.name() + " (a stored message is changed through exai-store's own "
                    + "API: PATCH /sessions/{cid}/messages/{seq} for metadata)");
        }
        return sessions.rows(caller, query.rows()).chain(found -> {
            Uni<List<SessionRow>> done = Uni.createFrom().item(new ArrayList<>());
            for (var row : found) {
                done = done.chain(list -> sessions.patchRow(caller, row.continuationId(), writes.sessionPatch(table, patch)).map(one -> {
                    list.add(one);
                    return list;
                }));
            }
            return done;
        }).map(rows -> render(rows, table, query.select())).onFailure().transform(e -> DoorFailures.translate(table, e));
    }

    /** Deletes every row the filters select (sessions with their messages and continuations); answers them as they were. */
    Uni<ArrayNode> delete(Principal caller, DoorTable table, PostgrestQuery query) {
        if (!query.filtered()) {
            throw PostgrestError.whereRequired("DELETE");
        }
        if (table.kind() == DoorTable.Kind.OWN) {
            return own.delete(caller.tenant(), table, query.rows()).map(rows -> render(rows, table, query.select()))
                    .onFailure().transform(e -> DoorFailures.translate(table, e));
        }
        if (table.kind() == DoorTable.Kind.MESSAGES) {
            throw PostgrestError.notAllowed("table " + table.name() + " (a stored message is never deleted, so that histories stay "
                    + "gapless; redact it through exai-store's own API: DELETE /sessions/{cid}/messages/{seq})");
        }
        return sessions.rows(caller, query.rows()).chain(found -> {
            Uni<Void> done = Uni.createFrom().voidItem();
            for (var row : found) {
                done = done.chain(() -> sessions.delete(caller, row.continuationId(), true)
                        .onFailure(e -> e instanceof ProblemException p && p.status() == 404).recoverWithNull());
            }
            return done.map(ignored -> render(found, table, query.select()));
        }).onFailure().transform(e -> DoorFailures.translate(table, e));
    }

    private Uni<ArrayNode> read(Principal caller, DoorTable table, RowQuery rows, List<String> select) {
        return switch (table.kind()) {
            case SESSIONS -> sessions.rows(caller, rows).map(found -> render(found, table, select));
            case MESSAGES -> messages.rows(caller, rows).map(found -> render(found, table, select));
            case OWN -> own.rows(caller.tenant(), table, rows).map(found -> render(found, table, select));
        };
    }

    private static ArrayNode render(List<? extends ViewRow> rows, DoorTable table, List<String> select) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        rows.forEach(r -> out.add(DoorRows.render(table, select, r)));
        return out;
    }

    private static PostgrestError conflictTarget() {
        return new PostgrestError(400, "42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                null, null);
    }
}
