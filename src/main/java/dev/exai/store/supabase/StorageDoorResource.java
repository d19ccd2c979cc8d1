package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.file.StoredObject;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.function.Supplier;
import org.jboss.resteasy.reactive.PathPart;

/**
 * Supabase Storage at {@code /storage/v1}: buckets, object downloads (with a key, by a signed URL's token, or from a
 * public bucket without one), info, listing, removal, move, copy and signing. Uploads are streamed by
 * {@link StorageUploadRoute}. Every answer, errors included, is Storage's shape; kept out of the OpenAPI document
 * like the PostgREST door, and documented in docs/supabase.md.
 */
@Path("/storage/v1")
@Produces(MediaType.WILDCARD)
@Consumes(MediaType.WILDCARD)
public class StorageDoorResource {

    private final StorageDoor door;

    public StorageDoorResource(StorageDoor door) {
        this.door = door;
    }

    @POST
    @Path("/bucket")
    public Uni<Response> createBucket(@Context ContainerRequestContext request, String body) {
        return json(() -> door.createBucket(Principal.of(request), body));
    }

    @GET
    @Path("/bucket")
    public Uni<Response> buckets(@Context ContainerRequestContext request) {
        return json(() -> door.buckets(Principal.of(request)));
    }

    @GET
    @Path("/bucket/{id}")
    public Uni<Response> bucket(@Context ContainerRequestContext request, @PathParam("id") String id) {
        return json(() -> door.bucket(Principal.of(request), id));
    }

    @PUT
    @Path("/bucket/{id}")
    public Uni<Response> updateBucket(@Context ContainerRequestContext request, @PathParam("id") String id, String body) {
        return json(() -> door.updateBucket(Principal.of(request), id, body));
    }

    @POST
    @Path("/bucket/{id}/empty")
    public Uni<Response> emptyBucket(@Context ContainerRequestContext request, @PathParam("id") String id) {
        return json(() -> door.emptyBucket(Principal.of(request), id));
    }

    @DELETE
    @Path("/bucket/{id}")
    public Uni<Response> deleteBucket(@Context ContainerRequestContext request, @PathParam("id") String id) {
        return json(() -> door.deleteBucket(Principal.of(request), id));
    }

    @GET
    @Path("/object/{bucket}/{name: .+}")
    public Uni<Response> download(@Context ContainerRequestContext request, @PathParam("bucket") String bucket,
                                  @PathParam("name") String name, @QueryParam("download") String download,
                                  @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return bytes(() -> door.object(Principal.of(request), bucket, name), download, ifNoneMatch);
    }

    @GET
    @Path("/object/authenticated/{bucket}/{name: .+}")
    public Uni<Response> downloadAuthenticated(@Context ContainerRequestContext request, @PathParam("bucket") String bucket,
                                               @PathParam("name") String name, @QueryParam("download") String download,
                                               @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return bytes(() -> door.object(Principal.of(request), bucket, name), download, ifNoneMatch);
    }

    @GET
    @Path("/object/public/{bucket}/{name: .+}")
    public Uni<Response> downloadPublic(@PathParam("bucket") String bucket, @PathParam("name") String name,
                                        @QueryParam("download") String download, @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return bytes(() -> door.publicObject(bucket, name), download, ifNoneMatch);
    }

    @GET
    @Path("/object/sign/{bucket}/{name: .+}")
    public Uni<Response> downloadSigned(@PathParam("bucket") String bucket, @PathParam("name") String name,
                                        @QueryParam("token") String token, @QueryParam("download") String download,
                                        @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return bytes(() -> door.signedObject(bucket, name, token), download, ifNoneMatch);
    }

    @HEAD
    @Path("/object/{bucket}/{name: .+}")
    public Uni<Response> exists(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, @PathParam("name") String name) {
        return answer(() -> door.object(Principal.of(request), bucket, name).map(found -> Response.ok()
                .type(found.file().contentType()).header(HttpHeaders.ETAG, StorageDoor.etag(found))
                .header(HttpHeaders.CONTENT_LENGTH, found.file().size()).build()));
    }

    @GET
    @Path("/object/info/{bucket}/{name: .+}")
    public Uni<Response> info(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, @PathParam("name") String name) {
        return json(() -> door.info(Principal.of(request), bucket, name));
    }

    @DELETE
    @Path("/object/{bucket}")
    public Uni<Response> remove(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, String body) {
        return json(() -> door.remove(Principal.of(request), bucket, body));
    }

    @DELETE
    @Path("/object/{bucket}/{name: .+}")
    public Uni<Response> removeOne(@Context ContainerRequestContext request, @PathParam("bucket") String bucket,
                                   @PathParam("name") String name) {
        return json(() -> door.removeOne(Principal.of(request), bucket, name));
    }

    @POST
    @Path("/object/list/{bucket}")
    public Uni<Response> list(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, String body) {
        return json(() -> door.list(Principal.of(request), bucket, body));
    }

    @POST
    @Path("/object/move")
    public Uni<Response> move(@Context ContainerRequestContext request, String body) {
        return json(() -> door.move(Principal.of(request), body));
    }

    @POST
    @Path("/object/copy")
    public Uni<Response> copy(@Context ContainerRequestContext request, String body) {
        return json(() -> door.copy(Principal.of(request), body));
    }

    @POST
    @Path("/object/sign/{bucket}/{name: .+}")
    public Uni<Response> sign(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, @PathParam("name") String name,
                              String body) {
        return json(() -> door.sign(Principal.of(request), bucket, name, body));
    }

    @POST
    @Path("/object/sign/{bucket}")
    public Uni<Response> signMany(@Context ContainerRequestContext request, @PathParam("bucket") String bucket, String body) {
        return json(() -> door.signMany(Principal.of(request), bucket, body));
    }

    @POST
    @Path("/object/upload/sign/{bucket}/{name: .+}")
    public Uni<Response> signUpload(@Context ContainerRequestContext request, @PathParam("bucket") String bucket,
                                    @PathParam("name") String name, @HeaderParam("x-upsert") String upsert) {
        return json(() -> door.signUpload(Principal.of(request), bucket, name, "true".equalsIgnoreCase(upsert)));
    }

    /** An object's bytes, streamed, with its type and ETag; {@code ?download} makes it an attachment (named, or by its own name). */
    private Uni<Response> bytes(Supplier<Uni<StoredObject>> find, String download, String ifNoneMatch) {
        return answer(() -> find.get().chain(found -> {
            String etag = StorageDoor.etag(found);
            if (ifNoneMatch != null && ifNoneMatch.contains(etag)) {
                return Uni.createFrom().item(Response.notModified().header(HttpHeaders.ETAG, etag).build());
            }
            return door.read(found).map(entity -> {
                Response.ResponseBuilder answer = Response.ok(entity).type(found.file().contentType())
                        .header(HttpHeaders.ETAG, etag).header(HttpHeaders.CACHE_CONTROL, "max-age=3600")
                        .header("X-Content-Type-Options", "nosniff");
                if (!(entity instanceof PathPart)) {
                    answer.header(HttpHeaders.CONTENT_LENGTH, found.file().size());
                }
                if (download != null) {
                    answer.header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\""
                            + (download.isEmpty() ? found.file().filename() : download).replaceAll("[^\\x20-\\x7e]|\"|\\\\", "_") + "\"");
                }
                return answer.build();
            });
        }));
    }

    private static Uni<Response> json(Supplier<Uni<JsonNode>> operation) {
        return answer(() -> operation.get().map(body -> Response.ok(body.toString(), MediaType.APPLICATION_JSON_TYPE).build()));
    }

    /** Runs a Storage operation, answering any failure in Storage's error shape. */
    private static Uni<Response> answer(Supplier<Uni<Response>> operation) {
        Uni<Response> started;
        try {
            started = operation.get();
        } catch (RuntimeException e) {
            started = Uni.createFrom().failure(e);
        }
        return started.onFailure().recoverWithItem(e -> {
            ProblemException problem = StorageDialect.problem(e);
            Response.ResponseBuilder answer = Response.status(problem.status()).entity(StorageDialect.body(problem).toString())
                    .type(MediaType.APPLICATION_JSON_TYPE);
            problem.headers().forEach(answer::header);
            return answer.build();
        });
    }
}
