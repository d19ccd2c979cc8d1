package dev.exai.store.events;

import dev.exai.store.common.Database;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads a tenant's numbered events in id order, after an id, optionally of one session and of some types. */
@ApplicationScoped
class EventFeed {

    static final int PAGE = 500;

    private final Database db;

    EventFeed(Database db) {
        this.db = db;
    }

    /** One event as a stream writes it: its id, its type, and its data JSON (type, at and the type's fields). */
    record FeedEvent(long id, String type, String data) {
    }

    /** What a stream reads: which tenant, which session (or null), which types (or null). */
    record Filter(String tenant, String continuationId, List<String> types) {
    }

    Uni<List<FeedEvent>> after(Filter filter, long after) {
        return db.run(pool -> pool.preparedQuery("SELECT id, type, at, data::text AS data FROM events WHERE tenant = $1 AND id > $2"
                        + " AND ($3::text IS NULL OR continuation_id = $3) AND ($4::text[] IS NULL OR type = ANY($4))"
                        + " ORDER BY id LIMIT " + PAGE)
                .execute(Tuple.from(Arrays.asList(filter.tenant(), after, filter.continuationId(),
                        filter.types() == null ? null : filter.types().toArray(String[]::new))))
                .map(rows -> {
                    List<FeedEvent> page = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        String data = r.getString("data");
                        String head = "{\"type\":\"" + r.getString("type") + "\",\"at\":\"" + Times.format(r.getOffsetDateTime("at")) + "\"";
                        page.add(new FeedEvent(r.getLong("id"), r.getString("type"), data.equals("{}") ? head + "}" : head + "," + data.substring(1)));
                    }
                    return page;
                }));
    }

    /** The highest id the retention purge deleted: a reader after an id below it has missed events (410). */
    Uni<Long> purgedThrough() {
        return db.run(pool -> pool.query("SELECT purged_id FROM event_stamp WHERE one = 1").execute()
                .map(rows -> rows.iterator().next().getLong(0)));
    }
}
