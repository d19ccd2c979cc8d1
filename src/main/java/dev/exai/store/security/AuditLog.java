package dev.exai.store.security;

import dev.exai.store.common.Cursors;
import dev.exai.store.common.Database;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.Times;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jboss.logging.Logger;

/** Reading the audit trail ({@code GET /admin/audit}), and its retention purge; nothing else touches its rows. */
@ApplicationScoped
public class AuditLog {

    private static final Logger LOG = Logger.getLogger(AuditLog.class);

    private final Database db;
    private final Long retentionSeconds;

    public AuditLog(Database db, StoreConfig config) {
        this.db = db;
        this.retentionSeconds = config.audit().retention().map(java.time.Duration::toSeconds).orElse(null);
    }

    /** Rows newest first, filtered by tenant, action and a time window, after the cursor's row. */
    public Uni<Page<AuditEntry>> list(String tenant, String action, OffsetDateTime from, OffsetDateTime to, int limit, String cursor) {
        Long before = cursor == null ? null : id(Cursors.decode(cursor, 1).get(0));
        return db.run(pool -> pool.preparedQuery("SELECT id, at, tenant, key_id, action, object, request_id, client_address,"
                        + " detail::text AS detail FROM audit_log WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR action = $2)"
                        + " AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)"
                        + " AND ($5::bigint IS NULL OR id < $5) ORDER BY id DESC LIMIT $6")
                .execute(Tuple.from(Arrays.asList(tenant, action, from, to, before, limit + 1))))
                .map(rows -> {
                    List<AuditEntry> items = new ArrayList<>();
                    rows.forEach(r -> items.add(new AuditEntry(r.getLong("id"), Times.format(r.getOffsetDateTime("at")), r.getString("tenant"),
                            r.getString("key_id"), r.getString("action"), r.getString("object"), r.getString("request_id"),
                            r.getString("client_address"), r.getString("detail"))));
                    boolean more = items.size() > limit;
                    List<AuditEntry> page = more ? items.subList(0, limit) : items;
                    return new Page<>(List.copyOf(page), more ? Cursors.encode(Long.toString(page.get(limit - 1).id())) : null);
                });
    }

    private static Long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }

    /** Deletes rows older than the retention, when one is set. */
    @Scheduled(every = "1h", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        if (retentionSeconds == null) {
            return Uni.createFrom().voidItem();
        }
        return db.run(pool -> pool.preparedQuery("DELETE FROM audit_log WHERE at < now() - $1 * interval '1 second'")
                        .execute(Tuple.of(retentionSeconds)))
                .invoke(rows -> {
                    if (rows.rowCount() > 0) {
                        LOG.infof("purged %d audit rows past the retention", rows.rowCount());
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("audit purge failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
