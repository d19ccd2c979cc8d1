package dev.exai.store.file;

import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Cipher;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Files by name in buckets, the namespace the Supabase door's Storage exposes. An object is a file: its bytes are a
 * blob stored once per content, {@code GET /files} lists it, and the file's limits apply (the service's byte limit,
 * and the bucket's own). Every change is one transaction that also frees the blobs no file names any more, under the
 * blob locks {@link FileService} takes. Problems carry slugs the door words in Storage's terms:
 * {@code bucket-not-found}, {@code object-not-found}, {@code duplicate}, {@code bucket-not-empty},
 * {@code invalid-mime-type}, {@code too-large}.
 */
@ApplicationScoped
public class ObjectService {

    private static final Duration BLOB_BOUND = Duration.ofMinutes(5);

    private final Database db;
    private final ObjectStore store;
    private final FileStore files;
    private final BlobStore blobs;
    private final FileBytes bytes;
    private final FileCache cache;
    private final BlobStoreProducer blobStores;
    private final EventOutbox events;
    private final AuditTrail audit;
    private final Cipher cipher;
    private final long maxBytes;

    public ObjectService(Database db, ObjectStore store, FileStore files, BlobStore blobs, FileBytes bytes, FileCache cache,
                         BlobStoreProducer blobStores, Cipher cipher, EventOutbox events, AuditTrail audit, StoreConfig config) {
        this.bytes = bytes;
        this.cipher = cipher;
        this.audit = audit;
        this.db = db;
        this.events = events;
        this.blobStores = blobStores;
        this.store = store;
        this.files = files;
        this.blobs = blobs;
        this.cache = cache;
        this.maxBytes = config.files().maxBytes();
    }

    public Uni<Bucket> createBucket(Principal caller, Bucket bucket) {
        return db.inTransaction(conn -> store.insertBucket(conn, caller.tenant(), bucket))
                .onFailure(ObjectService::isUniqueViolation).transform(e -> duplicate("bucket " + bucket.id()));
    }

    public Uni<Bucket> bucket(Principal caller, String id) {
        return db.run(pool -> store.bucket(pool, caller.tenant(), id, false)).onItem().ifNull().failWith(() -> bucketNotFound(id));
    }

    public Uni<List<Bucket>> buckets(Principal caller) {
        return store.buckets(caller.tenant());
    }

    public Uni<Bucket> updateBucket(Principal caller, Bucket bucket) {
        return db.inTransaction(conn -> store.updateBucket(conn, caller.tenant(), bucket))
                .onFailure(ObjectService::isUniqueViolation).transform(e -> duplicate("public bucket " + bucket.id()))
                .onItem().ifNull().failWith(() -> bucketNotFound(bucket.id()));
    }

    /** Deletes every object of the bucket; answers how many went. */
    public Uni<Integer> emptyBucket(Principal caller, String id) {
        return remove(caller, id, null).map(List::size);
    }

    /** Deletes an empty bucket; one that holds objects is a 409 {@code bucket-not-empty}. */
    public Uni<Void> deleteBucket(Principal caller, String id) {
        return db.inTransaction(conn -> store.bucket(conn, caller.tenant(), id, false)
                .onItem().ifNull().failWith(() -> bucketNotFound(id))
                .chain(found -> store.deleteBucket(conn, caller.tenant(), id))
                .invoke(deleted -> {
                    if (!deleted) {
                        throw new ProblemException(409, "bucket-not-empty", "Conflict", "the bucket " + id + " is not empty");
                    }
                })).replaceWithVoid();
    }

    /** The tenant of a public bucket, for reads without a key; 404 {@code bucket-not-found} when none is public by that id. */
    public Uni<Principal> publicReader(String bucket) {
        return store.publicBucketTenant(bucket).onItem().ifNull().failWith(() -> bucketNotFound(bucket))
                .map(tenant -> new Principal(tenant, "public"));
    }

    /**
     * Stores a received upload as the object {@code name} of the bucket: a 409 {@code duplicate} when the name is
     * taken, unless {@code upsert}, which replaces that object (its file goes, its blob too when unused). The upload
     * file is consumed or deleted whatever happens.
     */
    public Uni<StoredObject> put(Principal caller, String bucketId, String name, boolean upsert, IncomingUpload.Received received) {
        String tenant = caller.tenant();
        String type = ContentTypes.decide(received.claimedType(), received.head(), received.head().length);
        NewFile file = new NewFile(filenameOf(name), type, received.size(), received.sha256(), null, null, null, received.path(),
                received.blob(), null, bucketId, name);
        return db.inTransaction(BLOB_BOUND, conn -> store.bucket(conn, tenant, bucketId, true)
                        .onItem().ifNull().failWith(() -> bucketNotFound(bucketId))
                        .invoke(bucket -> admit(bucket, file))
                        .chain(bucket -> upsert ? store.delete(conn, tenant, bucketId, List.of(name))
                                : store.find(conn, tenant, bucketId, name).invoke(taken -> {
                                    if (taken != null) {
                                        throw duplicate("object " + name);
                                    }
                                }).replaceWith(List.<StoredObject>of()))
                        .chain(replaced -> lockBlobs(conn, file.blob(), replaced)
                                .chain(() -> FileService.blocking(() -> {
                                    blobs.put(file.blob(), file.upload());
                                    return null;
                                }))
                                .chain(() -> files.insert(conn, tenant, file))
                                .call(() -> deleted(conn, tenant, replaced))
                                .call(created -> events.record(conn, tenant, "file.created", null, FileService.fileData(created)))
                                .call(() -> freeBlobs(conn, replaced))
                                .call(() -> evict(tenant, replaced))))
                .onFailure(ObjectService::isUniqueViolation).transform(e -> duplicate("object " + name))
                .eventually(() -> IncomingUpload.deleteQuietly(received.path()))
                .map(stored -> new StoredObject(bucketId, name, stored));
    }

    /**
     * Starts receiving the paused request's body (raw, or the first file part of a multipart form) into the uploads
     * directory, within the service's byte limit; the bucket's own limit is checked when the object is stored.
     */
    public Future<IncomingUpload.Received> receive(RoutingContext ctx, Vertx vertx, Principal caller, String rawFilename) {
        return IncomingUpload.start(ctx, vertx, blobStores.uploads(), cipher, caller.tenant(), maxBytes,
                "the object is larger than " + maxBytes + " bytes (EXAI_STORE_FILES_MAX_BYTES)", null, rawFilename);
    }

    public Uni<StoredObject> find(Principal caller, String bucket, String name) {
        return db.run(pool -> store.bucket(pool, caller.tenant(), bucket, false))
                .onItem().ifNull().failWith(() -> bucketNotFound(bucket))
                .chain(found -> store.find(caller.tenant(), bucket, name))
                .onItem().ifNull().failWith(() -> objectNotFound(name))
                .map(file -> new StoredObject(bucket, name, file));
    }

    /** Deletes the named objects (every one of the bucket when {@code names} is null); answers those that existed. */
    public Uni<List<StoredObject>> remove(Principal caller, String bucket, List<String> names) {
        String tenant = caller.tenant();
        return db.inTransaction(BLOB_BOUND, conn -> store.bucket(conn, tenant, bucket, true)
                        .onItem().ifNull().failWith(() -> bucketNotFound(bucket))
                        .chain(found -> store.delete(conn, tenant, bucket, names))
                        .call(gone -> deleted(conn, tenant, gone))
                        .call(gone -> audited(conn, caller, gone))
                        .call(gone -> freeBlobs(conn, gone)))
                .call(gone -> evict(tenant, gone));
    }

    /** One audit row per object removed, in the removal's transaction. */
    private Uni<Void> audited(SqlConnection sql, Principal caller, List<StoredObject> gone) {
        Uni<Void> recorded = Uni.createFrom().voidItem();
        for (StoredObject object : gone) {
            recorded = recorded.chain(() -> audit.record(sql, caller, "file.delete", "object " + object.bucket() + "/" + object.name(), null));
        }
        return recorded;
    }

    /** Renames an object within its bucket; 404 when it is not there, 409 when the new name is taken. */
    public Uni<StoredObject> move(Principal caller, String bucket, String from, String to) {
        return db.inTransaction(conn -> store.rename(conn, caller.tenant(), bucket, from, to, filenameOf(to)))
                .onFailure(ObjectService::isUniqueViolation).transform(e -> duplicate("object " + to))
                .onItem().ifNull().failWith(() -> objectNotFound(from))
                .call(file -> cache.evict(caller.tenant(), UUID.fromString(file.id())))
                .map(file -> new StoredObject(bucket, to, file));
    }

    /** A second object with the same bytes (stored once); 404 when the source is not there, 409 when the name is taken. */
    public Uni<StoredObject> copy(Principal caller, String bucket, String from, String to) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> store.find(conn, tenant, bucket, from)
                        .onItem().ifNull().failWith(() -> objectNotFound(from))
                        .chain(source -> files.lockBlob(conn, source.blob())
                                .chain(() -> store.copy(conn, tenant, bucket, source, to, filenameOf(to)))
                                .call(copy -> events.record(conn, tenant, "file.created", null, FileService.fileData(copy)))))
                .onFailure(ObjectService::isUniqueViolation).transform(e -> duplicate("object " + to))
                .map(file -> new StoredObject(bucket, to, file));
    }

    /** A level of the bucket below {@code prefix}: objects and sub-folders; see {@link ObjectStore#list}. */
    public Uni<List<StoredObject>> list(Principal caller, String bucket, String prefix, String search, String column, boolean descending,
                                        int limit, int offset) {
        String folder = prefix == null || prefix.isEmpty() || prefix.endsWith("/") ? (prefix == null ? "" : prefix) : prefix + "/";
        return db.run(pool -> store.bucket(pool, caller.tenant(), bucket, false))
                .onItem().ifNull().failWith(() -> bucketNotFound(bucket))
                .chain(found -> store.list(caller.tenant(), bucket, folder, search == null || search.isEmpty() ? null : search, column,
                        descending, limit, offset));
    }

    /** A byte range of the object's bytes as a response entity. */
    public Uni<Object> read(FileView file, long offset, long length) {
        return FileService.blocking(() -> bytes.read(file, offset, length));
    }

    private void admit(Bucket bucket, NewFile file) {
        long limit = bucket.fileSizeLimit() == null ? maxBytes : Math.min(maxBytes, bucket.fileSizeLimit());
        if (file.size() > limit) {
            throw ProblemException.tooLarge("the object is " + file.size() + " bytes; bucket " + bucket.id() + " takes at most " + limit);
        }
        if (!bucket.takes(file.contentType())) {
            throw new ProblemException(415, "invalid-mime-type", "Unsupported Media Type", "mime type " + file.contentType()
                    + " is not supported by bucket " + bucket.id());
        }
    }

    /** Locks the blobs of the new bytes and of the replaced objects, in one order, so two writers never deadlock. */
    private Uni<Void> lockBlobs(SqlConnection conn, String blob, List<StoredObject> replaced) {
        TreeSet<String> names = new TreeSet<>(List.of(blob));
        replaced.forEach(o -> names.add(o.file().blob()));
        Uni<Void> locked = Uni.createFrom().voidItem();
        for (String name : names) {
            locked = locked.chain(() -> files.lockBlob(conn, name));
        }
        return locked;
    }

    /** The change feed's {@code file.deleted} for each object's file that went. */
    private Uni<Void> deleted(SqlConnection conn, String tenant, List<StoredObject> gone) {
        Uni<Void> recorded = Uni.createFrom().voidItem();
        for (StoredObject o : gone) {
            recorded = recorded.chain(() -> events.record(conn, tenant, "file.deleted", null, FileService.fileData(o.file())));
        }
        return recorded;
    }

    /** Deletes the blobs of deleted files that no file names any more (taking each blob's lock first). */
    private Uni<Void> freeBlobs(SqlConnection conn, List<StoredObject> gone) {
        Uni<Void> freed = Uni.createFrom().voidItem();
        for (String blob : new TreeSet<>(gone.stream().map(o -> o.file().blob()).toList())) {
            freed = freed.chain(() -> bytes.freeIfUnused(conn, blob));
        }
        return freed;
    }

    private Uni<Void> evict(String tenant, List<StoredObject> gone) {
        Uni<Void> evicted = Uni.createFrom().voidItem();
        for (StoredObject o : gone) {
            evicted = evicted.chain(() -> cache.evict(tenant, UUID.fromString(o.file().id())));
        }
        return evicted;
    }

    /** The file name of an object: its last path segment. */
    private static String filenameOf(String name) {
        String last = FileResource.lastSegment(name);
        return last.isEmpty() ? name : last;
    }

    private static boolean isUniqueViolation(Throwable e) {
        return e instanceof PgException pg && "23505".equals(pg.getSqlState());
    }

    private static ProblemException duplicate(String what) {
        return new ProblemException(409, "duplicate", "Conflict", what + " already exists");
    }

    private static ProblemException bucketNotFound(String id) {
        return new ProblemException(404, "bucket-not-found", "Not found", "bucket " + id + " does not exist");
    }

    private static ProblemException objectNotFound(String name) {
        return new ProblemException(404, "object-not-found", "Not found", "object " + name + " does not exist");
    }
}
