package dev.exai.store.common;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The answer to a problem in the dialect of the request's path: a door's own, else problem+json. */
@ApplicationScoped
public class ErrorDialects {

    private final List<ErrorDialect> dialects;

    public ErrorDialects(Instance<ErrorDialect> dialects) {
        this.dialects = dialects.stream().toList();
    }

    public Response answer(String path, ProblemException problem) {
        for (ErrorDialect dialect : dialects) {
            if (dialect.speaks(path)) {
                return dialect.answer(problem);
            }
        }
        return ProblemMappers.answer(problem);
    }
}
