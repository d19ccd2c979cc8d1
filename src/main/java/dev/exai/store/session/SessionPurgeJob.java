package dev.exai.store.session;

import dev.exai.store.common.StoreConfig;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Deletes sessions whose TTL ran out (reads already answer 404 for them) and forgets old idempotency keys.
 * Deleting in batches keeps each statement short; several replicas running it at once only share the work.
 */
@ApplicationScoped
public class SessionPurgeJob {

    private static final Logger LOG = Logger.getLogger(SessionPurgeJob.class);
    private static final int BATCH = 1000;

    private final SessionRows sessions;
    private final MessageRows messages;
    private final long keyRetentionSeconds;

    public SessionPurgeJob(SessionRows sessions, MessageRows messages, StoreConfig config) {
        this.sessions = sessions;
        this.messages = messages;
        this.keyRetentionSeconds = config.messages().idempotencyRetention().toSeconds();
    }

    /** One purge pass: run by the scheduler, and by tests that need it now. */
    @Scheduled(every = "${exai-store.sessions.purge-every:1m}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> purge() {
        return sessions.purgeExpired(BATCH)
                .chain(sessions -> messages.purgeKeys(keyRetentionSeconds).invoke(keys -> {
                    if (sessions > 0 || keys > 0) {
                        LOG.infof("purged %d expired sessions and %d old idempotency keys", sessions, keys);
                    }
                }))
                .onFailure().invoke(e -> LOG.warnf("session purge failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
