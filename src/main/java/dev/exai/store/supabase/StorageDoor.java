package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.TextInput;
import dev.exai.store.common.Times;
import dev.exai.store.file.Bucket;
import dev.exai.store.file.IncomingUpload;
import dev.exai.store.file.ObjectService;
import dev.exai.store.file.StoredObject;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Supabase Storage's operations carried out by the file room's {@link ObjectService} (a bucket is the tenant's, an
 * object is a file) and worded as Storage words them: request bodies read and checked here, answers rendered as the
 * JSON Storage sends. Signed URLs are {@link SignedUrls}' tokens.
 */
@ApplicationScoped
public class StorageDoor {

    private static final Pattern BUCKET_ID = Pattern.compile("[A-Za-z0-9_!\\-.*'() &$@=;:+,?]{1,100}");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB)?", Pattern.CASE_INSENSITIVE);
    private static final Set<String> SORTS = Set.of("name", "created_at", "updated_at", "last_accessed_at");
    private static final int MAX_NAME = 1024;
    /** Signed URLs live at most a year; a signed upload URL two hours, as Supabase's. */
    private static final long MAX_EXPIRY_SECONDS = 365L * 24 * 3600;
    private static final long UPLOAD_URL_SECONDS = 2 * 3600;

    private final ObjectService objects;
    private final SignedUrls signed;
    private final ObjectMapper json;

    public StorageDoor(ObjectService objects, SignedUrls signed, ObjectMapper json) {
        this.objects = objects;
        this.signed = signed;
        this.json = json;
    }

    // ---- buckets

    Uni<JsonNode> createBucket(Principal caller, String body) {
        JsonNode given = object(body);
        String id = given.hasNonNull("id") ? given.get("id").asText() : given.path("name").asText(null);
        Bucket bucket = bucket(bucketId(id), given, null);
        return objects.createBucket(caller, bucket).map(made -> JsonNodeFactory.instance.objectNode().put("name", made.id()));
    }

    Uni<JsonNode> bucket(Principal caller, String id) {
        return objects.bucket(caller, bucketId(id)).map(StorageDoor::bucketJson);
    }

    Uni<JsonNode> buckets(Principal caller) {
        return objects.buckets(caller).map(all -> {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            all.forEach(b -> out.add(bucketJson(b)));
            return out;
        });
    }

    Uni<JsonNode> updateBucket(Principal caller, String id, String body) {
        JsonNode given = object(body);
        return objects.bucket(caller, bucketId(id))
                .chain(existing -> objects.updateBucket(caller, bucket(id, given, existing)))
                .map(updated -> message("Successfully updated"));
    }

    Uni<JsonNode> emptyBucket(Principal caller, String id) {
        return objects.emptyBucket(caller, bucketId(id)).map(n -> message("Successfully emptied"));
    }

    Uni<JsonNode> deleteBucket(Principal caller, String id) {
        return objects.deleteBucket(caller, bucketId(id)).map(n -> message("Successfully deleted"));
    }

    // ---- objects

    /** Stores an upload as an object; answers Storage's {@code Key} and {@code Id}. */
    public Uni<JsonNode> put(Principal caller, String bucket, String name, boolean upsert, IncomingUpload.Received received) {
        return objects.put(caller, bucketId(bucket), objectName(name), upsert, received).map(StorageDoor::written);
    }

    Uni<StoredObject> object(Principal caller, String bucket, String name) {
        return objects.find(caller, bucketId(bucket), objectName(name));
    }

    /** The object behind a public URL: its bucket must be public. */
    Uni<StoredObject> publicObject(String bucket, String name) {
        return objects.publicReader(bucketId(bucket)).chain(reader -> objects.find(reader, bucket, objectName(name)));
    }

    /** The object a signed download URL names, once its token is checked. */
    Uni<StoredObject> signedObject(String bucket, String name, String token) {
        return signed.check(token, bucketId(bucket), objectName(name), false).chain(grant -> objects.find(grant.principal(), bucket, name));
    }

    /** The grant of a signed upload URL's token, checked before the body is read. */
    public Uni<SignedUrls.Grant> uploadGrant(String bucket, String name, String token) {
        return signed.check(token, bucketId(bucket), objectName(name), true);
    }

    Uni<Object> read(StoredObject object) {
        return objects.read(object.file(), 0, object.file().size());
    }

    Uni<JsonNode> info(Principal caller, String bucket, String name) {
        return object(caller, bucket, name).map(StorageDoor::infoJson);
    }

    Uni<JsonNode> remove(Principal caller, String bucket, String body) {
        JsonNode prefixes = object(body).path("prefixes");
        if (!prefixes.isArray() || prefixes.isEmpty()) {
            throw ProblemException.badRequest("body must have prefixes, an array of object names");
        }
        List<String> names = new ArrayList<>();
        prefixes.forEach(p -> names.add(objectName(p.asText())));
        return objects.remove(caller, bucketId(bucket), names).map(StorageDoor::entries);
    }

    Uni<JsonNode> removeOne(Principal caller, String bucket, String name) {
        return objects.remove(caller, bucketId(bucket), List.of(objectName(name))).map(gone -> {
            if (gone.isEmpty()) {
                throw new ProblemException(404, "object-not-found", "Not found", "object " + name + " does not exist");
            }
            return message("Successfully deleted");
        });
    }

    Uni<JsonNode> list(Principal caller, String bucket, String body) {
        JsonNode given = object(body);
        int limit = given.path("limit").asInt(100);
        int offset = given.path("offset").asInt(0);
        if (limit < 1 || limit > 1000 || offset < 0) {
            throw ProblemException.badRequest("limit must be 1 to 1000 and offset at least 0");
        }
        String column = given.path("sortBy").path("column").asText("name");
        String order = given.path("sortBy").path("order").asText("asc").toLowerCase(Locale.ROOT);
        if (!SORTS.contains(column) || !(order.equals("asc") || order.equals("desc"))) {
            throw ProblemException.badRequest("sortBy.column must be one of " + SORTS + " and sortBy.order asc or desc");
        }
        String prefix = TextInput.checked(given.path("prefix").asText(""), "prefix");
        String search = TextInput.checked(given.path("search").asText(""), "search");
        return objects.list(caller, bucketId(bucket), prefix, search, column, order.equals("desc"), limit, offset)
                .map(StorageDoor::entries);
    }

    Uni<JsonNode> move(Principal caller, String body) {
        JsonNode given = object(body);
        String bucket = bucketId(given.path("bucketId").asText(null));
        checkSameBucket(given, bucket);
        return objects.move(caller, bucket, objectName(given.path("sourceKey").asText(null)), objectName(given.path("destinationKey").asText(null)))
                .map(moved -> message("Successfully moved"));
    }

    Uni<JsonNode> copy(Principal caller, String body) {
        JsonNode given = object(body);
        String bucket = bucketId(given.path("bucketId").asText(null));
        checkSameBucket(given, bucket);
        return objects.copy(caller, bucket, objectName(given.path("sourceKey").asText(null)), objectName(given.path("destinationKey").asText(null)))
                .map(StorageDoor::written);
    }

    /** A signed download URL, relative to {@code /storage/v1} as clients expect; the object must exist. */
    Uni<JsonNode> sign(Principal caller, String bucket, String name, String body) {
        long seconds = expiresIn(object(body));
        return object(caller, bucket, name)
                .chain(found -> signed.sign(caller, found.bucket(), found.name(), seconds, false, false))
                .map(token -> JsonNodeFactory.instance.objectNode().put("signedURL", signedPath("sign", bucket, name, token)));
    }

    /** Signed URLs of several objects: a missing one has an error and no URL. */
    Uni<JsonNode> signMany(Principal caller, String bucket, String body) {
        JsonNode given = object(body);
        long seconds = expiresIn(given);
        if (!given.path("paths").isArray()) {
            throw ProblemException.badRequest("body must have paths, an array of object names");
        }
        List<String> names = new ArrayList<>();
        given.path("paths").forEach(p -> names.add(objectName(p.asText())));
        Uni<ArrayNode> out = Uni.createFrom().item(JsonNodeFactory.instance.arrayNode());
        for (String name : names) {
            out = out.chain(array -> object(caller, bucket, name)
                    .chain(found -> signed.sign(caller, bucket, name, seconds, false, false))
                    .map(token -> array.add(JsonNodeFactory.instance.objectNode().putNull("error").put("path", name)
                            .put("signedURL", signedPath("sign", bucket, name, token))))
                    .onFailure(e -> e instanceof ProblemException p && p.status() == 404)
                    .recoverWithItem(() -> array.add(JsonNodeFactory.instance.objectNode()
                            .put("error", "Either the object does not exist or you do not have access to it")
                            .put("path", name).putNull("signedURL"))));
        }
        return out.map(array -> array);
    }

    /** A signed upload URL (two hours), for an existing bucket; {@code upsert} lets the upload replace an object. */
    Uni<JsonNode> signUpload(Principal caller, String bucket, String name, boolean upsert) {
        return objects.bucket(caller, bucketId(bucket))
                .chain(found -> signed.sign(caller, bucket, objectName(name), UPLOAD_URL_SECONDS, true, upsert))
                .map(token -> JsonNodeFactory.instance.objectNode().put("url", signedPath("upload/sign", bucket, name, token))
                        .put("token", token));
    }

    // ---- reading requests

    private JsonNode object(String body) {
        if (body == null || body.isBlank()) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            JsonNode node = json.readTree(body);
            if (!node.isObject()) {
                throw ProblemException.badRequest("the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw ProblemException.badRequest("the body is not valid JSON");
        }
    }

    private Bucket bucket(String id, JsonNode given, Bucket existing) {
        boolean isPublic = given.has("public") ? given.get("public").asBoolean() : existing != null && existing.isPublic();
        Long limit = given.has("file_size_limit") ? sizeLimit(given.get("file_size_limit")) : existing == null ? null : existing.fileSizeLimit();
        List<String> types = existing == null ? null : existing.allowedMimeTypes();
        if (given.has("allowed_mime_types")) {
            JsonNode allowed = given.get("allowed_mime_types");
            if (!allowed.isNull() && !allowed.isArray()) {
                throw ProblemException.badRequest("allowed_mime_types must be an array of content types");
            }
            types = allowed.isNull() ? null : new ArrayList<>();
            for (JsonNode type : allowed) {
                types.add(TextInput.checked(type.asText(), "allowed_mime_types"));
            }
        }
        return new Bucket(id, isPublic, limit, types, null, null);
    }

    private static Long sizeLimit(JsonNode value) {
        if (value.isNull()) {
            return null;
        }
        if (value.canConvertToLong() && value.asLong() > 0) {
            return value.asLong();
        }
        Matcher size = SIZE.matcher(value.asText().trim());
        if (value.isTextual() && size.matches()) {
            long n = Long.parseLong(size.group(1));
            String unit = size.group(2) == null ? "B" : size.group(2).toUpperCase(Locale.ROOT);
            return n * switch (unit) {
                case "KB" -> 1024L;
                case "MB" -> 1024L * 1024;
                case "GB" -> 1024L * 1024 * 1024;
                default -> 1L;
            };
        }
        throw ProblemException.badRequest("file_size_limit must be a positive number of bytes, or a size such as 10MB");
    }

    private static long expiresIn(JsonNode given) {
        JsonNode value = given.path("expiresIn");
        long seconds = value.isNumber() ? value.asLong() : value.isTextual() && value.asText().matches("\\d{1,12}") ? Long.parseLong(value.asText()) : -1;
        if (seconds < 1 || seconds > MAX_EXPIRY_SECONDS) {
            throw ProblemException.badRequest("expiresIn must be a whole number of seconds from 1 to " + MAX_EXPIRY_SECONDS);
        }
        return seconds;
    }

    private static void checkSameBucket(JsonNode given, String bucket) {
        if (given.hasNonNull("destinationBucket") && !given.get("destinationBucket").asText().equals(bucket)) {
            throw ProblemException.badRequest("moving or copying to another bucket is not supported; destinationBucket must be "
                    + bucket + " or absent");
        }
    }

    /** A bucket id as Storage takes it: 1 to 100 letters, digits and the punctuation Storage allows, no '/', not "." or "..". */
    static String bucketId(String id) {
        if (id == null || !BUCKET_ID.matcher(id).matches() || id.equals(".") || id.equals("..")) {
            throw new ProblemException(400, "invalid-key", "Bad Request", "Invalid bucket name: the id must be 1 to 100 characters,"
                    + " letters, digits and _-.!*'() &$@=;:+,? only");
        }
        return id;
    }

    /** An object name: 1 to 1024 characters of text, segments neither empty nor "." or "..". */
    static String objectName(String name) {
        if (name == null || name.isEmpty() || name.codePointCount(0, name.length()) > MAX_NAME) {
            throw new ProblemException(400, "invalid-key", "Bad Request", "Invalid key: an object name must be 1 to " + MAX_NAME + " characters");
        }
        TextInput.checked(name, "object name");
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.chars().anyMatch(Character::isISOControl)) {
                throw new ProblemException(400, "invalid-key", "Bad Request", "Invalid key: " + name.replaceAll("\\p{Cntrl}", "?"));
            }
        }
        return name;
    }

    // ---- answers

    private static String signedPath(String route, String bucket, String name, String token) {
        return "/object/" + route + "/" + StoragePaths.encode(bucket) + "/" + StoragePaths.encode(name) + "?token=" + token;
    }

    private static ObjectNode message(String text) {
        return JsonNodeFactory.instance.objectNode().put("message", text);
    }

    private static JsonNode written(StoredObject object) {
        return JsonNodeFactory.instance.objectNode().put("Key", object.bucket() + "/" + object.name()).put("Id", object.file().id());
    }

    static ObjectNode bucketJson(Bucket b) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("id", b.id()).put("name", b.id()).put("owner", "").put("public", b.isPublic()).put("type", "STANDARD");
        if (b.fileSizeLimit() == null) {
            out.putNull("file_size_limit");
        } else {
            out.put("file_size_limit", b.fileSizeLimit());
        }
        if (b.allowedMimeTypes() == null) {
            out.putNull("allowed_mime_types");
        } else {
            b.allowedMimeTypes().forEach(out.putArray("allowed_mime_types")::add);
        }
        out.put("created_at", Times.format(b.createdAt())).put("updated_at", Times.format(b.updatedAt()));
        return out;
    }

    /** A listing or removal entry: Storage's object row; a folder has only its name. */
    private static JsonNode entries(List<StoredObject> found) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (StoredObject o : found) {
            ObjectNode entry = out.addObject().put("name", o.name());
            if (o.isFolder()) {
                entry.putNull("id").putNull("updated_at").putNull("created_at").putNull("last_accessed_at").putNull("metadata");
                continue;
            }
            entry.put("bucket_id", o.bucket()).put("id", o.file().id()).put("updated_at", o.file().createdAt())
                    .put("created_at", o.file().createdAt()).put("last_accessed_at", o.file().createdAt());
            entry.set("metadata", metadata(o));
        }
        return out;
    }

    private static JsonNode infoJson(StoredObject o) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("id", o.file().id()).put("name", o.name()).put("bucket_id", o.bucket()).put("version", o.file().sha256())
                .put("size", o.file().size()).put("content_type", o.file().contentType()).put("etag", etag(o))
                .put("created_at", o.file().createdAt()).put("updated_at", o.file().createdAt())
                .put("last_modified", o.file().createdAt()).putNull("cache_control");
        out.putObject("metadata");
        return out;
    }

    private static JsonNode metadata(StoredObject o) {
        return JsonNodeFactory.instance.objectNode().put("eTag", etag(o)).put("size", o.file().size())
                .put("mimetype", o.file().contentType()).put("lastModified", o.file().createdAt())
                .put("contentLength", o.file().size()).put("httpStatusCode", 200);
    }

    static String etag(StoredObject o) {
        return "\"" + o.file().sha256() + "\"";
    }
}
