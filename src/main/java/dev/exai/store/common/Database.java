package dev.exai.store.common;

import io.smallrye.mutiny.Uni;
import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.ConnectException;
import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The PostgreSQL pool with the service's failure policy applied once: every unit of work is bounded by
 * {@code exai-store.db.timeout}, and a lost or refused connection, or a server that refuses writes (read-only, out of
 * disk), becomes a 503 problem that says which, instead of a hang or a 500.
 * A timed-out transaction is rolled back by PostgreSQL when its connection goes, so nothing half-written remains.
 */
@ApplicationScoped
public class Database {

    private static final Logger LOG = Logger.getLogger(Database.class);

    private final Pool pool;
    private final Duration timeout;
    private volatile Refusal lastRefusal;

    public Database(Pool pool, StoreConfig config) {
        this.pool = pool;
        this.timeout = config.db().timeout();
    }

    /** Runs {@code work} on one connection inside a transaction. */
    public <T> Uni<T> inTransaction(Function<SqlConnection, Uni<T>> work) {
        return guard(pool.withTransaction(work), timeout);
    }

    /** The same with another bound, for units of work that include slow I/O (storing a large blob). */
    public <T> Uni<T> inTransaction(Duration bound, Function<SqlConnection, Uni<T>> work) {
        return guard(pool.withTransaction(work), bound);
    }

    /** Runs {@code work} against the pool, one statement at a time (no transaction). */
    public <T> Uni<T> run(Function<Pool, Uni<T>> work) {
        return guard(Uni.createFrom().deferred(() -> work.apply(pool)), timeout);
    }

    private <T> Uni<T> guard(Uni<T> work, Duration bound) {
        return work.ifNoItem().after(bound)
                .failWith(() -> ProblemException.unavailable("PostgreSQL did not answer within " + bound.toMillis() + " ms"))
                .onFailure(Database::isUnreachable).transform(e -> {
                    LOG.warnf("PostgreSQL unavailable: %s", e.toString());
                    return ProblemException.unavailable("PostgreSQL is unavailable; retry later");
                })
                .onFailure(e -> refusal(e) != null).transform(e -> {
                    String detail = refusal(e);
                    LOG.warnf("PostgreSQL refused a write: %s", e.toString());
                    lastRefusal = new Refusal(detail, Instant.now());
                    return ProblemException.unavailable(detail);
                });
    }

    /** The last time PostgreSQL refused a write, and why; readiness reports it for a while. */
    public Refusal lastRefusal() {
        return lastRefusal;
    }

    /** Why PostgreSQL refused a statement that a healthy primary would take, or null for any other failure. */
    static String refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && pg.getSqlState() != null) {
                if (pg.getSqlState().equals("25006")) {
                    return "PostgreSQL is read-only (a standby, or default_transaction_read_only is on) and refuses writes; retry later";
                }
                if (pg.getSqlState().startsWith("53")) {
                    return "PostgreSQL refuses writes, out of resources (" + pg.getSqlState()
                            + ": disk full, out of memory or too many connections); retry later";
                }
            }
        }
        return null;
    }

    /** A write PostgreSQL refused: what the client was told, and when. */
    public record Refusal(String detail, Instant at) {
    }

    /** Connection-level failures (refused, reset, closed, server shutting down) as opposed to a bad statement. */
    static boolean isUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketException || t instanceof ClosedConnectionException) {
                return true;
            }
            if (t instanceof PgException pg && pg.getSqlState() != null
                    && (pg.getSqlState().startsWith("08") || pg.getSqlState().startsWith("57P"))) {
                return true;
            }
            if ((t instanceof VertxException || t instanceof NoStackTraceThrowable)
                    && t.getMessage() != null && t.getMessage().contains("onnection")) {
                // e.g. "Connection is not active now, current status: CLOSED" from a pooled connection whose backend
                // was terminated between checkout and use
                return true;
            }
        }
        return false;
    }
}
