package dev.exai.store.security;

import dev.exai.store.common.ProblemException;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.BiFunction;

/**
 * The one admission step every request passes, whatever serves it (a REST resource through {@link ApiKeyFilter},
 * the streamed upload route directly): the key names the principal (401 otherwise; the admin key is a 403 here), the
 * tenant's rate must have room (429 with Retry-After), and a request that adds stored bytes needs the tenant under its
 * quota (507). {@code /admin} routes take the admin key only.
 */
@ApplicationScoped
public class Admission {

    private final ApiKeys keys;
    private final TenantLimits limits;
    private final AuthFailures failures;

    public Admission(ApiKeys keys, TenantLimits limits, AuthFailures failures) {
        this.keys = keys;
        this.limits = limits;
        this.failures = failures;
    }

    /**
     * The principal of the request {@code ctx} with this {@code Authorization} header, taken from its tenant's rate;
     * {@code storesBytes} when the request adds message text or file bytes. Throws the problem to answer when it is
     * not admitted (a refused authentication counts towards its address's burst, {@link AuthFailures}).
     */
    public Principal admit(RoutingContext ctx, String authorization, boolean storesBytes) {
        return counted(ctx, (requestId, address) -> admit(authorization, storesBytes).in(requestId, address));
    }

    /** Admits a request to an {@code /admin} route (the admin key only) and answers its principal. */
    public Principal admitAdmin(RoutingContext ctx, String authorization) {
        return counted(ctx, (requestId, address) -> {
            admitAdmin(authorization);
            return new Principal(null, "admin", requestId, address);
        });
    }

    /** Runs an admission with the request's id and address; a refused authentication counts towards its address's burst. */
    private Principal counted(RoutingContext ctx, BiFunction<String, String, Principal> admission) {
        String address = address(ctx);
        String requestId = requestId(ctx);
        try {
            return admission.apply(requestId, address);
        } catch (ProblemException refused) {
            if (refused.status() == 401) {
                failures.failed(address, requestId);
            }
            throw refused;
        }
    }

    private static String address(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    }

    private static String requestId(RoutingContext ctx) {
        return ctx.response().headers().get("X-Request-Id");
    }

    private Principal admit(String authorization, boolean storesBytes) {
        if (keys.isAdmin(authorization)) {
            throw forbidden("the admin key is for /admin routes only; use a tenant key");
        }
        Principal principal = keys.principalOfHeader(authorization).orElseThrow(Admission::unauthorized);
        ProblemException refused = limits.admit(principal.tenant());
        if (refused == null && storesBytes) {
            refused = limits.storageFull(principal.tenant());
        }
        if (refused != null) {
            throw refused;
        }
        return principal;
    }

    /** The admin key only: a tenant key is a 403, anything else a 401. */
    private void admitAdmin(String authorization) {
        if (keys.isAdmin(authorization)) {
            return;
        }
        if (keys.principalOfHeader(authorization).isPresent()) {
            throw forbidden("a tenant key cannot use /admin routes; use the admin key (EXAI_STORE_ADMIN_KEY)");
        }
        throw new ProblemException(401, "unauthorized", "Unauthorized", "send Authorization: Bearer <the admin key> (EXAI_STORE_ADMIN_KEY)")
                .withHeader("WWW-Authenticate", "Bearer");
    }

    private static ProblemException unauthorized() {
        return new ProblemException(401, "unauthorized", "Unauthorized",
                "send Authorization: Bearer <key> with a tenant key (from EXAI_STORE_API_KEYS, or made through /admin)")
                .withHeader("WWW-Authenticate", "Bearer");
    }

    private static ProblemException forbidden(String detail) {
        return new ProblemException(403, "forbidden", "Forbidden", detail);
    }
}
