package dev.exai.store.events;

import dev.exai.store.common.Database;
import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Gives events their feed ids. An event's id is taken only once the transaction that wrote it is complete (its xid is
 * below the oldest running one), by one stamper at a time (a transaction-scoped advisory lock), numbering the ready
 * events in insertion order after the last id given. So ids grow in the order events became visible, and a reader
 * that has read id N can never later meet an id below N: the outbox trap, where a sequence hands out 41 to a slow
 * transaction that commits after 42 was served, cannot happen. After numbering it notifies {@code exai_events}
 * with the last id, which wakes the streams of every replica. It looks for unnumbered events every
 * {@code exai-store.events.stamp-every} (20 ms; one indexed probe when there are none): writers do not notify, since a
 * NOTIFY in every append's commit cost more than the whole outbox. It also deletes events past the retention.
 */
@ApplicationScoped
public class EventStamper {

    private static final Logger LOG = Logger.getLogger(EventStamper.class);
    private static final long LOCK = 0x65786169L; // "exai"
    private static final String STAMP = "WITH ready AS (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events"
            + " WHERE id IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY seq LIMIT 5000),"
            + " base AS (SELECT last_id FROM event_stamp WHERE one = 1),"
            + " stamped AS (UPDATE events e SET id = base.last_id + ready.n, at = now() FROM ready, base WHERE e.seq = ready.seq RETURNING 1),"
            + " moved AS (UPDATE event_stamp SET last_id = last_id + (SELECT count(*) FROM stamped) WHERE one = 1 RETURNING last_id)"
            + " SELECT last_id, (SELECT count(*) FROM stamped) AS n, CASE WHEN (SELECT count(*) FROM stamped) > 0"
            + " THEN pg_notify('exai_events', last_id::text) END FROM moved";

    private final Database db;
    private final long retentionSeconds;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private final long stampEveryMs;

    public EventStamper(Database db, StoreConfig config) {
        this.db = db;
        this.stampEveryMs = config.events().stampEvery().toMillis();
        this.retentionSeconds = config.events().retention().toSeconds();
    }

    /** Asks for a stamping run; runs asked for while one is going become one more run after it. */
    void request() {
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        stampAll().subscribe().with(done -> finished(), failure -> {
            LOG.debugf("stamping events failed: %s", failure.toString());
            finished();
        });
    }

    private void finished() {
        running.set(false);
        if (again.getAndSet(false)) {
            request();
        }
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        vertx.setPeriodic(stampEveryMs, id -> request());
    }

    /** Numbers ready events, batch after batch, until none is left; another replica stamping meanwhile skips this one. */
    Uni<Void> stampAll() {
        return db.run(pool -> pool.query("SELECT EXISTS (SELECT 1 FROM events WHERE id IS NULL)").execute())
                .chain(rows -> rows.iterator().next().getBoolean(0) ? stampReady() : Uni.createFrom().voidItem());
    }

    private Uni<Void> stampReady() {
        return db.inTransaction(conn -> conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1)").execute(Tuple.of(LOCK))
                        .chain(locked -> locked.iterator().next().getBoolean(0)
                                ? conn.query(STAMP).execute().map(rows -> rows.iterator().next().getLong("n"))
                                : Uni.createFrom().item(0L)))
                .chain(n -> n >= 5000 ? stampReady() : Uni.createFrom().voidItem());
    }

    /** Deletes events older than the retention (always a prefix of ids) and remembers the highest id deleted. */
    @Scheduled(every = "${exai-store.events.purge-every:1m}", delayed = "20s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        return db.inTransaction(conn -> conn.preparedQuery("WITH cut AS (SELECT max(id) AS id FROM events WHERE id IS NOT NULL"
                        + " AND at < now() - $1 * interval '1 second'), gone AS (DELETE FROM events WHERE id <= (SELECT id FROM cut) RETURNING id)"
                        + " UPDATE event_stamp SET purged_id = greatest(purged_id, coalesce((SELECT max(id) FROM gone), 0)) WHERE one = 1")
                .execute(Tuple.of(retentionSeconds))).replaceWithVoid()
                .onFailure().invoke(e -> LOG.warnf("purging old events failed: %s", e.toString()))
                .onFailure().recoverWithNull();
    }
}
