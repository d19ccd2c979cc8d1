package dev.exai.store.common;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a request over the service's size limits with problem+json before anything reads it: a URI longer than
 * {@value #MAX_URI} characters (414), and a body whose declared length is over {@code exai-store.max-json-body} (16M)
 * for the JSON routes or {@code exai-store.files.max-bytes} for uploads (413). The HTTP server's own limits stay
 * higher ceilings ({@code quarkus.http.limits.max-initial-line-length}, {@code max-body-size}): past them Vert.x
 * answers by itself, with an empty body, and Quarkus gives no hook to change that.
 */
@ApplicationScoped
public class RequestLimits {

    /** The longest request URI (path and query) a route takes. */
    static final int MAX_URI = 8192;

    /** Room for the multipart framing around an uploaded file. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;

    private final long maxBytes;
    private final long maxFileBytes;

    public RequestLimits(StoreConfig config) {
        this.maxBytes = config.maxJsonBody().asLongValue();
        this.maxFileBytes = config.files().maxBytes();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (ctx.request().uri().length() > MAX_URI) {
                ctx.response().setStatusCode(414)
                        .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                        .end("{\"type\":\"urn:exai-store:problem:uri-too-long\",\"title\":\"URI too long\",\"status\":414,"
                                + "\"detail\":\"the request URI is longer than " + MAX_URI + " characters; send long filters in fewer words\"}");
                return;
            }
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
