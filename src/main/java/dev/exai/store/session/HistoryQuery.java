package dev.exai.store.session;

import dev.exai.store.common.Cursors;
import dev.exai.store.common.ProblemException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which slice of a session's history a read asks for, in the three shapes the API offers: ascending after a seq,
 * descending before a seq, or the newest N. Because seq is gapless (1..count), a slice is a range of ranks
 * (seq - 1), which the cache can serve with one ZRANGE and PostgreSQL with one indexed range scan.
 */
record HistoryQuery(Order order, long boundary, int limit) {

    enum Order { ASC, DESC, LAST }

    static HistoryQuery ascending(long afterSeq, int limit) {
        return new HistoryQuery(Order.ASC, afterSeq, limit);
    }

    /** Newest first; {@code beforeSeq} 0 means from the newest message. */
    static HistoryQuery descending(long beforeSeq, int limit) {
        return new HistoryQuery(Order.DESC, beforeSeq, limit);
    }

    static HistoryQuery last(int n) {
        return new HistoryQuery(Order.LAST, 0, n);
    }

    /** Reads the opaque cursor of an earlier page. */
    static HistoryQuery fromCursor(String cursor, int limit) {
        List<String> fields = Cursors.decode(cursor, 2);
        long seq;
        try {
            seq = Long.parseLong(fields.get(1));
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
        return switch (fields.get(0)) {
            case "a" -> ascending(seq, limit);
            case "d" -> descending(seq, limit);
            default -> throw ProblemException.badRequest("cursor is not one this service returned");
        };
    }

    boolean descending() {
        return order == Order.DESC;
    }

    /** The 0-based rank range {start, stop}; {null, null} when the slice is empty whatever the count. */
    Long[] ranks() {
        return switch (order) {
            case ASC -> new Long[] {boundary, boundary + limit - 1};
            case LAST -> new Long[] {(long) -limit, -1L};
            case DESC -> {
                if (boundary == 0) {
                    yield new Long[] {(long) -limit, -1L};
                }
                long stop = boundary - 2;
                yield stop < 0 ? new Long[] {null, null} : new Long[] {Math.max(0, boundary - 1 - limit), stop};
            }
        };
    }

    /** The slice of a full history (ascending, seq 1..count), in response order. */
    <T> List<T> slice(List<T> all, int count) {
        long from;
        long to;
        switch (order) {
            case ASC -> {
                from = boundary + 1;
                to = boundary + limit;
            }
            case LAST -> {
                from = count - limit + 1;
                to = count;
            }
            default -> {
                long before = boundary == 0 ? count + 1 : Math.min(boundary, count + 1);
                from = before - limit;
                to = before - 1;
            }
        }
        int start = (int) Math.max(0, from - 1);
        int end = (int) Math.min(count, Math.max(0, to));
        List<T> slice = start >= end ? List.of() : all.subList(start, end);
        if (order != Order.DESC) {
            return slice;
        }
        List<T> newestFirst = new ArrayList<>(slice);
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** The cursor of the page after one that returned {@code returned} items, or null at the end. */
    String nextCursor(int count, int returned) {
        return switch (order) {
            case LAST -> null;
            case ASC -> {
                long lastSeq = boundary + returned;
                yield returned == limit && lastSeq < count ? Cursors.encode("a", Long.toString(lastSeq)) : null;
            }
            case DESC -> {
                long before = boundary == 0 ? count + 1L : boundary;
                long lastSeq = before - returned;
                yield returned == limit && lastSeq > 1 ? Cursors.encode("d", Long.toString(lastSeq)) : null;
            }
        };
    }
}
