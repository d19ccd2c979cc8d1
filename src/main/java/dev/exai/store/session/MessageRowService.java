package dev.exai.store.session;

import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.RowQuery;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Messages as rows, for row APIs (the Supabase door): reads over the message row view, and appends given as rows,
 * each naming its session by id, with the client's times and per-tenant client keys. An append here is an append as
 * {@link MessageService} makes it (gapless seq, token counts, cache, search): one statement for one session's keyless
 * rows, one transaction when the rows span sessions or carry client keys.
 */
@ApplicationScoped
public class MessageRowService {

    private final Database db;
    private final MessageRows rows;
    private final SessionService sessions;
    private final MessageService messages;
    private final SessionCache cache;

    public MessageRowService(Database db, MessageRows rows, SessionService sessions, MessageService messages, SessionCache cache) {
        this.db = db;
        this.rows = rows;
        this.sessions = sessions;
        this.messages = messages;
        this.cache = cache;
    }

    /** The caller's message rows that the query selects (row APIs: the Supabase door). */
    public Uni<List<MessageRow>> rows(Principal caller, RowQuery query) {
        return rows.rows(caller.tenant(), query);
    }

    /** How many of the caller's message rows the query's filters select. */
    public Uni<Long> count(Principal caller, RowQuery query) {
        return rows.count(caller.tenant(), query);
    }

    /**
     * Appends messages given as rows, all or nothing, each to the session its row names, in the order given; numbered,
     * counted, cached and searchable as any append. Rows for one session without client keys are one statement, atomic
     * on its own; anything more is one transaction. A client key already stored (or twice in the batch) is skipped when
     * {@code skipTakenKeys}, else a {@link ClientKeyTaken}; a session id that names no live session of the caller is an
     * {@link UnknownSession}. Answers the rows stored, in order, as the append statement returned them.
     */
    public Uni<List<MessageRow>> insertRows(Principal caller, List<NewMessageRow> given, boolean skipTakenKeys) {
        String tenant = caller.tenant();
        List<NewMessage> all = given.stream().map(NewMessageRow::message).toList();
        List<String> keys = given.stream().map(NewMessageRow::clientKey).filter(Objects::nonNull).toList();
        boolean oneStatement = keys.isEmpty() && given.stream().map(NewMessageRow::sessionId).distinct().count() == 1;
        return messages.checkReferences(tenant, all, i -> "row " + i)
                .chain(() -> messages.counted(all))
                .chain(counts -> oneStatement
                        ? db.run(pool -> appendRows(pool, tenant, given, counts, chosen(given, Set.of(), skipTakenKeys)))
                        : db.inTransaction(conn -> (keys.isEmpty() ? Uni.createFrom().item(Set.<String>of())
                                : rows.lockClientKeys(conn, tenant, keys))
                                .chain(taken -> appendRows(conn, tenant, given, counts, chosen(given, taken, skipTakenKeys)))))
                .call(appended -> Uni.join().all(appended.stream().map(a -> cache.write(tenant, a.appended().session().view().continuationId(),
                        a.appended().session(), a.appended().messages(), a.appended().messages().stream().map(cache::toJson).toList()))
                        .toList()).andFailFast())
                .map(appended -> appended.stream().flatMap(a -> a.rows().stream()).toList());
    }

    /** The indexes of the rows to store: those without a client key taken before or earlier in the batch. */
    private static List<Integer> chosen(List<NewMessageRow> given, Set<String> taken, boolean skipTakenKeys) {
        Set<String> seen = new HashSet<>(taken);
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            String key = given.get(i).clientKey();
            if (key != null && !seen.add(key)) {
                if (!skipTakenKeys) {
                    throw new ClientKeyTaken(key);
                }
                continue;
            }
            chosen.add(i);
        }
        return chosen;
    }

    /**
     * Appends the chosen rows session by session (in the order each session first appears) and records their keys;
     * answers each session's append with its rows, keys filled in.
     */
    private Uni<List<MessageRows.RowAppend>> appendRows(SqlClient sql, String tenant, List<NewMessageRow> given, int[][] counts,
                                                       List<Integer> chosen) {
        LinkedHashMap<UUID, List<Integer>> bySession = new LinkedHashMap<>();
        chosen.forEach(i -> bySession.computeIfAbsent(given.get(i).sessionId(), id -> new ArrayList<>()).add(i));
        Uni<List<MessageRows.RowAppend>> done = Uni.createFrom().item(new ArrayList<>());
        for (var entry : bySession.entrySet()) {
            List<Integer> part = entry.getValue();
            List<String> partKeys = part.stream().map(i -> given.get(i).clientKey()).toList();
            done = done.chain(list -> rows.appendRows(sql, tenant, entry.getKey(), part.stream().map(i -> given.get(i).message()).toList(),
                            part.stream().mapToInt(i -> counts[0][i]).toArray(), part.stream().mapToInt(i -> counts[1][i]).toArray(),
                            part.stream().map(i -> given.get(i).createdAt()).toArray(OffsetDateTime[]::new))
                    .onItem().ifNull().switchTo(() -> whyNot(sql, tenant, entry.getKey(), part.size()))
                    .call(appended -> rows.saveClientKeys(sql, tenant, appended.rows().stream().map(MessageRow::id).toList(), partKeys))
                    .map(appended -> {
                        List<MessageRow> keyed = new ArrayList<>(appended.rows().size());
                        for (int i = 0; i < appended.rows().size(); i++) {
                            MessageRow r = appended.rows().get(i);
                            keyed.add(new MessageRow(r.id(), r.sessionId(), r.continuationId(), r.seq(), r.role(), r.content(), r.metadata(),
                                    r.createdAt(), partKeys.get(i)));
                        }
                        list.add(new MessageRows.RowAppend(appended.appended(), keyed));
                        return list;
                    }));
        }
        return done;
    }

    /** Nothing was appended to the session of that id: it is no live session of the tenant's, or it has no room. */
    private Uni<MessageRows.RowAppend> whyNot(SqlClient sql, String tenant, UUID sessionId, int asked) {
        return sessions.findLive(sql, tenant, sessionId).chain(session -> Uni.createFrom().failure(session == null
                ? new UnknownSession(sessionId)
                : new ProblemException(409, "turn-cap", "Conflict", "session " + session.view().continuationId()
                        + " has no room for " + asked + " more messages")));
    }

    /** A row names a session id that is no live session of the caller's. */
    public static final class UnknownSession extends ProblemException {

        private final UUID id;

        public UnknownSession(UUID id) {
            super(409, "unknown-session", "Conflict", "no session has id " + id);
            this.id = id;
        }

        public UUID id() {
            return id;
        }
    }

    /** A client key another message of the tenant already has. */
    public static final class ClientKeyTaken extends ProblemException {

        private final String key;

        public ClientKeyTaken(String key) {
            super(409, "client-key-taken", "Conflict", "a message already has the key " + key);
            this.key = key;
        }

        public String key() {
            return key;
        }
    }
}
