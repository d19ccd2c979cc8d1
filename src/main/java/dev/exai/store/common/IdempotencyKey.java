package dev.exai.store.common;

/** The {@code Idempotency-Key} header every write route takes: absent, or 1 to 255 characters. */
public final class IdempotencyKey {

    public static final String HEADER = "Idempotency-Key";
    private static final int MAX_LENGTH = 255;

    private IdempotencyKey() {
    }

    /** The 422 for a key already used with another request body. */
    public static ProblemException reused(String key) {
        return ProblemException.unprocessable("idempotency-key-reused",
                HEADER + " " + key + " was already used with a different request body");
    }

    /** The header's value, checked; null when it was not sent. */
    public static String checked(String value) {
        if (value != null && (value.isEmpty() || value.length() > MAX_LENGTH)) {
            throw ProblemException.badRequest(HEADER + " must be 1 to " + MAX_LENGTH + " characters");
        }
        return value;
    }
}
