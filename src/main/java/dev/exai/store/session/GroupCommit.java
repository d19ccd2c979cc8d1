package dev.exai.store.session;

import dev.exai.store.common.Database;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shares one transaction, and so one commit, between concurrent plain appends (no Idempotency-Key, no create), to
 * any sessions. An append that arrives while {@link #IN_FLIGHT} batches are being written waits for the next batch,
 * which takes everything waiting (up to {@link #MAX_BATCH}); alone, an append is written at once as its own statement,
 * as without this stage. A batch's statements are sent together on one connection (pipelined), ordered by session so
 * that concurrent batches lock session rows in the same order, and by arrival within a session, which keeps each
 * session's seq in arrival order and gapless. Nothing is acknowledged before its batch committed. A statement that
 * PostgreSQL refuses rolls its batch back, and then each member is written alone, so one bad append fails only itself;
 * any other failure (a lost connection, a timeout, a server that refuses writes) fails the batch's members with the
 * answer they would have had alone (their transaction may or may not have committed, exactly as for one statement,
 * and writing them again could duplicate them).
 */
@ApplicationScoped
class GroupCommit {

    static final int MAX_BATCH = 32;
    static final int IN_FLIGHT = 2;

    private final Database db;
    private final MessageRows rows;
    private final Queue<Member> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final DistributionSummary batchSizes;

    GroupCommit(Database db, MessageRows rows, MeterRegistry metrics) {
        this.db = db;
        this.rows = rows;
        this.batchSizes = DistributionSummary.builder("exai.store.append.batch")
                .description("Plain appends written per commit by group commit").register(metrics);
    }

    /** Appends as {@link MessageRows#append} does (null when no live session with room has that id), in a shared commit. */
    Uni<MessageRows.Appended> append(String tenant, String cid, List<NewMessage> messages, int[][] counts) {
        return Uni.createFrom().emitter(emitter -> {
            waiting.add(new Member(tenant, cid, messages, counts, emitter, Vertx.currentContext()));
            drain();
        });
    }

    private void drain() {
        while (!waiting.isEmpty()) {
            int running = inFlight.get();
            if (running >= IN_FLIGHT) {
                return; // the batch that ends next drains again
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            List<Member> batch = new ArrayList<>();
            for (Member next; batch.size() < MAX_BATCH && (next = waiting.poll()) != null; ) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            write(batch).subscribe().with(done -> finished(), failure -> finished());
        }
    }

    private void finished() {
        inFlight.decrementAndGet();
        drain();
    }

    private Uni<Void> write(List<Member> batch) {
        batchSizes.record(batch.size());
        if (batch.size() == 1) {
            return alone(batch.get(0));
        }
        batch.sort(Comparator.comparing(Member::tenant).thenComparing(Member::cid)); // stable: arrival order within a session
        return db.inTransaction(conn -> {
                    List<Uni<MessageRows.Appended>> statements = new ArrayList<>(batch.size());
                    for (Member m : batch) {
                        statements.add(rows.append(conn, m.tenant, m.cid, m.messages, m.counts[0], m.counts[1], null)
                                .onItem().ifNull().continueWith(NOT_APPENDED));
                    }
                    return Uni.join().all(statements).andFailFast();
                })
                .onItem().invoke(results -> {
                    for (int i = 0; i < batch.size(); i++) {
                        MessageRows.Appended result = results.get(i);
                        batch.get(i).complete(result == NOT_APPENDED ? null : result);
                    }
                })
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    if (!(failure instanceof PgException)) {
                        // unavailable, timed out, reset: the batch may have committed, so no member is written again
                        batch.forEach(m -> m.fail(failure));
                        return Uni.createFrom().voidItem();
                    }
                    // PostgreSQL refused a statement and the batch rolled back: write each member alone, so only the bad one fails
                    Uni<Void> each = Uni.createFrom().voidItem();
                    for (Member m : batch) {
                        each = each.chain(() -> alone(m));
                    }
                    return each;
                });
    }

    private Uni<Void> alone(Member m) {
        return db.run(pool -> rows.append(pool, m.tenant, m.cid, m.messages, m.counts[0], m.counts[1], null))
                .onItem().invoke(m::complete)
                .onFailure().invoke(m::fail)
                .replaceWithVoid()
                .onFailure().recoverWithNull();
    }

    /** Stands for "no row appended" among a batch's results, which cannot hold null. */
    private static final MessageRows.Appended NOT_APPENDED = new MessageRows.Appended(null, List.of(), false);

    /** One waiting append; its answer is given on the request's own Vert.x context (its request id, its event loop). */
    private record Member(String tenant, String cid, List<NewMessage> messages, int[][] counts,
                          UniEmitter<? super MessageRows.Appended> emitter, Context context) {

        void complete(MessageRows.Appended result) {
            answer(() -> emitter.complete(result));
        }

        void fail(Throwable failure) {
            answer(() -> emitter.fail(failure));
        }

        private void answer(Runnable answer) {
            if (context == null || context == Vertx.currentContext()) {
                answer.run();
            } else {
                context.runOnContext(ignored -> answer.run());
            }
        }
    }
}
