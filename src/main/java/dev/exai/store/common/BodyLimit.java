package dev.exai.store.common;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a body whose declared length is over the limit with a problem+json 413 before anything reads it:
 * {@code exai-store.max-json-body} (16M) for the JSON routes, {@code exai-store.files.max-bytes} for uploads.
 * {@code quarkus.http.limits.max-body-size} stays a higher ceiling, because uploads stream past the REST layer.
 */
@ApplicationScoped
public class BodyLimit {

    /** Room for the multipart framing around an uploaded file. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;

    private final long maxBytes;
    private final long maxFileBytes;

    public BodyLimit(StoreConfig config) {
        this.maxBytes = config.maxJsonBody().asLongValue();
        this.maxFileBytes = config.files().maxBytes();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            boolean upload = ctx.request().method() == HttpMethod.POST && "/files".equals(ctx.request().path());
            String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
            long limit = !upload ? maxBytes
                    : maxFileBytes + (type != null && type.toLowerCase().startsWith("multipart/") ? MULTIPART_OVERHEAD : 0);
            if (declared != null && isOver(declared, limit)) {
                ctx.response().setStatusCode(413)
                        .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        .end("{\"type\":\"urn:exai-store:problem:too-large\",\"title\":\"Content too large\",\"status\":413,"
                                + "\"detail\":\"the request body is larger than " + limit + " bytes\"}");
                return;
            }
            ctx.next();
        });
    }

    private static boolean isOver(String declared, long limit) {
        try {
            return Long.parseLong(declared.trim()) > limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
