package dev.exai.store.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Where the other rooms hand over their events: inside the transaction (or the statement) of the change each one
 * describes, so an event exists exactly when its change committed. Who reads them is this room's business
 * ({@link EventsRoute}); a reader serves them once the writer's transaction is complete ({@link EventFeed}).
 */
@ApplicationScoped
public class EventOutbox {

    /** Records one event of the tenant in the caller's transaction; {@code data} holds the type's fields. */
    public Uni<Void> record(SqlClient sql, String tenant, String type, String continuationId, ObjectNode data) {
        return sql.preparedQuery("INSERT INTO events (tenant, type, continuation_id, data) VALUES ($1, $2, $3, $4::text::jsonb)")
                .execute(Tuple.of(tenant, type, continuationId, data.toString())).replaceWithVoid();
    }

    /**
     * A CTE for the append statement: one {@code message.appended} per message its CTE {@code messages} inserted into
     * the session its CTE {@code session} updated, in seq order; {@code tenant} is the statement's tenant parameter.
     * Never the content or reasoning: a reader fetches those through the API with its key.
     */
    public static String messagesAppended(String session, String messages, String tenant) {
        return "INSERT INTO events (tenant, type, continuation_id, data) SELECT " + tenant + ", 'message.appended', "
                + session + ".continuation_id, jsonb_build_object('continuation_id', " + session + ".continuation_id, 'seq', "
                + messages + ".seq, 'role', " + messages + ".role, 'token_count', " + messages + ".token_count, 'tool_name', "
                + messages + ".tool_name, 'model', " + messages + ".model, 'provider', " + messages + ".provider) FROM "
                + session + ", " + messages + " ORDER BY " + messages + ".seq";
    }

    /**
     * A statement that records one event of {@code type} per row of the data-modifying CTE {@code rows}, which
     * returns {@code tenant} and {@code continuation_id}: for changes made by one statement (deleting expired sessions).
     */
    public static String sessionEvents(String rows, String type) {
        return "INSERT INTO events (tenant, type, continuation_id, data) SELECT tenant, '" + type + "', continuation_id,"
                + " jsonb_build_object('continuation_id', continuation_id) FROM " + rows;
    }
}
