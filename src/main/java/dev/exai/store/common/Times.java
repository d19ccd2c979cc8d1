package dev.exai.store.common;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The one wire form of a timestamp: RFC 3339, UTC, milliseconds. */
public final class Times {

    private static final DateTimeFormatter WIRE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");

    private Times() {
    }

    public static String format(OffsetDateTime time) {
        return time == null ? null : WIRE.format(time.withOffsetSameInstant(ZoneOffset.UTC));
    }

    /** Parses a client timestamp, answering 400 naming the parameter when it is not RFC 3339. */
    public static OffsetDateTime parse(String name, String value) {
        try {
            return OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest(name + " must be an RFC 3339 timestamp such as 2026-11-26T14:18:50Z");
        }
    }
}
