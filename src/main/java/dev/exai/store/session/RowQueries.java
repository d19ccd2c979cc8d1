package dev.exai.store.session;

import dev.exai.store.common.RowQuery;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/** Row queries the session room makes itself: rows it has just written, read back as the row view shows them. */
final class RowQueries {

    private RowQueries() {
    }

    /** The rows with these ids, in id order (the caller puts them back in its own). */
    static RowQuery idIn(List<UUID> ids) {
        return new RowQuery(List.of(new RowQuery.Filter("id", RowQuery.Op.IN, false, ids.stream().map(UUID::toString).toList())),
                List.of(), null, 0);
    }

    /** {@code rows} in the order of {@code ids}. */
    static <R> List<R> inOrder(List<UUID> ids, List<R> rows, Function<R, UUID> id) {
        Map<UUID, R> byId = new HashMap<>();
        rows.forEach(r -> byId.put(id.apply(r), r));
        return ids.stream().map(byId::get).filter(Objects::nonNull).toList();
    }
}
