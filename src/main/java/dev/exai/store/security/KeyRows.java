package dev.exai.store.security;

import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The key room's SQL: {@code api_keys} and the one row of {@code api_key_state}. */
@ApplicationScoped
class KeyRows {

    private static final String COLUMNS = "id, tenant, name, prefix, created_at, expires_at, last_used_at, revoked_at";

    /** A key a replica accepts: its hash, whose it is, and until when. */
    record Accepted(UUID id, String tenant, byte[] hash, OffsetDateTime expiresAt) {
    }

    /** The version of the key set and the stored hash secret. */
    record State(long version, byte[] secret) {
    }

    Uni<State> state(SqlClient sql) {
        return sql.query("SELECT version, secret FROM api_key_state WHERE one = 1").execute()
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new State(r.getLong("version"), r.getBuffer("secret").getBytes());
                });
    }

    /** The keys every replica accepts now: not revoked, not expired. */
    Uni<List<Accepted>> accepted(SqlClient sql) {
        return sql.query("SELECT id, tenant, hash, expires_at FROM api_keys WHERE revoked_at IS NULL"
                        + " AND (expires_at IS NULL OR expires_at > now())").execute()
                .map(rows -> {
                    List<Accepted> keys = new ArrayList<>(rows.size());
                    rows.forEach(r -> keys.add(new Accepted(r.getUUID("id"), r.getString("tenant"), r.getBuffer("hash").getBytes(),
                            r.getOffsetDateTime("expires_at"))));
                    return keys;
                });
    }

    /** Stores a key's hash and moves the key set's version, in the caller's transaction. */
    Uni<KeyView> insert(SqlClient sql, String tenant, String name, String prefix, byte[] hash, OffsetDateTime expiresAt) {
        return sql.preparedQuery("INSERT INTO api_keys (tenant, name, prefix, hash, expires_at) VALUES ($1, $2, $3, $4, $5)"
                        + " RETURNING " + COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenant, name, prefix, io.vertx.core.buffer.Buffer.buffer(hash), expiresAt)))
                .chain(rows -> moved(sql).replaceWith(view(rows.iterator().next())));
    }

    /** Revokes a live key of the tenant and moves the version; null when it has none with that id. */
    Uni<KeyView> revoke(SqlClient sql, String tenant, UUID id) {
        return sql.preparedQuery("UPDATE api_keys SET revoked_at = now() WHERE tenant = $1 AND id = $2 AND revoked_at IS NULL"
                        + " RETURNING " + COLUMNS)
                .execute(Tuple.of(tenant, id))
                .chain(rows -> rows.size() == 0 ? Uni.createFrom().nullItem() : moved(sql).replaceWith(view(rows.iterator().next())));
    }

    private static Uni<Void> moved(SqlClient sql) {
        return sql.query("UPDATE api_key_state SET version = version + 1 WHERE one = 1").execute().replaceWithVoid();
    }

    /** The tenant's keys, newest first, revoked ones included. */
    Uni<List<KeyView>> list(SqlClient sql, String tenant) {
        return sql.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE tenant = $1 ORDER BY created_at DESC, id DESC")
                .execute(Tuple.of(tenant))
                .map(rows -> {
                    List<KeyView> keys = new ArrayList<>(rows.size());
                    rows.forEach(r -> keys.add(view(r)));
                    return keys;
                });
    }

    /** Records when keys were last used (the newest of what is stored and what is given). */
    Uni<Void> used(SqlClient sql, Map<UUID, OffsetDateTime> lastUsed) {
        return sql.preparedQuery("UPDATE api_keys k SET last_used_at = greatest(k.last_used_at, u.at)"
                        + " FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at) WHERE k.id = u.id")
                .execute(Tuple.of(lastUsed.keySet().toArray(UUID[]::new), lastUsed.values().toArray(OffsetDateTime[]::new)))
                .replaceWithVoid();
    }

    private static KeyView view(Row r) {
        return new KeyView(r.getUUID("id").toString(), r.getString("tenant"), r.getString("name"), r.getString("prefix"),
                Times.format(r.getOffsetDateTime("created_at")), format(r.getOffsetDateTime("expires_at")),
                format(r.getOffsetDateTime("last_used_at")), format(r.getOffsetDateTime("revoked_at")));
    }

    private static String format(OffsetDateTime at) {
        return at == null ? null : Times.format(at);
    }
}
