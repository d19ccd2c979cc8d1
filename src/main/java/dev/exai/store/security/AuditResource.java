package dev.exai.store.security;

import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit trail, read by the admin key; no route changes or deletes its rows. */
@Path("/admin/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class AuditResource {

    private final AuditLog log;

    public AuditResource(AuditLog log) {
        this.log = log;
    }

    @GET
    @Operation(summary = "Page through the audit trail", description = "Admin key only. Newest first; filters: tenant, action, "
            + "from (inclusive) and to (exclusive) RFC 3339 times.")
    public Uni<Page<AuditEntry>> list(@QueryParam("tenant") String tenant, @QueryParam("action") String action,
                                      @QueryParam("from") String from, @QueryParam("to") String to,
                                      @QueryParam("limit") @DefaultValue("100")
                                      @Min(value = 1, message = "limit must be between 1 and 1000")
                                      @Max(value = 1000, message = "limit must be between 1 and 1000") int limit,
                                      @QueryParam("cursor") String cursor) {
        if (tenant != null && !ApiKeys.TENANT.matcher(tenant).matches()) {
            throw ProblemException.badRequest("tenant must be 1 to 64 of [A-Za-z0-9._-]");
        }
        if (action != null && !action.matches("[a-z]+\\.[a-z]+")) {
            throw ProblemException.badRequest("action is one of the audit trail's actions, such as session.delete");
        }
        return log.list(tenant, action, from == null ? null : Times.parse("from", from), to == null ? null : Times.parse("to", to),
                limit, cursor);
    }
}
