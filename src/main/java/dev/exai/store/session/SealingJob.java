package dev.exai.store.session;

import dev.exai.store.security.Cipher;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * With encryption on, seals the rows written before it was turned on ({@link PlainRows}), in committed batches of
 * {@value #BATCH}, until none is left: reads open plain and sealed rows alike meanwhile. Several replicas running it
 * at once only share the work (a row sealed twice is sealed once more, never lost).
 */
@ApplicationScoped
public class SealingJob {

    private static final Logger LOG = Logger.getLogger(SealingJob.class);
    private static final int BATCH = 500;
    /** Batches one pass may run, so a large store is sealed over several passes without one holding on. */
    private static final int BATCHES_PER_PASS = 40;

    private final PlainRows rows;
    private final Cipher cipher;

    public SealingJob(PlainRows rows, Cipher cipher) {
        this.rows = rows;
        this.cipher = cipher;
    }

    @Scheduled(every = "${exai-store.encryption.seal-every:10s}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> pass() {
        if (!cipher.enabled()) {
            return Uni.createFrom().voidItem();
        }
        return batches(0, 0)
                .invoke(sealed -> {
                    if (sealed > 0) {
                        LOG.infof("sealed %d rows written before encryption at rest was on", sealed);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("sealing older rows failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    private Uni<Integer> batches(int done, int sealed) {
        if (done == BATCHES_PER_PASS) {
            return Uni.createFrom().item(sealed);
        }
        return rows.sealMessages(BATCH)
                .chain(messages -> rows.sealPieces(BATCH).chain(pieces -> rows.sealTitles(BATCH)
                        .chain(titles -> {
                            int now = messages + pieces + titles;
                            return now == 0 ? Uni.createFrom().item(sealed) : batches(done + 1, sealed + now);
                        })));
    }
}
