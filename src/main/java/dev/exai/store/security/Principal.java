package dev.exai.store.security;

import jakarta.ws.rs.container.ContainerRequestContext;

/**
 * Who is calling: the tenant a request acts for and the id of the key that admitted it (never the key itself), with
 * the request's id and the client's address for the audit trail. {@link Admission} makes it once per request;
 * services take it whole, so an act can be recorded with its key.
 */
public record Principal(String tenant, String keyId, String requestId, String address) {

    static final String PROPERTY = "exai-store.principal";

    /** A principal outside any request (a signed URL, a public object): no request id or address to record. */
    public Principal(String tenant, String keyId) {
        this(tenant, keyId, null, null);
    }

    /** The same principal, seen in a request with this id from this address. */
    Principal in(String request, String from) {
        return new Principal(tenant, keyId, request, from);
    }

    /** The admin's principal acting on a tenant's behalf (the tenant an admin act is recorded under). */
    Principal forTenant(String acted) {
        return new Principal(acted, keyId, requestId, address);
    }

    /** The principal {@link ApiKeyFilter} admitted for this request. */
    public static Principal of(ContainerRequestContext request) {
        Object principal = request.getProperty(PROPERTY);
        if (principal == null) {
            throw new IllegalStateException("request reached a resource without passing ApiKeyFilter");
        }
        return (Principal) principal;
    }
}
