package dev.exai.store.supabase;

import dev.exai.store.common.ProblemException;
import dev.exai.store.session.MessageRowService;
import dev.exai.store.session.SessionService;
import io.vertx.pgclient.PgException;

/** Failures of the services turned into what PostgREST would have answered for the same fault. */
final class DoorFailures {

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
            // a value the cast refused (22P02 invalid input syntax, 22007 a bad timestamp, ...): PostgreSQL's own words
            int status = pg.getSqlState().startsWith("23") ? 409 : 400;
            return new PostgrestError(status, pg.getSqlState(), pg.getErrorMessage(), pg.getDetail(), pg.getHint());
        }
        if (failure instanceof ProblemException problem) {
            String code = problem.status() == 503 ? "PGRST001" : problem.status() == 404 ? "PGRST116" : "P0001";
            return new PostgrestError(problem.status(), code, problem.getMessage(), null, null);
        }
        return failure;
    }
}
