package dev.exai.store.events;

import dev.exai.store.common.Database;
import dev.exai.store.common.StoreConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Announces new events and deletes old ones. Every {@code exai-store.events.stamp-every} (50 ms) each instance with a
 * stream open asks one indexed question (an instance without streams asks nothing, so an idle feed costs nothing): which is the newest transaction with events that is complete (below the oldest running
 * transaction)? When it is newer than {@code event_stamp.seen}, the same statement moves {@code seen} and sends
 * {@code exai_events}, which wakes the streams of every replica ({@link EventSignals}); the row lock makes one
 * announcement per step whichever replica sees it first. Writers do not notify: a NOTIFY in every append's commit
 * serialises commits (measured at 1.9x PostgreSQL CPU per append, bench/results/events-outbox-2026-12-07.md).
 */
@ApplicationScoped
class EventNotifier {

    private static final Logger LOG = Logger.getLogger(EventNotifier.class);
    private static final String ANNOUNCE = "WITH ready AS (SELECT xid FROM events WHERE xid < pg_snapshot_xmin(pg_current_snapshot())"
            + " ORDER BY xid DESC LIMIT 1) UPDATE event_stamp SET seen = ready.xid FROM ready WHERE one = 1 AND ready.xid > seen"
            + " RETURNING pg_notify('exai_events', ready.xid::text)";
    /** Whole transactions at a time, a bounded number of rows a statement (PostgreSQL 15 has no max() of xid8). */
    private static final String PURGE = "WITH oldest AS (SELECT xid, at FROM events ORDER BY xid, seq LIMIT 5000),"
            + " cut AS (SELECT xid FROM oldest WHERE at < now() - $1 * interval '1 second' ORDER BY xid DESC LIMIT 1),"
            + " gone AS (DELETE FROM events WHERE xid <= (SELECT xid FROM cut) RETURNING xid)"
            + " UPDATE event_stamp SET purged_id = greatest(purged_id, coalesce(((SELECT xid FROM gone ORDER BY xid DESC LIMIT 1)::text::bigint << "
            + EventFeed.ORDINAL_BITS + ") | " + EventFeed.ORDINAL_MASK + ", 0)) WHERE one = 1 RETURNING (SELECT count(*) FROM gone)";

    private final Database db;
    private final EventSignals signals;
    private final long retentionSeconds;
    private final long everyMs;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Runnable stopTimer = () -> { };

    EventNotifier(Database db, EventSignals signals, StoreConfig config) {
        this.db = db;
        this.signals = signals;
        this.everyMs = config.events().stampEvery().toMillis();
        this.retentionSeconds = config.events().retention().toSeconds();
    }

    void start(@Observes StartupEvent event, Vertx vertx) {
        long timer = vertx.setPeriodic(everyMs, id -> announce());
        stopTimer = () -> vertx.cancelTimer(timer);
    }

    /** The probe stops before the beans it calls are gone (a tick after shutdown failed on the stopped container). */
    void stop(@Observes ShutdownEvent event) {
        stopTimer.run();
    }

    /** One probe at a time: a tick that finds the previous one still running, or no stream to wake, is skipped. */
    private void announce() {
        if (!signals.anyListener() || !running.compareAndSet(false, true)) {
            return;
        }
        db.run(pool -> pool.preparedQuery(ANNOUNCE).execute()).subscribe().with(done -> running.set(false), failure -> {
            LOG.debugf("announcing events failed: %s", failure.toString());
            running.set(false);
        });
    }

    /** Deletes the transactions whose events are older than the retention, and remembers the highest id deleted. */
    @Scheduled(every = "${exai-store.events.purge-every:1m}", delayed = "20s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        return db.run(pool -> pool.preparedQuery(PURGE).execute(Tuple.of(retentionSeconds)))
                .chain(rows -> rows.iterator().next().getLong(0) > 0 ? purge() : Uni.createFrom().voidItem())
                .onFailure().invoke(e -> LOG.warnf("purging old events failed: %s", e.toString()))
                .onFailure().recoverWithNull();
    }
}
