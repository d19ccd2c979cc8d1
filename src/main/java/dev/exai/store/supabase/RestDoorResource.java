package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * PostgREST at {@code /rest/v1/{table}}, the subset supabase-py and supabase-js send for EXAI's and the seed's
 * tables: reads with filters, order and window ({@code HEAD} too, as JAX-RS answers it from the GET), counts,
 * single-object reads, inserts and upserts, updates and deletes. Every answer, errors included, is PostgREST's shape.
 * Kept out of the OpenAPI document: it is another protocol, documented in docs/supabase.md.
 */
@Path("/rest/v1/{table}")
public class RestDoorResource {

    private static final String SINGLE = "application/vnd.pgrst.object+json";

    private final RestDoor door;

    public RestDoorResource(RestDoor door) {
        this.door = door;
    }

    @GET
    @Produces(MediaType.WILDCARD)
    public Uni<Response> read(@Context ContainerRequestContext request, @Context UriInfo uri, @Context HttpHeaders headers,
                              @PathParam("table") String name) {
        return answer(() -> {
            DoorTable table = table(name);
            Set<String> prefer = prefer(headers);
            PostgrestQuery query = PostgrestQuery.parse(table, query(uri), headers.getHeaderString("Range"));
            boolean single = accepts(headers, SINGLE);
            return door.select(Principal.of(request), table, query, prefer.contains("count=exact")).map(selected -> {
                ArrayNode rows = selected.rows();
                if (single) {
                    if (rows.size() != 1) {
                        throw PostgrestError.notOneRow(rows.size());
                    }
                    return Response.ok(rows.get(0).toString(), SINGLE).build();
                }
                long first = query.rows().offset();
                String range = rows.isEmpty() ? "*" : first + "-" + (first + rows.size() - 1);
                return Response.ok(rows.toString(), MediaType.APPLICATION_JSON_TYPE)
                        .header("Content-Range", range + "/" + (selected.total() == null ? "*" : selected.total())).build();
            });
        });
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.WILDCARD)
    public Uni<Response> insert(@Context ContainerRequestContext request, @Context UriInfo uri, @Context HttpHeaders headers,
                                @PathParam("table") String name, String body) {
        return answer(() -> {
            DoorTable table = table(name);
            Set<String> prefer = prefer(headers);
            PostgrestQuery query = PostgrestQuery.parse(table, query(uri), null);
            String resolution = prefer.contains("resolution=merge-duplicates") ? "merge-duplicates"
                    : prefer.contains("resolution=ignore-duplicates") ? "ignore-duplicates" : null;
            return door.insert(Principal.of(request), table, query, body, resolution)
                    .map(rows -> written(201, rows, prefer, headers));
        });
    }

    @PATCH
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.WILDCARD)
    public Uni<Response> update(@Context ContainerRequestContext request, @Context UriInfo uri, @Context HttpHeaders headers,
                                @PathParam("table") String name, String body) {
        return answer(() -> {
            DoorTable table = table(name);
            Set<String> prefer = prefer(headers);
            PostgrestQuery query = PostgrestQuery.parse(table, query(uri), null);
            return door.update(Principal.of(request), table, query, body).map(rows -> written(200, rows, prefer, headers));
        });
    }

    @DELETE
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.WILDCARD)
    public Uni<Response> delete(@Context ContainerRequestContext request, @Context UriInfo uri, @Context HttpHeaders headers,
                                @PathParam("table") String name) {
        return answer(() -> {
            DoorTable table = table(name);
            Set<String> prefer = prefer(headers);
            PostgrestQuery query = PostgrestQuery.parse(table, query(uri), null);
            return door.delete(Principal.of(request), table, query).map(rows -> written(200, rows, prefer, headers));
        });
    }

    /** A write's answer: the rows with {@code return=representation}, else nothing (201 for an insert, 204 otherwise). */
    private static Response written(int status, ArrayNode rows, Set<String> prefer, HttpHeaders headers) {
        if (!prefer.contains("return=representation")) {
            return Response.status(status == 201 ? 201 : 204).build();
        }
        if (accepts(headers, SINGLE)) {
            if (rows.size() != 1) {
                throw PostgrestError.notOneRow(rows.size());
            }
            return Response.status(status).entity(rows.get(0).toString()).type(SINGLE).build();
        }
        return Response.status(status).entity(rows.toString()).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** Runs a door operation, answering any failure as PostgREST would. */
    private static Uni<Response> answer(Supplier<Uni<Response>> operation) {
        Uni<Response> started;
        try {
            started = operation.get();
        } catch (RuntimeException e) {
            started = Uni.createFrom().failure(e);
        }
        return started.onFailure(PostgrestError.class).recoverWithItem(e -> error((PostgrestError) e));
    }

    static Response error(PostgrestError e) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("code", e.code());
        body.put("details", e.details());
        body.put("hint", e.hint());
        body.put("message", e.getMessage());
        return Response.status(e.status()).entity(body.toString()).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static DoorTable table(String name) {
        DoorTable table = DoorTable.ALL.get(name);
        if (table == null) {
            throw PostgrestError.unknownTable(name);
        }
        return table;
    }

    /** The query's parameters, decoded, in the order sent. */
    private static Map<String, List<String>> query(UriInfo uri) {
        return new LinkedHashMap<>(uri.getQueryParameters(true));
    }

    /** The {@code Prefer} header's directives, however the client spread them over headers and commas. */
    private static Set<String> prefer(HttpHeaders headers) {
        List<String> values = headers.getRequestHeader("Prefer");
        if (values == null) {
            return Set.of();
        }
        return values.stream().flatMap(v -> Arrays.stream(v.split(","))).map(v -> v.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
    }

    private static boolean accepts(HttpHeaders headers, String type) {
        String accept = headers.getHeaderString(HttpHeaders.ACCEPT);
        return accept != null && accept.toLowerCase(Locale.ROOT).contains(type);
    }
}
