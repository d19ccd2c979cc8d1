package dev.exai.store.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.security.Principal;
import dev.exai.store.session.StreamedAnswers;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * HTTP routes of streamed answers (docs/API.md, "Streamed answers"): an answer opened by an append with
 * {@code status: streaming} receives its pieces here and is completed (or aborted) here.
 */
@Path("/sessions/{cid}/messages/{seq}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "messages")
public class StreamResource {

    private final StreamedAnswers answers;
    private final StreamRequests requests;

    public StreamResource(StreamedAnswers answers, StreamRequests requests) {
        this.answers = answers;
        this.requests = requests;
    }

    @POST
    @Path("/chunks")
    @Operation(summary = "Append pieces to an answer that is streaming",
            description = "One piece or 1..1000. A 2xx means they are committed. A piece already stored with the same text is a "
                    + "retry and stores nothing; with other text it is a 409. The message's content is its contiguous pieces from index 0.")
    public Uni<Response> chunks(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                @PathParam("seq") @Min(value = 1, message = "seq must be 1 or more") long seq, JsonNode body) {
        String id = ContinuationIds.checked(cid);
        return answers.append(Principal.of(request), id, seq, requests.pieces(body))
                .map(progress -> Response.ok(progress, MediaType.APPLICATION_JSON_TYPE).build());
    }

    @POST
    @Path("/complete")
    @Operation(summary = "Complete (or abort) an answer that is streaming",
            description = "409 naming the missing indexes unless pieces 0..chunks-1 are all there; finish_reason aborted ends it "
                    + "incomplete with its contiguous pieces. Then its text is final, counted and searchable. Idempotent: a finished "
                    + "answer answers as it is.")
    public Uni<Response> complete(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                  @PathParam("seq") @Min(value = 1, message = "seq must be 1 or more") long seq, JsonNode body) {
        String id = ContinuationIds.checked(cid);
        return answers.complete(Principal.of(request), id, seq, requests.completion(body))
                .map(message -> Response.ok(message, MediaType.APPLICATION_JSON_TYPE).build());
    }
}
