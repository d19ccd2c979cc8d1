package dev.exai.store.common;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Opaque page cursors: a few fields joined and base64url-encoded, so clients pass them back untouched
 * and a tampered cursor is a 400 rather than a server error.
 */
public final class Cursors {

    private static final String SEPARATOR = "\u001f";

    private Cursors() {
    }

    public static String encode(String... fields) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(String.join(SEPARATOR, fields).getBytes(StandardCharsets.UTF_8));
    }

    /** A cursor that holds a row offset (ranked lists, where a keyset does not exist); 0 for none. */
    public static int offset(String cursor) {
        if (cursor == null) {
            return 0;
        }
        try {
            return Integer.parseInt(decode(cursor, 1).get(0));
        } catch (NumberFormatException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }

    /** The cursor's fields, or a 400 when it was not made by {@link #encode} with that many fields. */
    public static List<String> decode(String cursor, int fields) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            List<String> parts = List.of(text.split(SEPARATOR, -1));
            if (parts.size() != fields) {
                throw new IllegalArgumentException();
            }
            return parts;
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }
}
