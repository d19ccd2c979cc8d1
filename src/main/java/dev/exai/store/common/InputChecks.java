package dev.exai.store.common;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.IOException;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * {@link TextInput} where input enters the REST routes, once for all of them: the path, every query parameter and
 * the stored Idempotency-Key header before routing (after the key check), every string of a JSON body, keys
 * included, as it is read. A route's own parser then only maps what is already clean text.
 */
@Provider
public class InputChecks implements ReaderInterceptor {

    @ServerRequestFilter(preMatching = true, priority = Priorities.USER + 100)
    public Response checkQueryAndHeaders(ContainerRequestContext request) {
        try {
            TextInput.checked(request.getUriInfo().getPath(), "the path");
            TextInput.checkAll(request.getUriInfo().getQueryParameters());
            TextInput.checked(request.getHeaderString(IdempotencyKey.HEADER), IdempotencyKey.HEADER);
            return null;
        } catch (ProblemException bad) {
            return ProblemMappers.answer(bad);
        }
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        Object body = context.proceed();
        if (body instanceof JsonNode json) {
            TextInput.check(json, "");
        }
        return body;
    }
}
