package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ErrorDialect;
import dev.exai.store.common.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

/**
 * Problems on the Storage door worded as Supabase Storage words them: {@code statusCode} (the status as a string),
 * {@code error} (Storage's short name) and {@code message}, with the real HTTP status. supabase-py needs all three
 * keys to raise its StorageApiError, and EXAI looks for {@code Duplicate} in its text.
 */
@ApplicationScoped
public class StorageDialect implements ErrorDialect {

    private static final Logger LOG = Logger.getLogger(StorageDialect.class);

    @Override
    public boolean speaks(String path) {
        return path.startsWith("/storage/v1/");
    }

    @Override
    public Response answer(ProblemException problem) {
        Response.ResponseBuilder answer = Response.status(problem.status()).entity(body(problem).toString()).type(MediaType.APPLICATION_JSON_TYPE);
        problem.headers().forEach(answer::header);
        return answer.build();
    }

    /**
     * Any failure of a Storage operation as its answer: the problem it is (PostgreSQL away is already a 503 problem,
     * from {@code Database}), else a logged 500.
     */
    static ProblemException problem(Throwable failure) {
        if (failure instanceof ProblemException problem) {
            return problem;
        }
        LOG.error("storage request failed", failure);
        return new ProblemException(500, "internal-error", "Internal Server Error", "the server failed; the failure is logged");
    }

    /** Storage's error body for a problem; the texts clients match (Duplicate, not found) are Storage's own. */
    static ObjectNode body(ProblemException problem) {
        String error;
        String message = problem.getMessage();
        switch (problem.slug()) {
            case "bucket-not-found" -> {
                error = "Bucket not found";
                message = "Bucket not found";
            }
            case "object-not-found" -> {
                error = "not_found";
                message = "Object not found";
            }
            case "duplicate" -> {
                error = "Duplicate";
                message = "The resource already exists";
            }
            case "bucket-not-empty" -> {
                error = "InvalidRequest";
                message = "The bucket you tried to delete is not empty";
            }
            case "too-large" -> error = "Payload too large";
            case "invalid-mime-type" -> error = "invalid_mime_type";
            case "invalid-jwt" -> error = "InvalidJWT";
            case "invalid-signature" -> error = "InvalidSignature";
            case "invalid-key" -> error = "InvalidKey";
            default -> error = switch (problem.status()) {
                case 400 -> "InvalidRequest";
                case 401 -> "Unauthorized";
                case 404 -> "not_found";
                case 429 -> "too_many_requests";
                case 503 -> "DatabaseTimeout";
                case 507 -> "insufficient_storage";
                default -> problem.status() >= 500 ? "internal" : problem.title();
            };
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("statusCode", String.valueOf(problem.status()));
        body.put("error", error);
        body.put("message", message);
        return body;
    }
}
