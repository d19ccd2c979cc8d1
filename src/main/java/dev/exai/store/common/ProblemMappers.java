package dev.exai.store.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place failures become HTTP answers: every error, ours or the framework's, leaves as
 * {@code application/problem+json}, and no stack trace reaches a client.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        return answer(e);
    }

    /** The answer for a problem, with the headers it carries (Retry-After, WWW-Authenticate). */
    public static Response answer(ProblemException e) {
        Response response = e.toProblem().toResponse();
        if (e.headers().isEmpty()) {
            return response;
        }
        Response.ResponseBuilder answer = Response.fromResponse(response);
        e.headers().forEach(answer::header);
        return answer.build();
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonProcessingException e) {
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                + ", column " + e.getLocation().getColumnNr();
        return Problem.of(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON" + where).toResponse();
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        String detail = e.getConstraintViolations().stream()
                .map(ProblemMappers::describe)
                .sorted()
                .collect(Collectors.joining("; "));
        return Problem.of(400, "invalid-request", "Invalid request", detail).toResponse();
    }

    @ServerExceptionMapper
    public Response framework(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformedJson(json);
        }
        if (e instanceof NotFoundException && e.getCause() != null) {
            // JAX-RS answers 404 when a query or path parameter cannot be converted; it is the client's input.
            return Problem.of(400, "invalid-request", "Invalid request", "a query or path parameter has the wrong type").toResponse();
        }
        Response original = e.getResponse();
        int status = original.getStatus();
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type == null ? "HTTP " + status : type.getReasonPhrase();
        String detail = switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed here";
            case 406 -> "this resource cannot produce the requested media type";
            case 413 -> "the request body is larger than this service accepts";
            case 415 -> "unsupported Content-Type; send application/json";
            default -> status >= 500 ? "the server could not complete the request" : "the request was not accepted";
        };
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        Response.ResponseBuilder answer = Response.fromResponse(Problem.of(status, slug(title), title, detail).toResponse());
        original.getHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Content-Type") && !name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> answer.header(name, v));
            }
        });
        return answer.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        if (Database.isUnreachable(e)) {
            return Problem.of(503, "store-unavailable", "Service unavailable", "PostgreSQL is unavailable; retry later").toResponse();
        }
        String refusal = Database.refusal(e);
        if (refusal != null) {
            return Problem.of(503, "store-unavailable", "Service unavailable", refusal).toResponse();
        }
        LOG.error("unexpected failure", e);
        return Problem.of(500, "internal-error", "Internal Server Error", "the server failed; the failure is logged").toResponse();
    }

    /** Constraint messages name their parameter themselves ("limit must be between 1 and 200"). */
    private static String describe(ConstraintViolation<?> violation) {
        return violation.getMessage();
    }

    private static String slug(String title) {
        return title.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }
}
