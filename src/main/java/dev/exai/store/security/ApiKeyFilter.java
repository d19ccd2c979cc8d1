package dev.exai.store.security;

import dev.exai.store.common.ErrorDialects;
import dev.exai.store.common.ProblemException;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Runs {@link Admission} before routing, so an unknown route without a key is a 401 too, and records the
 * request's {@link Principal} for the resources. A refusal is worded in the dialect of the route's protocol.
 */
public class ApiKeyFilter {

    private final Admission admission;
    private final ErrorDialects errors;
    private final Cipher cipher;

    public ApiKeyFilter(Admission admission, ErrorDialects errors, Cipher cipher) {
        this.admission = admission;
        this.errors = errors;
        this.cipher = cipher;
    }

    /**
     * The routes that add message text to what a tenant stores: appends, pieces of streamed answers, imports, and the
     * Supabase door's message tables (the upload route admits its own requests).
     */
    private static boolean storesBytes(String method, String path) {
        return method.equals("POST") && (path.endsWith("messages") || path.endsWith("/chunks") || path.equals("/sessions/import"));
    }

    /**
     * The Supabase door's Storage reads that carry no key: a public bucket's objects, and a signed URL's download
     * (its token names the tenant).
     */
    private static boolean keyless(String method, String path) {
        return (method.equals("GET") || method.equals("HEAD"))
                && (path.startsWith("/storage/v1/object/public/") || path.startsWith("/storage/v1/object/sign/"));
    }

    /**
     * The request's credential: {@code Authorization}; on the Supabase door, whose clients send the key as
     * {@code apikey} and as a bearer token, the {@code apikey} header when there is no {@code Authorization}.
     */
    private static String credential(ContainerRequestContext request, String path) {
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (authorization == null && (path.startsWith("/rest/v1/") || path.startsWith("/storage/v1/"))) {
            String apikey = request.getHeaderString("apikey");
            return apikey == null ? null : "Bearer " + apikey;
        }
        return authorization;
    }

    /** Admits the request; before its route runs, the tenant's data key is made ready ({@link Cipher#ready}). */
    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext request, RoutingContext ctx) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/q/") || keyless(request.getMethod(), path)) {
            return NEXT;
        }
        try {
            if (path.startsWith("/admin/")) {
                request.setProperty(Principal.PROPERTY, admission.admitAdmin(ctx, request.getHeaderString(HttpHeaders.AUTHORIZATION)));
                return NEXT;
            }
            Principal principal = admission.admit(ctx, credential(request, path), storesBytes(request.getMethod(), path));
            request.setProperty(Principal.PROPERTY, principal);
            return cipher.isReady(principal.tenant()) ? NEXT
                    : cipher.ready(principal.tenant()).replaceWith((Response) null)
                            .onFailure().recoverWithItem(e -> errors.answer(path, e instanceof ProblemException p ? p
                                    : ProblemException.unavailable("the tenant's data key could not be loaded; retry")));
        } catch (ProblemException refused) {
            return Uni.createFrom().item(errors.answer(path, refused));
        }
    }

    private static final Uni<Response> NEXT = Uni.createFrom().nullItem();
}
