package dev.exai.store.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Hashing;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Times;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestMulti;

/** HTTP routes of sessions: create, get-or-create, read, list, merge-patch, delete, fork, context, export and import. */
@Path("/sessions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "sessions")
public class SessionResource {

    private final SessionService sessions;
    private final TransferService transfers;
    private final ContextReader contexts;
    private final SessionRequests requests;
    private final SessionTransfer transfer;
    private final ObjectMapper json;

    public SessionResource(SessionService sessions, TransferService transfers, ContextReader contexts, SessionRequests requests,
                           SessionTransfer transfer, ObjectMapper json) {
        this.sessions = sessions;
        this.transfers = transfers;
        this.contexts = contexts;
        this.requests = requests;
        this.transfer = transfer;
        this.json = json;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a session", description = "Body optional; the server makes a UUID continuation_id when absent. 409 if the id exists.")
    public Uni<Response> create(@Context ContainerRequestContext request, @Context UriInfo uri, JsonNode body) {
        SessionInput input = requests.sessionInput(body, null);
        return sessions.create(Principal.of(request), input)
                .map(session -> Response.created(uri.getBaseUriBuilder().path("sessions").path(session.continuationId()).build())
                        .entity(session).build());
    }

    @PUT
    @Path("/{cid}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Get or create a session", description = "201 when created, 200 when it existed; the body applies only on create.")
    public Uni<Response> getOrCreate(@Context ContainerRequestContext request, @PathParam("cid") String cid, JsonNode body) {
        SessionInput input = requests.sessionInput(body, ContinuationIds.checked(cid));
        return sessions.getOrCreate(Principal.of(request), input)
                .map(result -> Response.status(result.created() ? 201 : 200).entity(result.session()).build());
    }

    @GET
    @Path("/{cid}")
    @Operation(summary = "Read a session")
    public Uni<Response> get(@Context ContainerRequestContext request, @PathParam("cid") String cid) {
        return sessions.getJson(Principal.of(request), ContinuationIds.checked(cid))
                .map(body -> Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build());
    }

    @GET
    @Operation(summary = "List sessions", description = "Most recently updated first, cursor-paged; narrowed by user_id, metadata "
            + "(a JSON object the session's metadata contains), q (in the title, ignoring case) and updated_after.")
    public Uni<Page<Session>> list(@Context ContainerRequestContext request,
                                   @QueryParam("user_id") String userId,
                                   @QueryParam("metadata") String metadata,
                                   @QueryParam("q") @Size(max = 1024, message = "q must be at most 1024 characters") String q,
                                   @QueryParam("updated_after") String updatedAfter,
                                   @QueryParam("limit") @DefaultValue("50")
                                   @Min(value = 1, message = "limit must be between 1 and 200")
                                   @Max(value = 200, message = "limit must be between 1 and 200") int limit,
                                   @QueryParam("cursor") String cursor) {
        SessionFilters filters = new SessionFilters(userId, SessionRequests.metadataFilter(metadata),
                q == null || q.isEmpty() ? null : q, updatedAfter == null ? null : Times.parse("updated_after", updatedAfter));
        return sessions.list(Principal.of(request), filters, limit, cursor);
    }

    @PATCH
    @Path("/{cid}")
    @Consumes({MergePatch.MEDIA_TYPE, MediaType.APPLICATION_JSON})
    @Operation(summary = "Merge-patch title, metadata and ttl_seconds (RFC 7396)")
    public Uni<Session> patch(@Context ContainerRequestContext request, @PathParam("cid") String cid, JsonNode patch) {
        return sessions.patch(Principal.of(request), ContinuationIds.checked(cid),
                current -> requests.applyPatch(patch, current, parse(current.metadata())));
    }

    @DELETE
    @Path("/{cid}")
    @Produces(MediaType.WILDCARD) // no body to negotiate: any Accept is fine (a generated client sends its error type)
    @Operation(summary = "Delete a session and all its messages",
            description = "409 naming the sessions that continue it, unless cascade=true, which deletes them too.")
    public Uni<Response> delete(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                @QueryParam("cascade") @DefaultValue("false") boolean cascade) {
        return sessions.delete(Principal.of(request), ContinuationIds.checked(cid), cascade)
                .map(done -> Response.noContent().build());
    }

    @POST
    @Path("/{cid}/fork")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Branch a session at a seq into a new session that continues it",
            description = "Body optional: continuation_id (made when absent), at_seq (default: the last), user_id, title, metadata. "
                    + "Nothing is copied: the new session's history is the parent's first at_seq messages, then its own.")
    public Uni<Response> fork(@Context ContainerRequestContext request, @Context UriInfo uri, @PathParam("cid") String cid,
                              JsonNode body) {
        SessionInput input = requests.forkInput(body, ContinuationIds.checked(cid));
        return sessions.fork(Principal.of(request), input)
                .map(session -> Response.created(uri.getBaseUriBuilder().path("sessions").path(session.continuationId()).build())
                        .entity(session).build());
    }

    @GET
    @Path("/{cid}/export")
    @Produces(SessionTransfer.JSON_LINES)
    @Operation(summary = "Export a session as JSON lines",
            description = "Line 1: {\"exai_store_export\": 1, \"session\": {...}}; then one message per line as the API shows it, "
                    + "then one line per live summary ({\"kind\": \"summary\", ...}), "
                    + "in seq order, as of the start of the export. Streamed: memory stays flat for any length. "
                    + "Accept: text/markdown gives a readable transcript instead.")
    @APIResponse(responseCode = "200", description = "The session as JSON lines, streamed",
            content = @Content(mediaType = SessionTransfer.JSON_LINES, schema = @Schema(type = SchemaType.STRING)))
    public Multi<Buffer> export(@Context ContainerRequestContext request, @PathParam("cid") String cid) {
        return exported(request, cid, ".jsonl", transfer::header, transfer::line, true);
    }

    @GET
    @Path("/{cid}/export")
    @Produces(SessionTransfer.MARKDOWN)
    @Operation(summary = "Export a session as a Markdown transcript")
    @APIResponse(responseCode = "200", description = "The session as a Markdown transcript, streamed",
            content = @Content(mediaType = SessionTransfer.MARKDOWN, schema = @Schema(type = SchemaType.STRING)))
    public Multi<Buffer> exportMarkdown(@Context ContainerRequestContext request, @PathParam("cid") String cid) {
        return exported(request, cid, ".md", transfer::markdownHeader, transfer::markdown, false);
    }

    private Multi<Buffer> exported(ContainerRequestContext request, String cid, String extension, Function<Session, String> header,
                                   Function<Message, String> line, boolean withSummaries) {
        String id = ContinuationIds.checked(cid);
        return RestMulti.fromUniResponse(transfers.exportable(Principal.of(request), id),
                session -> Multi.createBy().concatenating().streams(
                        Multi.createFrom().item(Buffer.buffer(header.apply(session.view()))),
                        transfers.exportMessages(session).map(m -> Buffer.buffer(line.apply(m))),
                        withSummaries ? transfers.exportSummaries(session).map(Buffer::buffer) : Multi.createFrom().empty()),
                session -> Map.of("Content-Disposition", List.of("attachment; filename=\"" + id + extension + "\"")));
    }

    @POST
    @Path("/import")
    @Consumes({SessionTransfer.JSON_LINES, "application/jsonl", MediaType.TEXT_PLAIN})
    @Operation(summary = "Create a session from an export (JSON lines), all or nothing",
            description = "The new session takes ?continuation_id= (a new UUID when absent). Message ids are new; seq, created_at, "
                    + "token counts and everything else come from the lines. A bad line is a 400 naming it, and nothing is stored. "
                    + "Idempotency-Key makes a retry answer the first result.")
    public Uni<Response> importSession(@Context ContainerRequestContext request, @Context UriInfo uri,
                                       @QueryParam("continuation_id") String continuationId,
                                       @HeaderParam(IdempotencyKey.HEADER) String idempotencyKey, String body) {
        String cid = continuationId == null ? UUID.randomUUID().toString() : ContinuationIds.checked(continuationId);
        String key = IdempotencyKey.checked(idempotencyKey);
        SessionTransfer.Parsed parsed = transfer.parse(body == null ? "" : body, cid);
        byte[] hash = key == null ? null : Hashing.sha256(body);
        return transfers.importSession(Principal.of(request), parsed, key, hash)
                .map(imported -> {
                    Response.ResponseBuilder answer = Response.created(uri.getBaseUriBuilder().path("sessions")
                            .path(imported.session().continuationId()).build()).entity(imported.session());
                    if (imported.replayed()) {
                        answer.header("Idempotent-Replayed", "true");
                    }
                    return answer.build();
                });
    }

    @GET
    @Path("/{cid}/context")
    @Operation(summary = "What the next model call should see: the newest messages within a token budget",
            description = "The newest messages (across the chain of sessions this one continues, unless include_chain=false) whose "
                    + "token counts fit max_tokens - reserve_tokens, oldest first, never half a message and at least the newest; "
                    + "the files and images they refer to, each once, newest reference first; totals and what was left out. "
                    + "summaries=true lets a live summary stand in for the older turns when the history does not fit (\"summary\").")
    public Uni<Response> context(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                 @QueryParam("max_tokens") @Min(value = 1, message = "max_tokens must be between 1 and 10000000")
                                 @Max(value = 10_000_000, message = "max_tokens must be between 1 and 10000000") Integer maxTokens,
                                 @QueryParam("reserve_tokens") @DefaultValue("0")
                                 @Min(value = 0, message = "reserve_tokens must be 0 or more") int reserveTokens,
                                 @QueryParam("include_chain") @DefaultValue("true") boolean includeChain,
                                 @QueryParam("include_reasoning") @DefaultValue("false") boolean includeReasoning,
                                 @QueryParam("summaries") @DefaultValue("false") boolean withSummaries,
                                 @Parameter(description = "show answers still streaming with their text so far (they count no tokens until they finish)")
                                 @QueryParam("include_streaming") @DefaultValue("false") boolean includeStreaming) {
        String id = ContinuationIds.checked(cid);
        if (maxTokens == null) {
            throw ProblemException.badRequest("max_tokens is required");
        }
        if (reserveTokens >= maxTokens) {
            throw ProblemException.badRequest("reserve_tokens must be less than max_tokens");
        }
        long budget = (long) maxTokens - reserveTokens;
        Uni<ContextReader.Context> read = withSummaries
                ? contexts.readWithSummaries(Principal.of(request), id, budget, includeChain, includeReasoning, includeStreaming)
                : contexts.read(Principal.of(request), id, budget, includeChain, includeReasoning, includeStreaming);
        return read.map(context -> Response.ok(contextJson(id, maxTokens, reserveTokens, context, withSummaries), MediaType.APPLICATION_JSON_TYPE)
                        .header("X-Cache", context.cacheHit() ? "hit" : "miss").build());
    }

    private String contextJson(String cid, int maxTokens, int reserveTokens, ContextReader.Context context, boolean withSummaries) {
        try {
            return "{\"continuation_id\":\"" + cid + "\",\"max_tokens\":" + maxTokens + ",\"reserve_tokens\":" + reserveTokens
                    + (withSummaries ? ",\"summary\":" + summaryJson(context.summary()) : "")
                    + ",\"messages\":[" + String.join(",", context.messages()) + "]"
                    + ",\"files\":" + json.writeValueAsString(context.files())
                    + ",\"images\":" + json.writeValueAsString(context.images())
                    + ",\"totals\":{\"tokens\":" + context.tokens() + ",\"messages\":" + context.messages().size() + "}"
                    + ",\"omitted_messages\":" + context.omittedMessages()
                    + ",\"first_included_seq\":" + context.firstIncludedSeq()
                    + ",\"first_included_continuation_id\":" + json.writeValueAsString(context.firstIncludedContinuationId())
                    + ",\"newest_exceeds_budget\":" + context.newestExceedsBudget() + "}";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private String summaryJson(SummaryHook.Candidate summary) throws JsonProcessingException {
        if (summary == null) {
            return "null";
        }
        return "{\"id\":\"" + summary.id() + "\",\"continuation_id\":" + json.writeValueAsString(summary.continuationId())
                + ",\"through_seq\":" + summary.throughSeq() + ",\"content\":"
                + json.writeValueAsString(summary.content()) + ",\"token_count\":" + summary.tokenCount() + "}";
    }

    private JsonNode parse(String storedJson) {
        try {
            return json.readTree(storedJson);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored metadata is not JSON", e);
        }
    }
}
