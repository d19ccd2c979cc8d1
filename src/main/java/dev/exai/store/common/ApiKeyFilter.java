package dev.exai.store.common;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Checks {@code Authorization: Bearer <key>} before routing, so an unknown route without a key is a 401 too,
 * takes the request from the tenant's limits ({@link TenantLimits}: 429 over its rate, 507 over its stored bytes),
 * and records the caller's tenant for the resources ({@link Tenant#of}).
 */
public class ApiKeyFilter {

    private final ApiKeys keys;
    private final TenantLimits limits;

    public ApiKeyFilter(ApiKeys keys, TenantLimits limits) {
        this.keys = keys;
        this.limits = limits;
    }

    /** The routes that add message text to what a tenant stores (uploads check it in UploadRoute). */
    private static boolean storesBytes(String method, String path) {
        return method.equals("POST") && (path.endsWith("/messages") || path.equals("/sessions/import"));
    }

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/q/")) {
            return null;
        }
        Optional<String> tenant = keys.tenantOfHeader(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (tenant.isPresent()) {
            ProblemException refused = limits.admit(tenant.get());
            if (refused == null && storesBytes(request.getMethod(), path)) {
                refused = limits.storageFull(tenant.get());
            }
            if (refused != null) {
                return ProblemMappers.answer(refused);
            }
            request.setProperty(Tenant.PROPERTY, tenant.get());
            return null;
        }
        return Response.fromResponse(Problem.of(401, "unauthorized", "Unauthorized",
                        "send Authorization: Bearer <key> with a key from EXAI_STORE_API_KEYS").toResponse())
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
    }
}
