package dev.exai.store.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.TextInput;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The admin key's routes over tenant keys made at run time: make one (shown once), list them, revoke one. */
@Path("/admin/tenants/{tenant}/keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class KeyResource {

    private static final Set<String> FIELDS = Set.of("name", "expires_at");
    private static final int MAX_NAME = 128;

    private final ManagedKeys keys;

    public KeyResource(ManagedKeys keys) {
        this.keys = keys;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Make a tenant key", description = "Admin key only. Answers the key once (only a keyed hash of it is "
            + "stored); it works at once on this replica and within one key check (EXAI_STORE_SECURITY_KEY_CHECK_EVERY, 500 ms) "
            + "on the others. Optional name and expires_at (a future RFC 3339 time).")
    public Uni<Response> create(@Context ContainerRequestContext http, @PathParam("tenant") String tenant, JsonNode body) {
        String checked = tenant(tenant);
        JsonNode request = body == null || body.isNull() ? null : body;
        if (request != null && !request.isObject()) {
            throw ProblemException.badRequest("the body must be a JSON object (name, expires_at), or empty");
        }
        String name = null;
        OffsetDateTime expiresAt = null;
        if (request != null) {
            TextInput.check(request, "");
            request.fieldNames().forEachRemaining(field -> {
                if (!FIELDS.contains(field)) {
                    throw ProblemException.badRequest("unknown field " + field + "; a key request has " + FIELDS.stream().sorted().toList());
                }
            });
            JsonNode given = request.get("name");
            if (given != null && !given.isNull()) {
                if (!given.isTextual() || given.asText().isBlank() || given.asText().length() > MAX_NAME) {
                    throw ProblemException.badRequest("name must be a non-empty string of at most " + MAX_NAME + " characters");
                }
                name = given.asText();
            }
            JsonNode expires = request.get("expires_at");
            if (expires != null && !expires.isNull()) {
                if (!expires.isTextual()) {
                    throw ProblemException.badRequest("expires_at must be an RFC 3339 time");
                }
                expiresAt = Times.parse("expires_at", expires.asText());
                if (!expiresAt.isAfter(OffsetDateTime.now())) {
                    throw ProblemException.badRequest("expires_at must be in the future");
                }
            }
        }
        return keys.create(Principal.of(http), checked, name, expiresAt).map(issued -> Response.status(201).entity(issued).build());
    }

    @GET
    @Operation(summary = "List a tenant's keys", description = "Admin key only. Newest first, revoked ones included; never the "
            + "keys, only their first characters (prefix).")
    public Uni<Page<KeyView>> list(@PathParam("tenant") String tenant) {
        return keys.list(tenant(tenant)).map(list -> new Page<>(list, null));
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Revoke a tenant key", description = "Admin key only. Refused at once on this replica and within one "
            + "key check on the others.")
    @APIResponse(responseCode = "204", description = "Revoked")
    @Produces(MediaType.WILDCARD)
    public Uni<Response> revoke(@Context ContainerRequestContext http, @PathParam("tenant") String tenant, @PathParam("id") String id) {
        return keys.revoke(Principal.of(http), tenant(tenant), id).map(revoked -> Response.noContent().build());
    }

    private static String tenant(String tenant) {
        if (!ApiKeys.TENANT.matcher(tenant).matches()) {
            throw ProblemException.badRequest("tenant must be 1 to 64 of [A-Za-z0-9._-]");
        }
        return tenant;
    }
}
