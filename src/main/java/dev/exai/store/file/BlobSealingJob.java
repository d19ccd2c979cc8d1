package dev.exai.store.file;

import dev.exai.store.common.Database;
import dev.exai.store.security.Cipher;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * With encryption on, seals what the files room stored before it was turned on: providers' extracted texts (a batch
 * each pass), and the blobs of files (a plain blob is named by its sha256), a file at a time: its bytes are sealed
 * under its tenant's data key into the tenant's blob, then, in one transaction under both blobs' locks, the file is
 * pointed at it and the plain blob deleted once no file names it. Reads open plain and sealed blobs alike meanwhile; a
 * file that fails (its key unusable, its blob unreadable) is logged and retried next pass.
 */
@ApplicationScoped
public class BlobSealingJob {

    private static final Logger LOG = Logger.getLogger(BlobSealingJob.class);
    private static final int BATCH = 20;
    private static final int TEXTS = 500;
    private static final Duration BLOB_BOUND = Duration.ofMinutes(5);

    private final Database db;
    private final FileStore store;
    private final BlobStore blobs;
    private final FileBytes bytes;
    private final Cipher cipher;

    public BlobSealingJob(Database db, FileStore store, BlobStore blobs, FileBytes bytes, Cipher cipher) {
        this.db = db;
        this.store = store;
        this.blobs = blobs;
        this.bytes = bytes;
        this.cipher = cipher;
    }

    @Scheduled(every = "${exai-store.encryption.seal-every:10s}", delayed = "7s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> pass() {
        if (!cipher.enabled()) {
            return Uni.createFrom().voidItem();
        }
        return store.sealTexts(TEXTS)
                .invoke(texts -> {
                    if (texts > 0) {
                        LOG.infof("sealed %d providers' extracted texts stored before encryption at rest was on", texts);
                    }
                })
                .chain(() -> store.plainFiles(BATCH))
                .chain(files -> {
                    Uni<Integer> sealed = Uni.createFrom().item(0);
                    for (FileStore.PlainFile file : files) {
                        sealed = sealed.chain(n -> seal(file).map(done -> done ? n + 1 : n)
                                .onFailure().recoverWithItem(e -> {
                                    LOG.warnf("the blob of file %s is not sealed yet, will retry: %s", file.id(), e.toString());
                                    return n;
                                }));
                    }
                    return sealed;
                })
                .invoke(sealed -> {
                    if (sealed > 0) {
                        LOG.infof("sealed the bytes of %d files stored before encryption at rest was on", sealed);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("sealing older blobs failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Seals one file's bytes; answers whether the file now names a sealed blob (not when it went meanwhile). */
    private Uni<Boolean> seal(FileStore.PlainFile file) {
        return cipher.ready(file.tenant())
                .chain(() -> FileService.blocking(() -> bytes.sealedCopy(file.tenant(), file.sha256(), file.size())))
                .chain(sealing -> db.inTransaction(BLOB_BOUND, conn -> lock(conn, file.sha256(), sealing.name())
                                .chain(() -> FileService.blocking(() -> {
                                    if (sealing.upload() != null) {
                                        blobs.put(sealing.name(), sealing.upload());
                                    }
                                    return null;
                                }))
                                .chain(() -> store.repoint(conn, file, sealing.name()))
                                .call(() -> bytes.freeIfUnused(conn, file.sha256()))
                                .call(() -> bytes.freeIfUnused(conn, sealing.name())))
                        .eventually(() -> {
                            if (sealing.upload() != null) {
                                IncomingUpload.deleteQuietly(sealing.upload());
                            }
                        }));
    }

    private Uni<Void> lock(SqlConnection conn, String plain, String sealed) {
        Uni<Void> locked = Uni.createFrom().voidItem();
        for (String name : new TreeSet<>(java.util.List.of(plain, sealed))) {
            locked = locked.chain(() -> store.lockBlob(conn, name));
        }
        return locked;
    }
}
