package dev.exai.store.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;

/**
 * The audit trail's writer, the seam every room records its destructive and security acts through: each row is
 * written on the caller's connection, in the act's own transaction, so an act whose row cannot be written does not
 * happen; or, for acts made by one statement, as a CTE of that statement ({@link #rowsGone}). A row names the act,
 * its object, the tenant, the key id (never the key), the request id and the client address.
 */
@ApplicationScoped
public class AuditTrail {

    /** The key id of acts the service makes on its own (the expiry purge). */
    public static final String SYSTEM = "system";

    private final Database db;

    public AuditTrail(Database db) {
        this.db = db;
    }

    /** Records an act of {@code who} on {@code object}, in the caller's transaction. */
    public Uni<Void> record(SqlClient sql, Principal who, String action, String object, ObjectNode detail) {
        return sql.preparedQuery("INSERT INTO audit_log (tenant, key_id, action, object, request_id, client_address, detail)"
                        + " VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)")
                .execute(Tuple.from(Arrays.asList(who.tenant(), who.keyId(), action, object, who.requestId(), who.address(),
                        detail == null ? null : detail.toString())))
                .replaceWithVoid();
    }

    /** Records an act that belongs to no transaction of its own (a burst of failed authentications). */
    Uni<Void> record(Principal who, String action, String object, ObjectNode detail) {
        return db.run(pool -> record(pool, who, action, object, detail));
    }

    /**
     * A CTE body for a statement that deletes sessions on its own: one {@code action} row by the service for each row
     * ({@code tenant}, {@code continuation_id}) of the CTE {@code rows}.
     */
    public static String rowsGone(String rows, String action) {
        return "INSERT INTO audit_log (tenant, key_id, action, object) SELECT tenant, '" + SYSTEM + "', '" + action
                + "', 'session ' || continuation_id FROM " + rows;
    }
}
