package dev.exai.store.file;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.Database;
import dev.exai.store.common.KeysetPage;
import dev.exai.store.common.Page;
import dev.exai.store.common.Times;
import dev.exai.store.security.Cipher;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * File metadata, blob references and provider results in PostgreSQL. Writes that touch a blob row take a
 * transaction-scoped advisory lock on its name first, so an upload and the deletion of the last file using
 * the same bytes never interleave (the blob is stored or removed while the lock is held).
 */
@ApplicationScoped
public class FileStore {

    /** A file that has not expired (expired ones are gone for reads at once; the purge job deletes them later). */
    static final String LIVE = "(f.expires_at IS NULL OR f.expires_at > now())";
    static final String COLUMNS = "f.id, f.filename, f.content_type, f.size, f.sha256, f.session_id, f.purpose, f.created_at, f.expires_at, f.blob, "
            + "COALESCE((SELECT json_object_agg(p.provider, json_build_object('file_id', p.provider_file_id, 'uploaded_at', "
            + "to_char(p.uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))) FROM file_providers p WHERE p.file_id = f.id), '{}')::text AS providers";
    private static final TypeReference<Map<String, FileView.ProviderRef>> PROVIDERS = new TypeReference<>() {
    };

    private final Database db;
    private final ObjectMapper json;
    private final Cipher cipher;

    public FileStore(Database db, ObjectMapper json, Cipher cipher) {
        this.db = db;
        this.json = json;
        this.cipher = cipher;
    }

    Uni<Void> lockBlob(SqlClient sql, String blob) {
        return sql.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))").execute(Tuple.of(blob)).replaceWithVoid();
    }

    Uni<Void> lockKey(SqlClient sql, String tenant, String key) {
        return sql.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))").execute(Tuple.of(tenant + ":" + key)).replaceWithVoid();
    }

    /** The file an idempotency key made, with the request hash it was made from; null when unused. */
    Uni<KeyUse> keyUse(SqlClient sql, String tenant, String key) {
        return sql.preparedQuery("SELECT request_hash, file_id FROM file_idempotency_keys WHERE tenant = $1 AND key = $2")
                .execute(Tuple.of(tenant, key))
                .map(rows -> rows.size() == 0 ? null : new KeyUse(rows.iterator().next().getString("request_hash"),
                        rows.iterator().next().getUUID("file_id")));
    }

    Uni<Void> rememberKey(SqlClient sql, String tenant, String key, String requestHash, UUID fileId) {
        return sql.preparedQuery("INSERT INTO file_idempotency_keys (tenant, key, request_hash, file_id) VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of(tenant, key, requestHash, fileId)).replaceWithVoid();
    }

    /** Records the blob (if new) and the file; the caller holds the blob lock. */
    Uni<FileView> insert(SqlClient sql, String tenant, NewFile file) {
        return sql.preparedQuery("INSERT INTO blobs (name, size) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(file.blob(), file.size()))
                .chain(() -> sql.preparedQuery("WITH f AS (INSERT INTO files (tenant, filename, content_type, size, sha256, session_id,"
                                + " purpose, expires_at, bucket, object_name, blob) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                                + " now() + $8::bigint * interval '1 second', $9, $10, $11) RETURNING *) SELECT " + COLUMNS + " FROM f")
                        .execute(Tuple.from(Arrays.asList(tenant, file.filename(), file.contentType(), file.size(), file.sha256(),
                                file.sessionId(), file.purpose(), file.ttlSeconds(), file.bucket(), file.objectName(), file.blob()))))
                .map(rows -> view(rows.iterator().next()));
    }

    Uni<FileView> find(SqlClient sql, String tenant, UUID id) {
        return sql.preparedQuery("SELECT " + COLUMNS + " FROM files f WHERE f.tenant = $1 AND f.id = $2 AND " + LIVE)
                .execute(Tuple.of(tenant, id))
                .map(rows -> rows.size() == 0 ? null : view(rows.iterator().next()));
    }

    Uni<FileView> find(String tenant, UUID id) {
        return db.run(pool -> find(pool, tenant, id));
    }

    /** Newest first, of one session and/or one content when given; the cursor holds the last row's (created_at, id). */
    Uni<Page<FileView>> list(String tenant, String sessionId, String sha256, int limit, String cursor) {
        KeysetPage.After after = KeysetPage.after(cursor);
        Tuple args = Tuple.from(Arrays.asList(tenant, sessionId, after.time(), after.id(), limit + 1, sha256));
        return db.run(pool -> pool.preparedQuery("SELECT " + COLUMNS + " FROM files f WHERE f.tenant = $1 "
                        + "AND ($2::text IS NULL OR f.session_id = $2) AND ($6::text IS NULL OR f.sha256 = $6) AND " + LIVE + " "
                        + "AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3, $4::uuid)) "
                        + "ORDER BY f.created_at DESC, f.id DESC LIMIT $5")
                .execute(args)
                .map(rows -> KeysetPage.of(rows, limit, "created_at", this::view)));
    }

    /** Deletes the tenant's file row; answers its blob and session, or null when there was none. */
    Uni<Deleted> deleteFile(SqlClient sql, String tenant, UUID id) {
        return sql.preparedQuery("DELETE FROM files WHERE tenant = $1 AND id = $2 RETURNING blob, session_id")
                .execute(Tuple.of(tenant, id))
                .map(rows -> rows.size() == 0 ? null
                        : new Deleted(rows.iterator().next().getString("blob"), rows.iterator().next().getString("session_id")));
    }

    /** A deleted file's blob and session. */
    record Deleted(String blob, String sessionId) {
    }

    /** Deletes the blob row when no file uses it any more; answers whether it did. The caller holds the blob lock. */
    Uni<Boolean> deleteBlobIfUnused(SqlClient sql, String blob) {
        return sql.preparedQuery("DELETE FROM blobs b WHERE b.name = $1 AND NOT EXISTS (SELECT 1 FROM files f WHERE f.blob = $1)")
                .execute(Tuple.of(blob))
                .map(rows -> rows.rowCount() > 0);
    }

    /**
     * Takes the (file, provider) lock for provider work, and a key-share lock on the file's row, so the expiry purge
     * (which skips locked rows) never deletes a file, or its blob, while a provider upload of it is in flight.
     */
    Uni<Void> lockProvider(SqlClient sql, UUID fileId, String provider) {
        return sql.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 13)) FROM files WHERE id = $2 FOR KEY SHARE")
                .execute(Tuple.of(fileId + ":" + provider, fileId)).replaceWithVoid();
    }

    /**
     * Deletes up to {@code batch} expired files, skipping any whose row is locked (a provider upload in flight);
     * answers what was deleted, for the caller to remove unused blobs and cache entries.
     */
    Uni<List<Expired>> deleteExpired(SqlClient sql, int batch) {
        return sql.preparedQuery("DELETE FROM files WHERE id IN (SELECT id FROM files WHERE expires_at <= now()"
                        + " ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id, tenant, blob, session_id")
                .execute(Tuple.of(batch))
                .map(rows -> {
                    List<Expired> gone = new ArrayList<>();
                    rows.forEach(r -> gone.add(new Expired(r.getUUID("id"), r.getString("tenant"), r.getString("blob"), r.getString("session_id"))));
                    return gone;
                });
    }

    /** A file the purge deleted. */
    record Expired(UUID id, String tenant, String blob, String sessionId) {
    }

    /** Up to {@code batch} files whose blob is plain (stored before encryption was on), oldest first. */
    Uni<List<PlainFile>> plainFiles(int batch) {
        return db.run(pool -> pool.preparedQuery("SELECT id, tenant, sha256, size FROM files WHERE blob = sha256 ORDER BY created_at LIMIT $1")
                .execute(Tuple.of(batch))
                .map(rows -> {
                    List<PlainFile> plain = new ArrayList<>();
                    rows.forEach(r -> plain.add(new PlainFile(r.getUUID("id"), r.getString("tenant"), r.getString("sha256"), r.getLong("size"))));
                    return plain;
                }));
    }

    /** A file whose bytes are in the plain blob named by their sha256. */
    record PlainFile(UUID id, String tenant, String sha256, long size) {
    }

    /**
     * Points a file at its sealed blob (recorded if new) instead of the plain one; answers whether it did (not when the
     * file went meanwhile). The caller holds both blobs' locks.
     */
    Uni<Boolean> repoint(SqlClient sql, PlainFile file, String sealed) {
        return sql.preparedQuery("INSERT INTO blobs (name, size) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(sealed, file.size()))
                .chain(() -> sql.preparedQuery("UPDATE files SET blob = $2 WHERE id = $1 AND blob = $3")
                        .execute(Tuple.of(file.id(), sealed, file.sha256())))
                .map(rows -> rows.rowCount() > 0);
    }

    /** The provider's row for the file: its file id and extracted text (opened; either may be null); null when none. */
    Uni<ProviderRow> provider(SqlClient sql, UUID fileId, String provider) {
        return sql.preparedQuery("SELECT provider_file_id, extracted_text FROM file_providers WHERE file_id = $1 AND provider = $2")
                .execute(Tuple.of(fileId, provider))
                .map(rows -> rows.size() == 0 ? null
                        : new ProviderRow(rows.iterator().next().getString("provider_file_id"),
                        cipher.open(rows.iterator().next().getString("extracted_text"))));
    }

    Uni<ProviderRow> provider(UUID fileId, String provider) {
        return db.run(pool -> provider(pool, fileId, provider));
    }

    Uni<Void> saveProvider(SqlClient sql, UUID fileId, String provider, String providerFileId) {
        return sql.preparedQuery("INSERT INTO file_providers (file_id, provider, provider_file_id) VALUES ($1, $2, $3)")
                .execute(Tuple.of(fileId, provider, providerFileId)).replaceWithVoid();
    }

    /** The provider's new id for a file it had forgotten; the text it had extracted (if any) is fetched again. */
    Uni<Void> replaceProvider(SqlClient sql, UUID fileId, String provider, String providerFileId) {
        return sql.preparedQuery("UPDATE file_providers SET provider_file_id = $3, uploaded_at = now(), extracted_text = NULL,"
                        + " extracted_at = NULL WHERE file_id = $1 AND provider = $2")
                .execute(Tuple.of(fileId, provider, providerFileId)).replaceWithVoid();
    }

    /** Keeps the provider's extracted text of a file (sealed with encryption on: it is the file's content as text). */
    Uni<Void> saveText(SqlClient sql, String tenant, UUID fileId, String provider, String text, int tokens) {
        return sql.preparedQuery("UPDATE file_providers SET extracted_text = $3, extracted_tokens = $4, extracted_at = now()"
                        + " WHERE file_id = $1 AND provider = $2")
                .execute(Tuple.of(fileId, provider, cipher.seal(tenant, text), tokens)).replaceWithVoid();
    }

    /**
     * Seals up to {@code batch} extracted texts stored plain (before encryption was on), each only if unchanged since it
     * was read; answers how many.
     */
    Uni<Integer> sealTexts(int batch) {
        return db.run(pool -> pool.preparedQuery("SELECT p.file_id, p.provider, p.extracted_text, f.tenant FROM file_providers p"
                        + " JOIN files f ON f.id = p.file_id WHERE p.extracted_text NOT LIKE E'\\001E1:%' LIMIT $1")
                .execute(Tuple.of(batch))
                .call(rows -> cipher.ready(rows.stream().map(r -> r.getString("tenant")).toList()))
                .chain(rows -> {
                    List<Tuple> sealed = new ArrayList<>();
                    for (Row r : rows) {
                        String plain = r.getString("extracted_text");
                        sealed.add(Tuple.of(r.getUUID("file_id"), r.getString("provider"), plain, cipher.seal(r.getString("tenant"), plain)));
                    }
                    return sealed.isEmpty() ? Uni.createFrom().item(0)
                            : pool.preparedQuery("UPDATE file_providers SET extracted_text = $4 WHERE file_id = $1 AND provider = $2"
                                    + " AND extracted_text = $3").executeBatch(sealed).map(done -> sealed.size());
                }));
    }

    /** The tenant's files among {@code ids}, as a context read lists them; ids of no file of the tenant are left out. */
    Uni<List<ReferencedFile>> referenced(String tenant, List<String> ids) {
        return db.run(pool -> pool.preparedQuery("SELECT f.id::text AS id, f.filename, f.content_type, f.size, f.sha256,"
                        + " (SELECT jsonb_object_agg(p.provider, p.extracted_tokens) FROM file_providers p"
                        + "   WHERE p.file_id = f.id AND p.extracted_tokens IS NOT NULL)::text AS tokens"
                        + " FROM files f WHERE f.tenant = $1 AND f.id = ANY($2::uuid[]) AND " + LIVE)
                .execute(Tuple.of(tenant, ids.stream().map(UUID::fromString).toArray(UUID[]::new)))
                .map(rows -> {
                    List<ReferencedFile> files = new ArrayList<>();
                    rows.forEach(r -> files.add(new ReferencedFile(r.getString("id"), r.getString("filename"),
                            r.getString("content_type"), r.getLong("size"), r.getString("sha256"), r.getString("tokens"))));
                    return files;
                }));
    }

    record KeyUse(String requestHash, UUID fileId) {
    }

    record ProviderRow(String fileId, String extractedText) {
    }

    FileView view(Row row) {
        try {
            return new FileView(row.getUUID("id").toString(), row.getString("filename"), row.getString("content_type"),
                    row.getLong("size"), row.getString("sha256"), row.getString("session_id"), row.getString("purpose"),
                    Times.format(row.getOffsetDateTime("created_at")), Times.format(row.getOffsetDateTime("expires_at")),
                    json.readValue(row.getString("providers"), PROVIDERS), row.getString("blob"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("provider map is not JSON", e);
        }
    }
}
