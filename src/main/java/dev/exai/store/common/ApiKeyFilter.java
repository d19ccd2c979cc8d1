package dev.exai.store.common;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Checks {@code Authorization: Bearer <key>} before routing, so an unknown route without a key is a 401 too,
 * and records the caller's tenant for the resources ({@link Tenant#of}).
 */
public class ApiKeyFilter {

    private final ApiKeys keys;

    public ApiKeyFilter(ApiKeys keys) {
        this.keys = keys;
    }

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/q/")) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        Optional<String> tenant = keys.tenantOf(token);
        if (tenant.isPresent()) {
            request.setProperty(Tenant.PROPERTY, tenant.get());
            return null;
        }
        return Response.fromResponse(Problem.of(401, "unauthorized", "Unauthorized",
                        "send Authorization: Bearer <key> with a key from EXAI_STORE_API_KEYS").toResponse())
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
    }
}
