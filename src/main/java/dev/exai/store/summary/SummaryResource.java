package dev.exai.store.summary;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Hashing;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.Page;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** HTTP routes of a session's summaries: write one (idempotent), list them, read and delete one. */
@Path("/sessions/{cid}/summaries")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "summaries")
public class SummaryResource {

    private final SummaryService summaries;
    private final SummaryRequests requests;

    public SummaryResource(SummaryService summaries, SummaryRequests requests) {
        this.summaries = summaries;
        this.requests = requests;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Store a summary of the session's history through a message",
            description = "through_seq must be a stored seq of the session; token_count is counted like a message's when absent. "
                    + "A context read with summaries=true may send it in place of the turns it covers. Idempotency-Key makes a "
                    + "retry answer the first result (Idempotent-Replayed: true); the same key with another body is a 422.")
    public Uni<Response> write(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                               @HeaderParam(IdempotencyKey.HEADER) String idempotencyKey, JsonNode body) {
        String id = ContinuationIds.checked(cid);
        String key = IdempotencyKey.checked(idempotencyKey);
        NewSummary summary = requests.summary(body);
        return summaries.write(Principal.of(request), id, summary, key, key == null ? null : Hashing.sha256(body.toString()))
                .map(written -> {
                    Response.ResponseBuilder answer = Response.status(201).entity(written.summary());
                    if (written.replayed()) {
                        answer.header("Idempotent-Replayed", "true");
                    }
                    return answer.build();
                });
    }

    @GET
    @Operation(summary = "List a session's summaries", description = "Newest first, cursor-paged; a stale one (a message it "
            + "covered was redacted) is listed with stale: true and no content. A session that continues another lists the "
            + "parent's summaries through the link too, each with its own continuation_id.")
    public Uni<Page<SummaryView>> list(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                   @QueryParam("limit") @DefaultValue("50")
                                   @Min(value = 1, message = "limit must be between 1 and 200")
                                   @Max(value = 200, message = "limit must be between 1 and 200") int limit,
                                   @QueryParam("cursor") String cursor) {
        return summaries.list(Principal.of(request), ContinuationIds.checked(cid), limit, cursor);
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a summary", description = "One of the session's, or of a session it continues through the link.")
    public Uni<SummaryView> get(@Context ContainerRequestContext request, @PathParam("cid") String cid, @PathParam("id") String id) {
        return summaries.get(Principal.of(request), ContinuationIds.checked(cid), id);
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a summary", description = "One of the session's own; a parent's is deleted through the parent (409).")
    @APIResponse(responseCode = "204", description = "Deleted")
    @Produces(MediaType.WILDCARD)
    public Uni<Response> delete(@Context ContainerRequestContext request, @PathParam("cid") String cid, @PathParam("id") String id) {
        return summaries.delete(Principal.of(request), ContinuationIds.checked(cid), id).map(done -> Response.noContent().build());
    }
}
