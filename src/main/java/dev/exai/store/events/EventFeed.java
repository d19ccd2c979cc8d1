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

/**
 * Reads a tenant's events in feed order, after a place, optionally of one session and of some types. The feed order is
 * (xid, seq): the writing transaction, then insertion order; only events of complete transactions (below the oldest
 * running one) are read, so nothing unread can later appear before what was read. An event's id is
 * {@code xid << 20 | n}, n its 1-based place among its transaction's events: a whole number that grows in feed order.
 */
@ApplicationScoped
class EventFeed {

    static final int PAGE = 500;
    static final int ORDINAL_BITS = 20;
    static final long ORDINAL_MASK = (1L << ORDINAL_BITS) - 1;

    private final Database db;

    EventFeed(Database db) {
        this.db = db;
    }

    /** One event as a stream writes it: its id, its place, its type, and its data JSON (type, at and the type's fields). */
    record FeedEvent(long id, Place place, String type, String data) {
    }

    /** What a stream reads: which tenant, which session (or null), which types (or null). */
    record Filter(String tenant, String continuationId, List<String> types) {
    }

    /** A place in the feed: after every event of a transaction below {@code xid}, and of {@code xid} up to {@code seq}. */
    record Place(long xid, long seq) {
    }

    /**
     * Where a stream starts: the place after which it serves events, the id of that place (the given one, or for the
     * newest place one above every id of a complete transaction), and the id the purge reached.
     */
    record Start(Place after, long id, long purgedThrough) {
    }

    /** The place after {@code id}, or after the newest complete event when {@code id} is null. */
    Uni<Start> start(Long id) {
        long xid = id == null ? 0 : id >>> ORDINAL_BITS;
        long ordinal = id == null ? 0 : id & ORDINAL_MASK;
        return db.run(pool -> pool.preparedQuery("SELECT purged_id, pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon,"
                        + " CASE WHEN $2 = 0 THEN 0 ELSE coalesce((SELECT seq FROM events WHERE xid = $1::text::xid8 ORDER BY seq"
                        + " OFFSET $2 - 1 LIMIT 1), 9223372036854775807) END AS seq FROM event_stamp WHERE one = 1")
                .execute(Tuple.of(Long.toString(xid), ordinal))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    if (id != null) {
                        return new Start(new Place(xid, r.getLong("seq")), id, r.getLong("purged_id"));
                    }
                    long newest = r.getLong("horizon") - 1;
                    return new Start(new Place(newest, Long.MAX_VALUE), newest << ORDINAL_BITS | ORDINAL_MASK, r.getLong("purged_id"));
                }));
    }

    Uni<List<FeedEvent>> after(Filter filter, Place after) {
        return db.run(pool -> pool.preparedQuery("WITH page AS (SELECT xid, seq, type, at, data FROM events WHERE tenant = $1"
                        + " AND (xid, seq) > ($2::text::xid8, $3) AND xid < pg_snapshot_xmin(pg_current_snapshot())"
                        + " AND ($4::text IS NULL OR continuation_id = $4) AND ($5::text[] IS NULL OR type = ANY($5))"
                        + " ORDER BY xid, seq LIMIT " + PAGE + "),"
                        + " places AS (SELECT xid, seq, row_number() OVER (PARTITION BY xid ORDER BY seq) AS n FROM events"
                        + " WHERE xid IN (SELECT xid FROM page))"
                        + " SELECT page.xid::text::bigint AS xid, page.seq, places.n, page.type, page.at, page.data::text AS data"
                        + " FROM page JOIN places USING (xid, seq) ORDER BY page.xid, page.seq")
                .execute(Tuple.from(Arrays.asList(filter.tenant(), Long.toString(after.xid()), after.seq(), filter.continuationId(),
                        filter.types() == null ? null : filter.types().toArray(String[]::new))))
                .map(rows -> {
                    List<FeedEvent> page = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        long xid = r.getLong("xid");
                        String data = r.getString("data");
                        String head = "{\"type\":\"" + r.getString("type") + "\",\"at\":\"" + Times.format(r.getOffsetDateTime("at")) + "\"";
                        page.add(new FeedEvent(xid << ORDINAL_BITS | r.getLong("n"), new Place(xid, r.getLong("seq")), r.getString("type"),
                                data.equals("{}") ? head + "}" : head + "," + data.substring(1)));
                    }
                    return page;
                }));
    }
}
