package dev.exai.store.session;

import dev.exai.store.common.Cursors;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Tenant;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Search over all of a tenant's messages in any script, ranked, filtered, with snippets (see {@link SearchQuery}). */
@Path("/messages/search")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "messages")
public class MessageSearchResource {

    private final SessionService sessions;

    public MessageSearchResource(SessionService sessions) {
        this.sessions = sessions;
    }

    @GET
    @Operation(summary = "Search the tenant's messages, best match first",
            description = "Words in Chinese, Japanese and other scripts written without spaces are found inside the text; English "
                    + "is stemmed. Filters narrow the hits; each hit has a snippet with matches between <mark> and </mark>.")
    public Uni<Page<SearchHit>> search(@Context ContainerRequestContext request,
                                       @QueryParam("q") @NotBlank(message = "q is required")
                                       @Size(max = 1000, message = "q must be at most 1000 characters") String q,
                                       @QueryParam("user_id") String userId,
                                       @QueryParam("continuation_id") String continuationId,
                                       @QueryParam("role") String role,
                                       @QueryParam("tool_name") String toolName,
                                       @QueryParam("model") String model,
                                       @QueryParam("from") String from,
                                       @QueryParam("to") String to,
                                       @QueryParam("metadata") String metadata,
                                       @QueryParam("limit") @DefaultValue("20")
                                       @Min(value = 1, message = "limit must be between 1 and 100")
                                       @Max(value = 100, message = "limit must be between 1 and 100") int limit,
                                       @QueryParam("cursor") String cursor) {
        SessionStore.SearchFilters filters = new SessionStore.SearchFilters(userId,
                continuationId == null ? null : SessionRequests.continuationId(continuationId), SessionRequests.roleFilter(role),
                toolName, model, from == null ? null : Times.parse("from", from), to == null ? null : Times.parse("to", to),
                SessionRequests.metadataFilter(metadata));
        Float afterRank = null;
        UUID afterId = null;
        if (cursor != null) {
            List<String> fields = Cursors.decode(cursor, 2);
            try {
                afterRank = Float.valueOf(fields.get(0));
                afterId = UUID.fromString(fields.get(1));
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest("cursor is not one this service returned");
            }
        }
        return sessions.search(Tenant.of(request), SearchQuery.parse(q), filters, afterRank, afterId, limit + 1)
                .map(hits -> {
                    if (hits.size() <= limit) {
                        return new Page<>(hits, null);
                    }
                    SearchHit last = hits.get(limit - 1);
                    return new Page<>(hits.subList(0, limit), Cursors.encode(Float.toString(last.rank()), last.id()));
                });
    }
}
