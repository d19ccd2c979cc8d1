package dev.exai.store.file;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Hashing;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.Problem;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TextInput;
import dev.exai.store.security.Admission;
import dev.exai.store.security.Cipher;
import dev.exai.store.security.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.jboss.logging.Logger;

/**
 * {@code POST /files}, streamed: the body (raw, or the {@code file} part of a multipart form) goes straight to a
 * file in the uploads directory ({@link IncomingUpload}), so memory use does not grow with the file. It is a Vert.x
 * route rather than a REST resource because the REST layer would buffer the body first. Past
 * {@code exai-store.files.max-bytes} the upload stops with a 413 and its file is deleted; nothing else was written
 * yet. Admission ({@link Admission}) and problem details are the rest of the API's.
 */
@ApplicationScoped
public class UploadRoute {

    private static final Logger LOG = Logger.getLogger(UploadRoute.class);
    private static final int MAX_FILENAME = 1024;
    private static final int MAX_PURPOSE = 128;

    private final Admission admission;
    private final FileService files;
    private final BlobStoreProducer blobStores;
    private final Cipher cipher;
    private final ObjectMapper json;
    private final long maxBytes;
    private final long maxTtlSeconds;

    public UploadRoute(Admission admission, FileService files, BlobStoreProducer blobStores, Cipher cipher, ObjectMapper json,
                       StoreConfig config) {
        this.cipher = cipher;
        this.admission = admission;
        this.files = files;
        this.blobStores = blobStores;
        this.json = json;
        this.maxBytes = config.files().maxBytes();
        this.maxTtlSeconds = config.sessions().maxTtlSeconds();
    }

    void install(@Observes Router router, Vertx vertx) {
        router.post("/files").order(-10).handler(ctx -> accept(ctx, vertx));
    }

    private void accept(RoutingContext ctx, Vertx vertx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        Principal caller;
        String idempotencyKey;
        try {
            caller = admission.admit(ctx, request.getHeader(HttpHeaders.AUTHORIZATION), true);
            TextInput.checkQuery(request.params());
            idempotencyKey = IdempotencyKey.checked(TextInput.checked(request.getHeader(IdempotencyKey.HEADER), IdempotencyKey.HEADER));
        } catch (ProblemException refused) {
            fail(ctx, refused);
            return;
        }
        if (!IncomingUpload.isMultipart(request) && request.getParam("filename") == null) {
            fail(ctx, ProblemException.badRequest("send multipart/form-data with a part named file, or the raw bytes with ?filename="));
            return;
        }
        IncomingUpload.start(ctx, vertx, blobStores.uploads(), cipher, caller.tenant(), maxBytes,
                        "the file is larger than " + maxBytes + " bytes (EXAI_STORE_FILES_MAX_BYTES)", "file", request.getParam("filename"))
                .onFailure(failure -> fail(ctx, failure))
                .onSuccess(received -> {
                    NewFile file;
                    try {
                        file = describe(request, received, idempotencyKey);
                    } catch (RuntimeException refused) {
                        IncomingUpload.deleteQuietly(received.path());
                        fail(ctx, refused);
                        return;
                    }
                    files.create(caller, file, requestHash(file)).subscribe().with(
                            stored -> {
                                var response = ctx.response().setStatusCode(201)
                                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                        .putHeader(HttpHeaders.LOCATION, "/files/" + stored.file().id());
                                if (!stored.created()) {
                                    response.putHeader("Idempotent-Replayed", "true");
                                }
                                response.end(toJson(stored.file()));
                            },
                            failure -> fail(ctx, failure));
                });
    }

    private NewFile describe(HttpServerRequest request, IncomingUpload.Received received, String idempotencyKey) {
        String sessionId = field(request, "session_id");
        String purpose = field(request, "purpose");
        Long ttl = ttlSeconds(field(request, "ttl_seconds"));
        if (sessionId != null) {
            ContinuationIds.checked(sessionId);
        }
        if (purpose != null && (purpose.isEmpty() || purpose.length() > MAX_PURPOSE)) {
            throw ProblemException.badRequest("purpose must be 1 to " + MAX_PURPOSE + " characters");
        }
        String type = ContentTypes.decide(received.claimedType(), received.head(), received.head().length);
        return new NewFile(cleanFilename(received.filename()), type, received.size(), received.sha256(), sessionId, purpose, ttl,
                received.path(), received.blob(), idempotencyKey, null, null);
    }

    /** A file's optional lifetime: whole seconds from 1 to the longest session TTL. */
    private Long ttlSeconds(String value) {
        if (value == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds >= 1 && seconds <= maxTtlSeconds) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.badRequest("ttl_seconds must be a whole number from 1 to " + maxTtlSeconds);
    }

    /**
     * Keeps a client's filename as metadata: only its last path segment ('/' and backslash both separate, so
     * {@code ../../etc/passwd} is kept as {@code passwd}), control characters (NUL included, which PostgreSQL cannot
     * store) become '_', and it must be 1..1024 characters. It is never used as a path.
     */
    static String cleanFilename(String name) {
        if (name == null || name.isBlank()) {
            throw ProblemException.badRequest("filename is required (the multipart part's filename, or ?filename=)");
        }
        String last = FileResource.lastSegment(name);
        if (last.isBlank()) {
            throw ProblemException.badRequest("filename has nothing but path separators");
        }
        StringBuilder clean = new StringBuilder(last.length());
        last.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? '_' : c));
        String result = clean.toString().strip();
        if (result.isEmpty() || result.codePointCount(0, result.length()) > MAX_FILENAME) {
            throw ProblemException.badRequest("filename must be 1 to " + MAX_FILENAME + " characters");
        }
        return result;
    }

    private static String requestHash(NewFile file) {
        MessageDigest digest = Hashing.sha256();
        for (String part : new String[] {file.sha256(), file.filename(), file.contentType(), file.sessionId(), file.purpose(),
                String.valueOf(file.ttlSeconds())}) {
            digest.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private void fail(RoutingContext ctx, Throwable failure) {
        ProblemException problem;
        if (failure instanceof ProblemException p) {
            problem = p;
        } else if (failure instanceof HttpClosedException) {
            LOG.warnf("upload abandoned: the client closed the connection after %d bytes", ctx.request().bytesRead());
            problem = new ProblemException(400, "incomplete-body", "Bad Request", "the connection closed before the body ended");
        } else if (isDiskFull(failure)) {
            LOG.warnf("upload refused, the files volume is full: %s", failure.getMessage());
            problem = new ProblemException(507, "insufficient-storage", "Insufficient Storage",
                    "the files volume is full; nothing of this upload was kept; retry once space is freed");
        } else {
            LOG.error("upload failed", failure);
            problem = new ProblemException(500, "internal-error", "Internal Server Error", "the server failed; the failure is logged");
        }
        if (ctx.response().ended()) {
            return;
        }
        problem.headers().forEach(ctx.response()::putHeader);
        ctx.response().setStatusCode(problem.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .end(toJson(problem.toProblem()));
    }

    /** ENOSPC or EDQUOT: Java reports them as an IOException with the C library's message, wrapped by Vert.x. */
    private static boolean isDiskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A form field (else the query parameter of that name), checked as every text input is. The CR that Netty's
     * multipart decoder keeps when a network chunk ends between the CR and LF before the next boundary
     * (netty/netty#12729, #17383) is dropped; none of these fields may contain a CR anyway.
     */
    private static String field(HttpServerRequest request, String name) {
        String value = request.getFormAttribute(name);
        if (value != null && value.endsWith("\r")) {
            value = value.substring(0, value.length() - 1);
        }
        return TextInput.checked(value != null ? value : request.getParam(name), name);
    }
}
