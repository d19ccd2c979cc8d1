package dev.exai.store.common;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * {@link TextInput} where input enters the REST routes, once for all of them: the path, every query parameter and
 * the stored Idempotency-Key header before routing (after the key check). JSON bodies are checked as they are read
 * ({@link CheckedJsonReader}). A route's own parser then only maps what is already clean text.
 */
public class InputChecks {

    private final ErrorDialects errors;

    public InputChecks(ErrorDialects errors) {
        this.errors = errors;
    }

    @ServerRequestFilter(preMatching = true, priority = Priorities.USER + 100)
    public Response checkQueryAndHeaders(ContainerRequestContext request) {
        try {
            TextInput.checked(request.getUriInfo().getPath(), "the path");
            TextInput.checkAll(request.getUriInfo().getQueryParameters());
            TextInput.checked(request.getHeaderString(IdempotencyKey.HEADER), IdempotencyKey.HEADER);
            return null;
        } catch (ProblemException bad) {
            return errors.answer(request.getUriInfo().getPath(), bad);
        }
    }
}
