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
        Optional<String> tenant = keys.tenantOfHeader(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (tenant.isPresent()) {
            request.setProperty(Tenant.PROPERTY, tenant.get());
            return null;
        }
        return Response.fromResponse(Problem.of(401, "unauthorized", "Unauthorized",
                        "send Authorization: Bearer <key> with a key from EXAI_STORE_API_KEYS").toResponse())
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
    }
}
