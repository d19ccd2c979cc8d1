package dev.exai.store.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Cursors;
import dev.exai.store.common.Hashing;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.ProblemException;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** HTTP routes of a session's messages: append (one or a batch, idempotent), page through history, patch metadata, redact. */
@Path("/sessions/{cid}/messages")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "messages")
public class MessageResource {

    private final MessageService messages;
    private final SessionRequests requests;

    public MessageResource(MessageService messages, SessionRequests requests) {
        this.messages = messages;
        this.requests = requests;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Append one message (object body) or several in order (array of 1..100)",
            description = "201 once committed in PostgreSQL. Idempotency-Key makes a retry answer the first result; "
                    + "the same key with another body is a 422. ?create=true get-or-creates the session first.")
    public Uni<Response> append(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                @QueryParam("create") @DefaultValue("false") boolean create,
                                @HeaderParam(IdempotencyKey.HEADER) String idempotencyKey, JsonNode body) {
        String id = ContinuationIds.checked(cid);
        String key = IdempotencyKey.checked(idempotencyKey);
        List<NewMessage> parsed = requests.messages(body);
        byte[] hash = key == null ? null : Hashing.sha256(body.toString());
        return messages.append(Principal.of(request), id, parsed, body.isArray(), create, key, hash)
                .map(appended -> {
                    Response.ResponseBuilder answer = Response.status(201).entity(appended.json()).type(MediaType.APPLICATION_JSON_TYPE);
                    if (appended.replayed()) {
                        answer.header("Idempotent-Replayed", "true");
                    }
                    return answer.build();
                });
    }

    @GET
    @Operation(summary = "Page through a session's history by seq, or read the newest N",
            description = "order=asc (default) pages after after_seq; order=desc pages newest first; last=N answers the newest N "
                    + "in ascending order. next_cursor continues in the same order. X-Cache tells whether Redis answered.")
    public Uni<Response> history(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                 @QueryParam("after_seq") @Min(value = 0, message = "after_seq must be 0 or more") Long afterSeq,
                                 @QueryParam("limit") @DefaultValue("100")
                                 @Min(value = 1, message = "limit must be between 1 and 1000")
                                 @Max(value = 1000, message = "limit must be between 1 and 1000") int limit,
                                 @QueryParam("order") @DefaultValue("asc") String order,
                                 @QueryParam("last") @Min(value = 1, message = "last must be between 1 and 1000")
                                 @Max(value = 1000, message = "last must be between 1 and 1000") Integer last,
                                 @QueryParam("cursor") String cursor,
                                 @QueryParam("tool_name") String toolName,
                                 @QueryParam("model") String model,
                                 @QueryParam("chain") @DefaultValue("false") boolean chain) {
        String id = ContinuationIds.checked(cid);
        if (chain || toolName != null || model != null) {
            if (last != null || order.equals("desc") || (chain && (toolName != null || model != null))) {
                throw ProblemException.badRequest("chain=true and the tool_name/model filters page in ascending order, "
                        + "without last or order=desc, and not together");
            }
            if (cursor != null && afterSeq != null) {
                throw ProblemException.badRequest("cursor cannot be combined with after_seq");
            }
            long after = cursor != null ? Cursors.offset(cursor) : afterSeq == null ? 0 : afterSeq;
            Uni<MessageService.ChainPage> page = chain
                    ? messages.chainHistory(Principal.of(request), id, after, limit)
                    : messages.filteredHistory(Principal.of(request), id, toolName, model, after, limit);
            return page.map(p -> Response.ok("{\"items\":[" + String.join(",", p.messages()) + "],\"next_cursor\":"
                            + (p.next() == null ? "null" : "\"" + Cursors.encode(Long.toString(p.next())) + "\"") + "}",
                    MediaType.APPLICATION_JSON_TYPE).header("X-Cache", "miss").build());
        }
        HistoryQuery query = historyQuery(afterSeq, limit, order, last, cursor);
        return messages.history(Principal.of(request), id, query)
                .map(history -> {
                    String next = query.nextCursor(history.count(), history.messages().size());
                    String entity = "{\"items\":[" + String.join(",", history.messages()) + "],\"next_cursor\":"
                            + (next == null ? "null" : "\"" + next + "\"") + "}";
                    return Response.ok(entity, MediaType.APPLICATION_JSON_TYPE)
                            .header("X-Cache", history.cacheHit() ? "hit" : "miss").build();
                });
    }

    @PATCH
    @Path("/{seq}")
    @Consumes({MergePatch.MEDIA_TYPE, MediaType.APPLICATION_JSON})
    @Operation(summary = "Merge-patch a message's metadata (RFC 7396)",
            description = "Only metadata can change; the answer is the whole message. 409 for a redacted message.")
    public Uni<Response> patch(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                               @PathParam("seq") @Min(value = 1, message = "seq must be 1 or more") long seq, JsonNode patch) {
        String id = ContinuationIds.checked(cid);
        JsonNode metadataPatch = SessionRequests.messagePatch(patch);
        return messages.patchMessage(Principal.of(request), id, seq, current -> requests.mergeMetadata(current, metadataPatch))
                .map(message -> Response.ok(message, MediaType.APPLICATION_JSON_TYPE).build());
    }

    @DELETE
    @Path("/{seq}")
    @Operation(summary = "Redact a message",
            description = "Content, metadata, reasoning and file references are wiped from PostgreSQL, the cache and the search "
                    + "index; the message stays as a tombstone (redacted: true, same seq), so histories stay gapless. Idempotent.")
    @APIResponse(responseCode = "204", description = "Redacted, now or before")
    @Produces(MediaType.WILDCARD) // no body to negotiate: any Accept is fine (a generated client sends its error type)
    public Uni<Response> redact(@Context ContainerRequestContext request, @PathParam("cid") String cid,
                                @PathParam("seq") @Min(value = 1, message = "seq must be 1 or more") long seq) {
        return messages.redact(Principal.of(request), ContinuationIds.checked(cid), seq)
                .map(done -> Response.noContent().build());
    }

    private static HistoryQuery historyQuery(Long afterSeq, int limit, String order, Integer last, String cursor) {
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ProblemException.badRequest("order must be asc or desc");
        }
        if (last != null) {
            if (afterSeq != null || cursor != null || order.equals("desc")) {
                throw ProblemException.badRequest("last cannot be combined with after_seq, cursor or order=desc");
            }
            return HistoryQuery.last(last);
        }
        if (cursor != null) {
            if (afterSeq != null) {
                throw ProblemException.badRequest("cursor cannot be combined with after_seq");
            }
            return HistoryQuery.fromCursor(cursor, limit);
        }
        if (order.equals("desc")) {
            if (afterSeq != null) {
                throw ProblemException.badRequest("after_seq applies to order=asc; page order=desc with next_cursor");
            }
            return HistoryQuery.descending(0, limit);
        }
        return HistoryQuery.ascending(afterSeq == null ? 0 : afterSeq, limit);
    }
}
