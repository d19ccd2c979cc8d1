package dev.exai.store.supabase;

import dev.exai.store.common.ErrorDialect;
import dev.exai.store.common.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

/**
 * Problems found before the PostgREST door's code runs (a refused key, a tenant over its rate or quota, bad text in
 * a query), worded as PostgREST words them, so supabase-py raises its APIError with a code rather than failing to
 * read the body.
 */
@ApplicationScoped
public class PostgrestDialect implements ErrorDialect {

    @Override
    public boolean speaks(String path) {
        return path.startsWith("/rest/v1/");
    }

    @Override
    public Response answer(ProblemException problem) {
        String code = switch (problem.status()) {
            case 401 -> "PGRST301";
            case 400 -> "22021";
            case 429 -> "53400";
            case 507 -> "53100";
            default -> "P0001";
        };
        Response.ResponseBuilder answer = Response.fromResponse(RestDoorResource.error(new PostgrestError(problem.status(), code,
                problem.getMessage(), null, problem.status() == 401 ? "send the tenant's exai-store key as apikey and Authorization: Bearer" : null)));
        problem.headers().forEach(answer::header);
        return answer.build();
    }
}
