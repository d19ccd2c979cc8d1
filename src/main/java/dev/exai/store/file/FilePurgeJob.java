package dev.exai.store.file;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Deletes expired files, in batches, and with each the blob of its bytes once no other file names them. A file with a
 * provider upload in flight is skipped and deleted at a later run. Several replicas running it at once share the work.
 */
@ApplicationScoped
public class FilePurgeJob {

    private static final Logger LOG = Logger.getLogger(FilePurgeJob.class);
    private static final int BATCH = 500;

    private final FileService files;

    public FilePurgeJob(FileService files) {
        this.files = files;
    }

    @Scheduled(every = "${exai-store.files.purge-every:1m}", delayed = "15s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        return files.purgeExpired(BATCH)
                .invoke(count -> {
                    if (count > 0) {
                        LOG.infof("purged %d expired files", count);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("file purge failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
