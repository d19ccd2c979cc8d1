package dev.exai.store.supabase;

import dev.exai.store.common.ProblemException;
import dev.exai.store.session.MessageRowService;
import dev.exai.store.session.SessionService;
import io.vertx.pgclient.PgException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Failures of the services turned into what PostgREST would have answered for the same fault. */
final class DoorFailures {

    /** A key in PostgreSQL's detail of a door table, whose first column is the tenant's: "Key (tenant, c)=(t, v)". */
    private static final Pattern KEY = Pattern.compile("Key \\(tenant, (.*)\\)=\\([^,]*, (.*)\\)");

    private DoorFailures() {
    }

    /** What PostgREST would answer, for a request on {@code table}. */
    static Throwable translate(DoorTable table, Throwable failure) {
        if (failure instanceof PostgrestError) {
            return failure;
        }
        if (failure instanceof SessionService.SessionTaken taken) {
            return PostgrestError.duplicate(table.name() + "_continuation_id_key", "continuation_id", taken.continuationId());
        }
        if (failure instanceof MessageRowService.ClientKeyTaken taken) {
            return PostgrestError.duplicate("messages_idempotency_key_key", "idempotency_key", taken.key());
        }
        if (failure instanceof MessageRowService.UnknownSession unknown) {
            boolean exai = table.name().equals("messages");
            return PostgrestError.missingParent(table.name(), exai ? "conversation_id" : "session_id", unknown.id().toString(),
                    exai ? "conversations" : "chat_sessions");
        }
        if (failure instanceof PgException pg && pg.getSqlState() != null) {
            if (pg.getSqlState().equals("23503") && pg.getConstraint() != null) {
                // a link to a files row the tenant does not have (the key is (tenant, file_id)): as PostgREST words it
                String column = pg.getConstraint().replaceFirst("^" + table.name() + "_", "").replaceFirst("_fkey$", "");
                Matcher key = KEY.matcher(pg.getDetail() == null ? "" : pg.getDetail());
                return PostgrestError.missingParent(table.name(), column, key.find() ? key.group(2) : "",
                        column.equals("file_id") ? "files" : "conversations");
            }
            // a value the cast refused (22P02 invalid input syntax, 22007 a bad timestamp, ...) or a key clash:
            // PostgreSQL's own words, with the door's tables named as the client knows them and the tenant left out
            int status = pg.getSqlState().startsWith("23") ? 409 : 400;
            String detail = pg.getDetail() == null ? null : KEY.matcher(pg.getDetail()).replaceFirst("Key ($1)=($2)");
            return new PostgrestError(status == 409 && pg.getSqlState().equals("23502") ? 400 : status, pg.getSqlState(),
                    pg.getErrorMessage().replace("\"door_", "\""), detail, pg.getHint());
        }
        if (failure instanceof ProblemException problem) {
            String code = problem.status() == 503 ? "PGRST001" : problem.status() == 404 ? "PGRST116" : "P0001";
            return new PostgrestError(problem.status(), code, problem.getMessage(), null, null);
        }
        return failure;
    }
}
