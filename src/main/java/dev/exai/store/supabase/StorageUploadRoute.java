package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.file.ObjectService;
import dev.exai.store.security.Admission;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Storage's object uploads, streamed as {@code POST /files} is (a Vert.x route, since the REST layer would buffer the
 * body): {@code POST /storage/v1/object/{bucket}/{name}} (replacing only with {@code x-upsert: true}),
 * {@code PUT} of the same (replaces), and {@code PUT /storage/v1/object/upload/sign/{bucket}/{name}?token=} (a signed
 * upload URL: the token stands for the key). The body is raw or a multipart form's first file part, as supabase-py and
 * supabase-js send it. Answers Storage's {@code {"Key", "Id"}}, or its error shape.
 */
@ApplicationScoped
public class StorageUploadRoute {

    private static final Pattern OBJECT = Pattern.compile("/storage/v1/object/([^/]+)/(.+)");
    private static final Pattern SIGNED = Pattern.compile("/storage/v1/object/upload/sign/([^/]+)/(.+)");
    /** Object routes that are not uploads (the REST resource's): a bucket cannot be named so, as in Storage. */
    private static final String OTHER_ROUTES = "(?!list/|sign/|upload/sign/|info/|public/|authenticated/|move$|copy$)";

    private final Admission admission;
    private final ObjectService objects;
    private final StorageDoor door;

    public StorageUploadRoute(Admission admission, ObjectService objects, StorageDoor door) {
        this.admission = admission;
        this.objects = objects;
        this.door = door;
    }

    void install(@Observes Router router, Vertx vertx) {
        String uploads = "/storage/v1/object/" + OTHER_ROUTES + "[^/]+/.+";
        router.routeWithRegex(HttpMethod.POST, uploads).order(-10).handler(ctx -> accept(ctx, vertx, false));
        router.routeWithRegex(HttpMethod.PUT, uploads).order(-10).handler(ctx -> accept(ctx, vertx, false));
        router.routeWithRegex(HttpMethod.PUT, "/storage/v1/object/upload/sign/[^/]+/.+").order(-10).handler(ctx -> accept(ctx, vertx, true));
    }

    private void accept(RoutingContext ctx, Vertx vertx, boolean signed) {
        HttpServerRequest request = ctx.request();
        request.pause();
        Uni<Upload> admitted;
        try {
            Matcher path = (signed ? SIGNED : OBJECT).matcher(request.path());
            if (!path.matches()) {
                throw new ProblemException(400, "invalid-key", "Bad Request", "Invalid key: the path names no object");
            }
            String bucket = StorageDoor.bucketId(StoragePaths.decode(path.group(1)));
            String name = StorageDoor.objectName(StoragePaths.decode(path.group(2)));
            if (signed) {
                admitted = door.uploadGrant(bucket, name, request.getParam("token"))
                        .map(grant -> new Upload(grant.principal(), bucket, name, grant.upsert()));
            } else {
                Principal caller = admission.admit(ctx, credential(request), true);
                boolean upsert = request.method() == HttpMethod.PUT || "true".equalsIgnoreCase(request.getHeader("x-upsert"));
                admitted = Uni.createFrom().item(new Upload(caller, bucket, name, upsert));
            }
        } catch (RuntimeException refused) {
            fail(ctx, refused);
            return;
        }
        admitted.subscribe().with(upload -> objects.receive(ctx, vertx, upload.caller(), lastSegment(upload.name()))
                        .onFailure(failure -> fail(ctx, failure))
                        .onSuccess(received -> door.put(upload.caller(), upload.bucket(), upload.name(), upload.upsert(), received)
                                .subscribe().with(written -> answer(ctx, written), failure -> fail(ctx, failure))),
                failure -> fail(ctx, failure));
    }

    /** Who uploads, what, and whether it may replace an object. */
    private record Upload(Principal caller, String bucket, String name, boolean upsert) {
    }

    /** The key as supabase clients send it: {@code Authorization: Bearer}, else the {@code apikey} header. */
    static String credential(HttpServerRequest request) {
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        String apikey = request.getHeader("apikey");
        return authorization == null && apikey != null ? "Bearer " + apikey : authorization;
    }

    private static String lastSegment(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static void answer(RoutingContext ctx, JsonNode body) {
        ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.toString());
    }

    private static void fail(RoutingContext ctx, Throwable failure) {
        if (ctx.response().ended()) {
            return;
        }
        ProblemException problem = StorageDialect.problem(failure);
        problem.headers().forEach(ctx.response()::putHeader);
        ctx.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(StorageDialect.body(problem).toString());
    }
}
