package dev.exai.store.session;

import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Page;
import dev.exai.store.common.Times;
import dev.exai.store.security.Principal;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Search over all of a tenant's messages in any script, ranked, filtered, with snippets (see {@link SearchQuery}). */
@Path("/messages/search")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "messages")
public class MessageSearchResource {

    private final MessageService messages;

    public MessageSearchResource(MessageService messages) {
        this.messages = messages;
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
        SearchFilters filters = new SearchFilters(userId,
                continuationId == null ? null : ContinuationIds.checked(continuationId), SessionRequests.roleFilter(role),
                toolName, model, from == null ? null : Times.parse("from", from), to == null ? null : Times.parse("to", to),
                SessionRequests.metadataFilter(metadata));
        return messages.search(Principal.of(request), q, filters, cursor, limit);
    }
}
