package dev.exai.store.common;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Keyset paging on (a timestamp, id) in descending order, the way sessions and files are listed: the cursor is
 * the last row's key, the query asks for {@code limit + 1} rows with a key below it, and the extra row says that
 * another page exists.
 */
public final class KeysetPage {

    private KeysetPage() {
    }

    /** The key a cursor holds, or nulls for the first page. */
    public record After(OffsetDateTime time, UUID id) {
    }

    public static After after(String cursor) {
        if (cursor == null) {
            return new After(null, null);
        }
        List<String> fields = Cursors.decode(cursor, 2);
        try {
            return new After(Times.parse("cursor", fields.get(0)), UUID.fromString(fields.get(1)));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }

    /** The page of {@code limit} items from {@code limit + 1} rows ordered by ({@code timeColumn}, id) descending. */
    public static <T> Page<T> of(RowSet<Row> rows, int limit, String timeColumn, Function<Row, T> item) {
        List<Row> all = new ArrayList<>(rows.size());
        rows.forEach(all::add);
        boolean more = all.size() > limit;
        List<Row> page = more ? all.subList(0, limit) : all;
        String next = null;
        if (more) {
            Row last = page.get(limit - 1);
            next = Cursors.encode(last.getOffsetDateTime(timeColumn).toString(), last.getUUID("id").toString());
        }
        return new Page<>(page.stream().map(item).toList(), next);
    }
}
