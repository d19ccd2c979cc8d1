package dev.exai.store.common;

import jakarta.ws.rs.core.Response;

/**
 * How a door that speaks another protocol (the Supabase door: PostgREST, Storage) words a problem found before its
 * own code runs: a refused key, a rate limit, bad text in a query. Checks that answer for every route ask
 * {@link ErrorDialects} for the answer, so each protocol's clients read errors in their own shape.
 */
public interface ErrorDialect {

    /** Whether requests to this path speak this dialect. */
    boolean speaks(String path);

    /** The answer for the problem, with its headers. */
    Response answer(ProblemException problem);
}
