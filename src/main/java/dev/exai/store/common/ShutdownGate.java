package dev.exai.store.common;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Once the service is stopping, answers new API requests 503 (with {@code Retry-After}) before they do any work.
 *
 * <p>Why: Quarkus lets in-flight requests finish ({@code quarkus.shutdown.timeout}), but the HTTP server keeps
 * accepting requests on open connections while the application tears down; such a request could commit a message
 * and then lose its answer when the server closes. Refused up front, it is safely retried (with its
 * Idempotency-Key) elsewhere or after the restart. Probes under /q/ keep answering.
 */
@ApplicationScoped
public class ShutdownGate {

    private static final String STOPPING = "{\"type\":\"urn:exai-store:problem:stopping\",\"title\":\"Service unavailable\","
            + "\"status\":503,\"detail\":\"this instance is stopping; retry the request\"}";

    private volatile boolean stopping;

    void delayStarted(@Observes ShutdownDelayInitiatedEvent event) {
        stopping = true;
    }

    void stopping(@Observes ShutdownEvent event) {
        stopping = true;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (stopping && !ctx.request().path().startsWith("/q/")) {
                ctx.response().setStatusCode(503)
                        .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                        .putHeader("Retry-After", "1")
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        .end(STOPPING);
                return;
            }
            ctx.next();
        });
    }
}
