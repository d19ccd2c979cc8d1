package dev.exai.store.events;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/**
 * PostgreSQL's LISTEN on one connection of the pool (so it follows the pool to the writable server after a
 * failover): {@code exai_events}, which the notifier of any replica sends when events are complete, wakes every open
 * stream of this one. A lost connection is replaced after a second, and then every stream is woken, so nothing sent
 * meanwhile is missed: streams read from their last id.
 */
@ApplicationScoped
class EventSignals {

    private static final Logger LOG = Logger.getLogger(EventSignals.class);

    private final Pool pool;
    private final Vertx vertx;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile SqlConnection listening;
    private volatile boolean stopped;

    EventSignals(Pool pool, Vertx vertx) {
        this.pool = pool;
        this.vertx = vertx;
    }

    /** Runs {@code wake} whenever new events may be readable. */
    void onNewEvents(Runnable wake) {
        listeners.add(wake);
    }

    void removeListener(Runnable wake) {
        listeners.remove(wake);
    }

    /** Whether a stream of this instance is waiting for events. */
    boolean anyListener() {
        return !listeners.isEmpty();
    }

    void start(@Observes StartupEvent event) {
        listen();
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        SqlConnection conn = listening;
        if (conn != null) {
            conn.closeAndForget();
        }
    }

    private void listen() {
        if (stopped) {
            return;
        }
        pool.getConnection().subscribe().with(conn -> {
            PgConnection pg = PgConnection.cast(conn);
            pg.notificationHandler(n -> wakeAll());
            pg.closeHandler(() -> {
                listening = null;
                retry();
            });
            conn.query("LISTEN exai_events").execute().subscribe().with(done -> {
                listening = conn;
                wakeAll();
            }, failure -> {
                conn.closeAndForget();
            });
        }, failure -> {
            LOG.debugf("cannot LISTEN for events yet: %s", failure.toString());
            retry();
        });
    }

    private void retry() {
        if (!stopped) {
            vertx.setTimer(1000, id -> listen());
        }
    }

    private void wakeAll() {
        listeners.forEach(Runnable::run);
    }
}
