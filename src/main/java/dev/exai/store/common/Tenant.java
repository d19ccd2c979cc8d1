package dev.exai.store.common;

import jakarta.ws.rs.container.ContainerRequestContext;

/** Reads the tenant that {@link ApiKeyFilter} established for the current request. */
public final class Tenant {

    static final String PROPERTY = "exai-store.tenant";

    private Tenant() {
    }

    public static String of(ContainerRequestContext request) {
        Object tenant = request.getProperty(PROPERTY);
        if (tenant == null) {
            throw new IllegalStateException("request reached a resource without passing ApiKeyFilter");
        }
        return (String) tenant;
    }
}
