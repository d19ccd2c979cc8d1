package dev.exai.store.file;

import dev.exai.store.common.Database;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Buckets and object names in PostgreSQL (migration V15): a bucket row per tenant and id, and a file's
 * {@code (bucket, object_name)}, unique per tenant. The blob rules are {@link FileStore}'s: whoever deletes a file
 * row frees its blob under the blob's lock.
 */
@ApplicationScoped
class ObjectStore {

    private static final String BUCKET = "id, public, file_size_limit, allowed_mime_types, created_at, updated_at";

    private final Database db;
    private final FileStore files;

    ObjectStore(Database db, FileStore files) {
        this.db = db;
        this.files = files;
    }

    Uni<Bucket> insertBucket(SqlClient sql, String tenant, Bucket bucket) {
        return sql.preparedQuery("INSERT INTO file_buckets (tenant, id, public, file_size_limit, allowed_mime_types)"
                        + " VALUES ($1, $2, $3, $4, $5) RETURNING " + BUCKET)
                .execute(Tuple.from(Arrays.asList(tenant, bucket.id(), bucket.isPublic(), bucket.fileSizeLimit(), mimeTypes(bucket))))
                .map(rows -> bucket(rows.iterator().next()));
    }

    Uni<Bucket> updateBucket(SqlClient sql, String tenant, Bucket bucket) {
        return sql.preparedQuery("UPDATE file_buckets SET public = $3, file_size_limit = $4, allowed_mime_types = $5, updated_at = now()"
                        + " WHERE tenant = $1 AND id = $2 RETURNING " + BUCKET)
                .execute(Tuple.from(Arrays.asList(tenant, bucket.id(), bucket.isPublic(), bucket.fileSizeLimit(), mimeTypes(bucket))))
                .map(rows -> rows.size() == 0 ? null : bucket(rows.iterator().next()));
    }

    /** The bucket, or null; {@code lock} takes a share lock that keeps it from being deleted until the transaction ends. */
    Uni<Bucket> bucket(SqlClient sql, String tenant, String id, boolean lock) {
        return sql.preparedQuery("SELECT " + BUCKET + " FROM file_buckets WHERE tenant = $1 AND id = $2" + (lock ? " FOR SHARE" : ""))
                .execute(Tuple.of(tenant, id))
                .map(rows -> rows.size() == 0 ? null : bucket(rows.iterator().next()));
    }

    Uni<List<Bucket>> buckets(String tenant) {
        return db.run(pool -> pool.preparedQuery("SELECT " + BUCKET + " FROM file_buckets WHERE tenant = $1 ORDER BY id")
                .execute(Tuple.of(tenant))
                .map(rows -> {
                    List<Bucket> all = new ArrayList<>();
                    rows.forEach(r -> all.add(bucket(r)));
                    return all;
                }));
    }

    /** The tenant of the public bucket with this id, or null. */
    Uni<String> publicBucketTenant(String id) {
        return db.run(pool -> pool.preparedQuery("SELECT tenant FROM file_buckets WHERE id = $1 AND public").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("tenant")));
    }

    /** Deletes the bucket if it holds no object; answers false when it does (the foreign key refuses). */
    Uni<Boolean> deleteBucket(SqlClient sql, String tenant, String id) {
        return sql.preparedQuery("DELETE FROM file_buckets b WHERE tenant = $1 AND id = $2"
                        + " AND NOT EXISTS (SELECT 1 FROM files f WHERE f.tenant = $1 AND f.bucket = $2)")
                .execute(Tuple.of(tenant, id)).map(rows -> rows.rowCount() > 0);
    }

    Uni<FileView> find(SqlClient sql, String tenant, String bucket, String name) {
        return sql.preparedQuery("SELECT " + FileStore.COLUMNS + " FROM files f WHERE f.tenant = $1 AND f.bucket = $2"
                        + " AND f.object_name = $3 AND " + FileStore.LIVE)
                .execute(Tuple.of(tenant, bucket, name))
                .map(rows -> rows.size() == 0 ? null : files.view(rows.iterator().next()));
    }

    Uni<FileView> find(String tenant, String bucket, String name) {
        return db.run(pool -> find(pool, tenant, bucket, name));
    }

    /** Deletes the named objects of a bucket (every one when {@code names} is null); answers them as they were. */
    Uni<List<StoredObject>> delete(SqlClient sql, String tenant, String bucket, List<String> names) {
        return sql.preparedQuery("WITH f AS (DELETE FROM files WHERE tenant = $1 AND bucket = $2"
                        + " AND ($3::text[] IS NULL OR object_name = ANY($3)) RETURNING *)"
                        + " SELECT f.object_name, " + FileStore.COLUMNS + " FROM f ORDER BY f.object_name")
                .execute(Tuple.of(tenant, bucket, names == null ? null : names.toArray(String[]::new)))
                .map(rows -> objects(bucket, rows));
    }

    /** Gives an object another name in its bucket; null when there is none by {@code from}. */
    Uni<FileView> rename(SqlClient sql, String tenant, String bucket, String from, String to, String filename) {
        return sql.preparedQuery("WITH f AS (UPDATE files SET object_name = $4, filename = $5 WHERE tenant = $1 AND bucket = $2"
                        + " AND object_name = $3 RETURNING *) SELECT " + FileStore.COLUMNS + " FROM f")
                .execute(Tuple.of(tenant, bucket, from, to, filename))
                .map(rows -> rows.size() == 0 ? null : files.view(rows.iterator().next()));
    }

    /** A second file with the same bytes under another name; the caller holds the blob's lock. */
    Uni<FileView> copy(SqlClient sql, String tenant, String bucket, FileView source, String to, String filename) {
        return sql.preparedQuery("WITH f AS (INSERT INTO files (tenant, filename, content_type, size, sha256, bucket, object_name, blob)"
                        + " VALUES ($1, $5, $3, $4, $6, $2, $7, $8) RETURNING *) SELECT " + FileStore.COLUMNS + " FROM f")
                .execute(Tuple.from(Arrays.asList(tenant, bucket, source.contentType(), source.size(), filename, source.sha256(), to,
                        source.blob())))
                .map(rows -> files.view(rows.iterator().next()));
    }

    /**
     * One level of a bucket below {@code folder} ("" or ending in '/'): its objects and its sub-folders (names with
     * no file), those whose name starts with {@code search} (any case), sorted by {@code column} ("name",
     * "created_at", "updated_at" or "last_accessed_at": the object's time; folders have none, and sort last).
     */
    Uni<List<StoredObject>> list(String tenant, String bucket, String folder, String search, String column, boolean descending,
                                 int limit, int offset) {
        String direction = descending ? " DESC" : " ASC";
        String order = column.equals("name") ? "e.name COLLATE \"C\"" + direction
                : "f.created_at" + direction + " NULLS LAST, e.name COLLATE \"C\"" + direction;
        return db.run(pool -> pool.preparedQuery("WITH under AS (SELECT f.id, substr(f.object_name, $3) AS rest FROM files f"
                        + " WHERE f.tenant = $1 AND f.bucket = $2 AND starts_with(f.object_name, $4) AND " + FileStore.LIVE + "),"
                        + " entries AS (SELECT DISTINCT split_part(rest, '/', 1) AS name, NULL::uuid AS id FROM under"
                        + " WHERE strpos(rest, '/') > 0 UNION ALL SELECT rest, id FROM under WHERE strpos(rest, '/') = 0)"
                        + " SELECT e.name AS object_name, " + FileStore.COLUMNS + " FROM entries e LEFT JOIN files f ON f.id = e.id"
                        + " WHERE $5::text IS NULL OR starts_with(lower(e.name), lower($5))"
                        + " ORDER BY " + order + " LIMIT $6 OFFSET $7")
                .execute(Tuple.from(Arrays.asList(tenant, bucket, folder.length() + 1, folder, search, limit, offset)))
                .map(rows -> objects(bucket, rows)));
    }

    private List<StoredObject> objects(String bucket, RowSet<Row> rows) {
        List<StoredObject> found = new ArrayList<>();
        rows.forEach(r -> found.add(new StoredObject(bucket, r.getString("object_name"), r.getUUID("id") == null ? null : files.view(r))));
        return found;
    }

    private static String[] mimeTypes(Bucket bucket) {
        return bucket.allowedMimeTypes() == null ? null : bucket.allowedMimeTypes().toArray(String[]::new);
    }

    private static Bucket bucket(Row r) {
        String[] types = r.getArrayOfStrings("allowed_mime_types");
        return new Bucket(r.getString("id"), r.getBoolean("public"), r.getLong("file_size_limit"), types == null ? null : List.of(types),
                r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"));
    }
}
