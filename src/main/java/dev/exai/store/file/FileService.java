package dev.exai.store.file;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Tokens;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.provider.ModelProviders;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The files capability's units of work. Metadata is committed in PostgreSQL together with the blob it names
 * (under the blob's lock), cached in Redis, and provider work happens at most once per file and provider:
 * concurrent calls in this instance share one attempt, calls on other replicas wait on the (file, provider)
 * advisory lock that the attempt's transaction holds, and the stored provider file id and text answer every
 * later call.
 */
@ApplicationScoped
public class FileService {

    /** Storing or deleting a blob happens inside the unit of work; object storage may take a while for 50 MB. */
    private static final Duration BLOB_BOUND = Duration.ofMinutes(5);

    private final Database db;
    private final FileStore store;
    private final BlobStore blobs;
    private final FileBytes bytes;
    private final FileCache cache;
    private final ModelProviders providers;
    private final Map<String, Uni<?>> inFlight = new ConcurrentHashMap<>();

    private final Tokens tokens;
    private final EventOutbox events;
    private final AuditTrail audit;

    public FileService(Database db, FileStore store, BlobStore blobs, FileBytes bytes, FileCache cache, ModelProviders providers,
                       Tokens tokens, EventOutbox events, AuditTrail audit) {
        this.bytes = bytes;
        this.audit = audit;
        this.tokens = tokens;
        this.events = events;
        this.db = db;
        this.store = store;
        this.blobs = blobs;
        this.cache = cache;
        this.providers = providers;
    }

    /**
     * Turns a received upload into a file: blob stored (once per content), rows committed. With an idempotency key
     * already used for the same request, answers that file instead ({@code created} false); for another request, 422.
     * The upload file is consumed or deleted whatever happens.
     */
    public Uni<Stored> create(Principal caller, NewFile file, String requestHash) {
        String tenant = caller.tenant();
        return db.inTransaction(BLOB_BOUND, conn -> {
                    Uni<FileStore.KeyUse> used = file.idempotencyKey() == null ? Uni.createFrom().nullItem()
                            : store.lockKey(conn, tenant, file.idempotencyKey()).chain(() -> store.keyUse(conn, tenant, file.idempotencyKey()));
                    return used.chain(use -> {
                        if (use != null) {
                            if (!use.requestHash().equals(requestHash)) {
                                return Uni.createFrom().failure(ProblemException.unprocessable("idempotency-key-reused",
                                        "Idempotency-Key " + file.idempotencyKey() + " was already used for another upload"));
                            }
                            return store.find(conn, tenant, use.fileId()).map(existing -> new Stored(existing, false));
                        }
                        return store.lockBlob(conn, file.blob())
                                .chain(() -> blocking(() -> {
                                    blobs.put(file.blob(), file.upload());
                                    return null;
                                }))
                                .chain(() -> store.insert(conn, tenant, file))
                                .call(created -> events.record(conn, tenant, "file.created", created.sessionId(), fileData(created)))
                                .call(created -> file.idempotencyKey() == null ? Uni.createFrom().voidItem()
                                        : store.rememberKey(conn, tenant, file.idempotencyKey(), requestHash, UUID.fromString(created.id())))
                                .map(created -> new Stored(created, true));
                    });
                })
                .eventually(() -> blocking(() -> {
                    Files.deleteIfExists(file.upload());
                    return null;
                }))
                .call(stored -> cache.write(tenant, stored.file()));
    }

    public Uni<FileView> get(Principal caller, UUID id) {
        return get(caller.tenant(), id);
    }

    private Uni<FileView> get(String tenant, UUID id) {
        return store.find(tenant, id)
                .onItem().ifNull().failWith(() -> notFound(id))
                .call(found -> cache.write(tenant, found));
    }

    /** The metadata JSON as served: from the cache, or from PostgreSQL (re-warming the cache). */
    public Uni<String> getJson(Principal caller, UUID id) {
        String tenant = caller.tenant();
        return cache.read(tenant, id).chain(cached -> cached != null
                ? Uni.createFrom().item(cached)
                : get(tenant, id).map(cache::toJson));
    }

    public Uni<Page<FileView>> list(Principal caller, String sessionId, String sha256, int limit, String cursor) {
        return store.list(caller.tenant(), sessionId, sha256, limit, cursor);
    }

    /** Deletes the file, and its blob when no other file names the same bytes. */
    public Uni<Void> delete(Principal caller, UUID id) {
        String tenant = caller.tenant();
        return db.inTransaction(BLOB_BOUND, conn -> store.deleteFile(conn, tenant, id)
                        .onItem().ifNull().failWith(() -> notFound(id))
                        .call(gone -> events.record(conn, tenant, "file.deleted", gone.sessionId(), fileData(id, gone.sessionId())))
                        .call(gone -> audit.record(conn, caller, "file.delete", "file " + id, null))
                        .map(FileStore.Deleted::blob)
                        .chain(blob -> bytes.freeIfUnused(conn, blob)))
                .call(() -> cache.evict(tenant, id))
                .replaceWithVoid();
    }

    /**
     * Deletes up to {@code batch} expired files (not those with a provider upload in flight), then, under each blob's
     * lock, every blob no file names any more; answers how many files went.
     */
    public Uni<Integer> purgeExpired(int batch) {
        return db.inTransaction(BLOB_BOUND, conn -> store.deleteExpired(conn, batch)
                        .call(gone -> {
                            Uni<Void> recorded = Uni.createFrom().voidItem();
                            for (FileStore.Expired f : gone) {
                                recorded = recorded.chain(() -> events.record(conn, f.tenant(), "file.expired", f.sessionId(),
                                        fileData(f.id(), f.sessionId())));
                            }
                            return recorded;
                        })
                        .call(gone -> {
                            Uni<Void> blobsGone = Uni.createFrom().voidItem();
                            for (String blob : gone.stream().map(FileStore.Expired::blob).distinct().sorted().toList()) {
                                blobsGone = blobsGone.chain(() -> bytes.freeIfUnused(conn, blob));
                            }
                            return blobsGone;
                        }))
                .call(gone -> {
                    Uni<Void> evicted = Uni.createFrom().voidItem();
                    for (FileStore.Expired f : gone) {
                        evicted = evicted.chain(() -> cache.evict(f.tenant(), f.id()));
                    }
                    return evicted;
                })
                .map(List::size);
    }

    /** A byte range of the file as a response entity (a path part or a stream). */
    public Uni<Object> read(FileView file, long offset, long length) {
        return blocking(() -> bytes.read(file, offset, length));
    }

    /** Uploads the file to the provider unless it is there already; {@code created} tells which. */
    public Uni<Stored> toProvider(Principal caller, UUID id, String providerName) {
        String tenant = caller.tenant();
        ModelProviders.Provider provider = providers.named(providerName);
        return get(tenant, id).chain(file -> {
            if (file.providers().containsKey(provider.name())) {
                return Uni.createFrom().item(new Stored(file, false));
            }
            if (file.size() > provider.maxBytes()) {
                return Uni.createFrom().failure(ProblemException.tooLarge("the file is " + file.size() + " bytes; provider "
                        + provider.name() + " accepts at most " + provider.maxBytes()));
            }
            return once(id + ":" + provider.name() + ":upload", () -> upload(tenant, file, provider));
        });
    }

    private Uni<Stored> upload(String tenant, FileView file, ModelProviders.Provider provider) {
        UUID id = UUID.fromString(file.id());
        return underProviderLock(id, provider, conn -> store.provider(conn, id, provider.name()).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().item(false);
            }
            return toProvider(file, provider)
                    .chain(providerFileId -> store.saveProvider(conn, id, provider.name(), providerFileId))
                    .call(() -> events.record(conn, tenant, "file.provider_uploaded", file.sessionId(),
                            fileData(id, file.sessionId()).put("provider", provider.name())))
                    .replaceWith(true);
        })).chain(created -> get(tenant, id).map(view -> new Stored(view, created)));
    }

    /**
     * The tenant's files among {@code ids} (each a file id string), as a context read lists them; ids that name no
     * file of the tenant are left out, so a caller can tell which ones are unknown.
     */
    public Uni<List<ReferencedFile>> referenced(String tenant, List<String> ids) {
        return ids.isEmpty() ? Uni.createFrom().item(List.of()) : store.referenced(tenant, ids);
    }

    /**
     * The provider's extracted text, fetched once and then served from PostgreSQL; 404 before an upload. A provider
     * that forgot the file gets it uploaded again first, transparently.
     */
    public Uni<String> providerText(Principal caller, UUID id, String providerName) {
        String tenant = caller.tenant();
        ModelProviders.Provider provider = providers.named(providerName);
        return get(tenant, id)
                .chain(file -> store.provider(id, provider.name()))
                .onItem().ifNull().failWith(() -> new ProblemException(404, "not-uploaded", "Not found",
                        "file " + id + " has not been uploaded to " + provider.name() + "; POST /files/" + id + "/providers/" + provider.name() + " first"))
                .chain(row -> row.extractedText() != null
                        ? Uni.createFrom().item(row.extractedText())
                        : once(id + ":" + provider.name() + ":text", () -> underProviderLock(id, provider,
                                conn -> store.provider(conn, id, provider.name()).chain(locked -> locked.extractedText() != null
                                        ? Uni.createFrom().item(locked.extractedText())
                                        : providers.extractedText(provider, locked.fileId())
                                                .onFailure(ModelProviders.ForgottenFile.class)
                                                .recoverWithUni(() -> uploadAgain(conn, tenant, id, provider)
                                                        .chain(newId -> providers.extractedText(provider, newId)))
                                                .call(text -> tokens.countSafely(text).chain(n -> store.saveText(conn, tenant, id, provider.name(), text, n)))))));
    }

    /**
     * The provider forgot the file (its files expire): uploads the blob again, once, under the same lock, and keeps the
     * new provider file id in place of the old one. Answers the new id.
     */
    private Uni<String> uploadAgain(SqlConnection conn, String tenant, UUID id, ModelProviders.Provider provider) {
        return get(tenant, id)
                .chain(file -> toProvider(file, provider))
                .call(newId -> store.replaceProvider(conn, id, provider.name(), newId))
                .call(() -> cache.evict(tenant, id));
    }

    /** Uploads the file's plain bytes to the provider; answers the provider's file id. */
    private Uni<String> toProvider(FileView file, ModelProviders.Provider provider) {
        return blocking(() -> bytes.localCopy(file))
                .chain(copy -> providers.upload(provider, copy, file.filename(), file.contentType())
                        .eventually(() -> blocking(() -> {
                            bytes.release(file, copy);
                            return null;
                        })));
    }

    /**
     * Runs provider work in a transaction holding the file's lock for that provider, so replicas asked at once
     * call the provider once: the others wait, then find what the first stored.
     */
    private <T> Uni<T> underProviderLock(UUID id, ModelProviders.Provider provider, Function<SqlConnection, Uni<T>> work) {
        return db.inTransaction(providers.longestCall(), conn -> store.lockProvider(conn, id, provider.name()).chain(() -> work.apply(conn)));
    }

    /** Shares one in-flight attempt among concurrent callers with the same key. */
    @SuppressWarnings("unchecked")
    private <T> Uni<T> once(String key, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> (Uni<T>) inFlight.computeIfAbsent(key, k -> work.get()
                .eventually(() -> {
                    inFlight.remove(k); // a block: remove() returns the memoized Uni, which must not be awaited here
                })
                .memoize().indefinitely()));
    }

    /** Runs blocking I/O (a blob store call) on a worker thread; the object service uses it too. */
    static <T> Uni<T> blocking(IoSupplier<T> work) {
        return Uni.createFrom().item(() -> {
            try {
                return work.get();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    /** A file event's fields: the file's id, and its session when it has one. */
    static ObjectNode fileData(UUID id, String sessionId) {
        ObjectNode data = JsonNodeFactory.instance.objectNode().put("file_id", id.toString());
        if (sessionId != null) {
            data.put("session_id", sessionId);
        }
        return data;
    }

    static ObjectNode fileData(FileView file) {
        return fileData(UUID.fromString(file.id()), file.sessionId());
    }

    private static ProblemException notFound(UUID id) {
        return ProblemException.notFound("file " + id);
    }

    /** A file and whether this call created it (or its provider copy). */
    public record Stored(FileView file, boolean created) {
    }

    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }
}
