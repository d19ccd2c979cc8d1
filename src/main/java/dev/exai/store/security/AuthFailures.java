package dev.exai.store.security;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Notices a burst of failed authentications from one client address (20 within a minute) and records it once per
 * burst in the audit trail, so a key being guessed or a client with a revoked key shows up. Counted per replica.
 */
@ApplicationScoped
class AuthFailures {

    private static final Logger LOG = Logger.getLogger(AuthFailures.class);
    static final int BURST = 20;
    private static final long WINDOW_NANOS = 60_000_000_000L;
    private static final int MAX_ADDRESSES = 10_000;

    /** One address's failures in the current window, and whether this burst was recorded already. */
    private record Window(long startedAt, int failures, boolean recorded) {
    }

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final AuditTrail audit;

    AuthFailures(AuditTrail audit) {
        this.audit = audit;
    }

    void failed(String address, String requestId) {
        if (address == null) {
            return;
        }
        long now = System.nanoTime();
        if (windows.size() > MAX_ADDRESSES) {
            windows.values().removeIf(w -> now - w.startedAt() > WINDOW_NANOS);
        }
        Window window = windows.compute(address, (key, w) -> w == null || now - w.startedAt() > WINDOW_NANOS
                ? new Window(now, 1, false) : new Window(w.startedAt(), w.failures() + 1, w.recorded()));
        if (window.failures() >= BURST && !window.recorded()) {
            windows.computeIfPresent(address, (key, w) -> new Window(w.startedAt(), w.failures(), true));
            audit.record(new Principal(null, "none", requestId, address), "auth.failures", "address " + address,
                            JsonNodeFactory.instance.objectNode().put("failures", window.failures()).put("within_seconds", 60))
                    .subscribe().with(done -> { }, e -> LOG.warnf("recording a burst of failed authentications failed: %s", e.toString()));
        }
    }
}
