package dev.exai.store.security;

import jakarta.ws.rs.container.ContainerRequestContext;

/**
 * Who is calling: the tenant a request acts for and the id of the key that admitted it (never the key itself).
 * {@link Admission} makes it once per request; services take it whole, so an act can be recorded with its key.
 */
public record Principal(String tenant, String keyId) {

    static final String PROPERTY = "exai-store.principal";

    /** The principal {@link ApiKeyFilter} admitted for this request. */
    public static Principal of(ContainerRequestContext request) {
        Object principal = request.getProperty(PROPERTY);
        if (principal == null) {
            throw new IllegalStateException("request reached a resource without passing ApiKeyFilter");
        }
        return (Principal) principal;
    }
}
