package dev.exai.store.session;

import dev.exai.store.common.Cursors;
import dev.exai.store.common.Page;
import dev.exai.store.common.Tenant;
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

/** Full-text search over all of a tenant's messages (PostgreSQL text search, ranked). */
@Path("/messages/search")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "messages")
public class MessageSearchResource {

    private final SessionService sessions;

    public MessageSearchResource(SessionService sessions) {
        this.sessions = sessions;
    }

    @GET
    @Operation(summary = "Full-text search over the tenant's messages, best match first")
    public Uni<Page<SearchHit>> search(@Context ContainerRequestContext request,
                                       @QueryParam("q") @NotBlank(message = "q is required")
                                       @Size(max = 1000, message = "q must be at most 1000 characters") String q,
                                       @QueryParam("user_id") String userId,
                                       @QueryParam("limit") @DefaultValue("20")
                                       @Min(value = 1, message = "limit must be between 1 and 100")
                                       @Max(value = 100, message = "limit must be between 1 and 100") int limit,
                                       @QueryParam("cursor") String cursor) {
        int from = Cursors.offset(cursor);
        return sessions.search(Tenant.of(request), q, userId, limit + 1, from)
                .map(hits -> hits.size() > limit
                        ? new Page<>(hits.subList(0, limit), Cursors.encode(Integer.toString(from + limit)))
                        : new Page<>(hits, null));
    }
}
