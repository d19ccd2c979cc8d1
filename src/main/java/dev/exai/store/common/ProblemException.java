package dev.exai.store.common;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failure the client caused or must know about, carrying everything a problem+json answer needs, headers such as
 * Retry-After or WWW-Authenticate included. Services throw it; {@link ProblemMappers} turns it into the response, so
 * no resource builds errors by hand.
 */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String slug;
    private final String title;
    private final Map<String, String> headers;

    public ProblemException(int status, String slug, String title, String detail) {
        this(status, slug, title, detail, Map.of());
    }

    private ProblemException(int status, String slug, String title, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.headers = headers;
    }

    /** The same problem answered with one more header. */
    public ProblemException withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ProblemException(status, slug, title, getMessage(), Collections.unmodifiableMap(more));
    }

    /** Headers the answer carries besides Content-Type. */
    public Map<String, String> headers() {
        return headers;
    }

    /** The problem+json body. */
    public Problem toProblem() {
        return Problem.of(status, slug, title, getMessage());
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "invalid-request", "Invalid request", detail);
    }

    public static ProblemException notFound(String what) {
        return new ProblemException(404, "not-found", "Not found", what + " does not exist");
    }

    public static ProblemException conflict(String detail) {
        return new ProblemException(409, "conflict", "Conflict", detail);
    }

    public static ProblemException tooLarge(String detail) {
        return new ProblemException(413, "too-large", "Content too large", detail);
    }

    public static ProblemException unprocessable(String slug, String detail) {
        return new ProblemException(422, slug, "Unprocessable request", detail);
    }

    public static ProblemException unavailable(String detail) {
        return new ProblemException(503, "store-unavailable", "Service unavailable", detail);
    }
}
