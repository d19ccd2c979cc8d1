package dev.exai.store.security;

import dev.exai.store.common.Database;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** The cipher's SQL: {@code tenant_data_keys}, each tenant's data key as the configured key wrapped it. */
@ApplicationScoped
class DataKeyRows {

    /** A stored data key: its id (carried by every value it seals), its tenant, its wrapped bytes and which key wrapped them. */
    record Stored(int id, String tenant, byte[] wrapped, String wrappedBy) {
    }

    private final Database db;

    DataKeyRows(Database db) {
        this.db = db;
    }

    Uni<List<Stored>> all() {
        return db.run(pool -> pool.query("SELECT id, tenant, wrapped, wrapped_by FROM tenant_data_keys").execute().map(DataKeyRows::stored));
    }

    Uni<List<Stored>> ofTenant(String tenant) {
        return db.run(pool -> pool.preparedQuery("SELECT id, tenant, wrapped, wrapped_by FROM tenant_data_keys WHERE tenant = $1")
                .execute(Tuple.of(tenant)).map(DataKeyRows::stored));
    }

    /** Stores the tenant's first data key; when another replica stored one first, answers that one. */
    Uni<Stored> create(String tenant, byte[] wrapped, String wrappedBy) {
        return db.run(pool -> pool.preparedQuery("WITH i AS (INSERT INTO tenant_data_keys (tenant, wrapped, wrapped_by)"
                        + " VALUES ($1, $2, $3) ON CONFLICT (tenant) DO NOTHING RETURNING id, tenant, wrapped, wrapped_by)"
                        + " SELECT * FROM i UNION ALL SELECT id, tenant, wrapped, wrapped_by FROM tenant_data_keys WHERE tenant = $1"
                        + " AND NOT EXISTS (SELECT 1 FROM i)")
                .execute(Tuple.of(tenant, Buffer.buffer(wrapped), wrappedBy)).map(rows -> stored(rows).get(0)));
    }

    /**
     * Replaces a data key's wrapping, if it is still wrapped by {@code from}, with its audit row ({@code key.rewrap}) in the
     * same statement; answers whether it was.
     */
    Uni<Boolean> rewrap(Principal who, int id, String from, byte[] wrapped, String wrappedBy) {
        return db.run(pool -> pool.preparedQuery("WITH u AS (UPDATE tenant_data_keys SET wrapped = $3, wrapped_by = $4,"
                        + " rewrapped_at = now() WHERE id = $1 AND wrapped_by = $2 RETURNING id, tenant),"
                        + " a AS (INSERT INTO audit_log (tenant, key_id, action, object, request_id, client_address, detail)"
                        + " SELECT tenant, $5, 'key.rewrap', 'data key ' || id, $6, $7,"
                        + " jsonb_build_object('from', $2::text, 'to', $4::text) FROM u)"
                        + " SELECT count(*) FROM u")
                .execute(Tuple.from(java.util.Arrays.asList(id, from, Buffer.buffer(wrapped), wrappedBy, who.keyId(), who.requestId(),
                        who.address())))
                .map(rows -> rows.iterator().next().getLong(0) == 1));
    }

    private static List<Stored> stored(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<Stored> list = new ArrayList<>(rows.size());
        for (Row r : rows) {
            list.add(new Stored(r.getInteger("id"), r.getString("tenant"), r.getBuffer("wrapped").getBytes(), r.getString("wrapped_by")));
        }
        return list;
    }
}
