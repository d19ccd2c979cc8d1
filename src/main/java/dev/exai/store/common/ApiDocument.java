package dev.exai.store.common;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Completes the OpenAPI document SmallRye generates from the resources with what every route shares and what the
 * annotations cannot say: the problem+json schema and the error answers each route can give, the success statuses
 * of routes that build their {@code Response} by hand, and the headers the contract promises.
 *
 * <p>Rules for every operation outside {@code /q/}: 400 (input is checked everywhere), 401 (every route needs the
 * key), 414 (a URI over the limit of {@code RequestLimits}), 503 (PostgreSQL unreachable); 404 where the path names something; 413 and 415 where there is a body. The
 * table below adds each route's own statuses. {@code ApiContractTest} fails when a route answers a status missing here.
 */
public class ApiDocument implements OASFilter {

    private static final String PROBLEM_REF = "#/components/schemas/Problem";
    /** Marks the hand-written schemas of META-INF/openapi.yaml, whose nullability is as written. */
    private static final String EXACT = "x-exact";

    /** Success statuses of routes that answer something other than a plain 200. */
    private static final Map<String, List<String>> SUCCESS = Map.ofEntries(
            Map.entry("SessionResource_create", List.of("201")),
            Map.entry("SessionResource_getOrCreate", List.of("201", "200")),
            Map.entry("SessionResource_fork", List.of("201")),
            Map.entry("SessionResource_importSession", List.of("201")),
            Map.entry("SessionResource_delete", List.of("204")),
            Map.entry("MessageResource_append", List.of("201")),
            Map.entry("MessageResource_redact", List.of("204")),
            Map.entry("FileResource_delete", List.of("204")),
            Map.entry("FileResource_toProvider", List.of("201", "200")),
            Map.entry("FileResource_content", List.of("200", "206", "304")),
            Map.entry("PerfResource_ingest", List.of("202")),
            Map.entry("SummaryResource_write", List.of("201")),
            Map.entry("KeyResource_create", List.of("201")),
            Map.entry("SummaryResource_delete", List.of("204")));

    /** Error statuses beyond the shared ones, with what they mean there. */
    private static final Map<String, Map<String, String>> ERRORS = Map.ofEntries(
            Map.entry("SessionResource_create", Map.of("409", "A session with that continuation_id exists, or the tenant "
                    + "holds its limit of sessions")),
            Map.entry("SessionResource_fork", Map.of("409", "A session with the new continuation_id exists, or the tenant "
                    + "holds its limit of sessions")),
            Map.entry("SessionResource_importSession", Map.of("409", "A session with that continuation_id exists, or the "
                    + "tenant holds its limit of sessions", "422", "Idempotency-Key reused with another body",
                    "507", "The tenant stores its limit of bytes")),
            Map.entry("SessionResource_getOrCreate", Map.of("409", "The tenant holds its limit of sessions")),
            Map.entry("SessionResource_delete", Map.of("409", "Other sessions continue this one (use cascade=true)")),
            Map.entry("MessageResource_append", Map.of("409", "The session's turn cap has no room for these messages, or "
                    + "create=true and the tenant holds its limit of sessions", "422", "Idempotency-Key reused with another body",
                    "507", "The tenant stores its limit of bytes")),
            Map.entry("MessageResource_patch", Map.of("409", "The message is redacted, or a streamed answer still streaming")),
            Map.entry("MessageResource_redact", Map.of("409", "The message is a streamed answer still streaming")),
            Map.entry("StreamResource_chunks", Map.of("409", "A piece's index is stored with other text, or the message is not "
                    + "a streamed answer still streaming", "413", "The pieces are larger than EXAI_STORE_MESSAGES_MAX_CONTENT_BYTES",
                    "507", "The tenant stores its limit of bytes")),
            Map.entry("StreamResource_complete", Map.of("409", "Pieces are missing (named), more pieces are stored than chunks, or "
                    + "the message is not a streamed answer")),
            Map.entry("FileResource_content", Map.of("416", "The range is outside the file")),
            Map.entry("FileResource_toProvider", Map.of("502", "The provider failed, timed out or is not configured",
                    "413", "The file is larger than the provider accepts")),
            Map.entry("FileResource_providerText", Map.of("502", "The provider failed, timed out or is not configured")),
            Map.entry("SummaryResource_write", Map.of("422", "Idempotency-Key reused with another body",
                    "502", "generate: the provider failed, timed out or is not configured; nothing is stored")),
            Map.entry("SummaryResource_delete", Map.of("409", "The summary is a session's this one continues: delete it through that session")));

    /** The schema (in META-INF/openapi.yaml) of the JSON body a route reads by hand. */
    private static final Map<String, String> REQUEST_BODIES = Map.ofEntries(
            Map.entry("SessionResource_create", "NewSession"),
            Map.entry("SessionResource_getOrCreate", "NewSession"),
            Map.entry("SessionResource_fork", "ForkRequest"),
            Map.entry("SessionResource_patch", "SessionPatch"),
            Map.entry("MessageResource_append", "AppendBody"),
            Map.entry("MessageResource_patch", "MessagePatch"),
            Map.entry("PerfResource_ingest", "SampleBody"),
            Map.entry("SummaryResource_write", "NewSummary"),
            Map.entry("StreamResource_chunks", "PiecesBody"),
            Map.entry("StreamResource_complete", "Completion"),
            Map.entry("KeyResource_create", "NewKey"));

    /** The schema of the JSON a route's success answers carry, where the code builds it by hand. */
    private static final Map<String, String> RESPONSE_BODIES = Map.ofEntries(
            Map.entry("SessionResource_create", "Session"),
            Map.entry("SessionResource_getOrCreate", "Session"),
            Map.entry("SessionResource_get", "Session"),
            Map.entry("SessionResource_fork", "Session"),
            Map.entry("SessionResource_importSession", "Session"),
            Map.entry("SessionResource_context", "Context"),
            Map.entry("MessageResource_append", "AppendResult"),
            Map.entry("MessageResource_history", "MessagePage"),
            Map.entry("MessageResource_patch", "Message"),
            Map.entry("FileResource_get", "FileView"),
            Map.entry("FileResource_toProvider", "FileView"),
            Map.entry("PerfResource_ingest", "Accepted"),
            Map.entry("PerfResource_params", "ParamsView"),
            Map.entry("SummaryResource_write", "SummaryView"),
            Map.entry("StreamResource_chunks", "PiecesStored"),
            Map.entry("StreamResource_complete", "Message"),
            Map.entry("KeyResource_create", "IssuedKey"));

    /** Headers of success answers. */
    private static final Map<String, Map<String, String>> HEADERS = Map.ofEntries(
            Map.entry("SessionResource_create", Map.of("Location", "The new session")),
            Map.entry("SessionResource_fork", Map.of("Location", "The new session")),
            Map.entry("SessionResource_importSession", Map.of("Location", "The new session",
                    "Idempotent-Replayed", "true when this answers an earlier import with the same Idempotency-Key")),
            Map.entry("MessageResource_append", Map.of("Idempotent-Replayed",
                    "true when this answers an earlier append with the same Idempotency-Key")),
            Map.entry("SummaryResource_write", Map.of("Idempotent-Replayed",
                    "true when this answers an earlier write with the same Idempotency-Key")),
            Map.entry("MessageResource_history", Map.of("X-Cache", "hit when Redis answered, miss when PostgreSQL did")),
            Map.entry("SessionResource_context", Map.of("X-Cache", "hit when Redis answered, miss when PostgreSQL did")),
            Map.entry("FileResource_content", Map.of("ETag", "The file's sha256, quoted", "Content-Range",
                    "The range sent (206)", "Accept-Ranges", "bytes")));

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        openAPI.getComponents().addSchema("Problem", OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .description("RFC 9457 problem details")
                .required(List.of("type", "title", "status", "detail"))
                .addProperty("type", string("urn:exai-store:problem:<slug>"))
                .addProperty("title", string("A short summary of the kind of problem"))
                .addProperty("status", OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)))
                .addProperty("detail", string("What went wrong with this request, naming the offending input"))
                .addProperty("instance", string("Unused; null")));
        openAPI.getComponents().getSchemas().forEach((name, schema) -> {
            if (schema.getExtensions() != null && schema.getExtensions().containsKey(EXACT)) {
                schema.removeExtension(EXACT);
            } else if (!name.equals("Problem") && schema.getProperties() != null) {
                schema.getProperties().values().forEach(ApiDocument::nullable);
            }
        });
        // the JsonNode parameters' generated schemas, replaced by REQUEST_BODIES
        openAPI.getComponents().removeSchema("JsonNode");
        openAPI.getComponents().removeSchema("JsonNodeType");
        if (openAPI.getPaths() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (!path.startsWith("/q/")) {
                item.getOperations().forEach((method, operation) -> complete(path, method, operation));
            }
        });
    }

    private static void complete(String path, PathItem.HttpMethod method, Operation operation) {
        APIResponses responses = operation.getResponses();
        String id = operation.getOperationId();
        List<String> success = SUCCESS.get(id);
        if (success != null) {
            APIResponse generated = responses.getAPIResponse("200");
            if (!success.contains("200")) {
                responses.removeAPIResponse("200");
            }
            for (String status : success) {
                if (responses.getAPIResponse(status) == null) {
                    APIResponse response = OASFactory.createAPIResponse().description(successDescription(status));
                    if (!status.equals("204") && !status.equals("304") && generated != null) {
                        response.content(generated.getContent());
                    }
                    responses.addAPIResponse(status, response);
                }
            }
        }
        String requestSchema = REQUEST_BODIES.get(id);
        if (requestSchema != null) {
            operation.getRequestBody().getContent().getMediaTypes().values()
                    .forEach(media -> media.schema(ref(requestSchema)));
        }
        String responseSchema = RESPONSE_BODIES.get(id);
        responses.getAPIResponses().forEach((status, response) -> {
            if (status.startsWith("2") && response.getContent() != null) {
                response.getContent().getMediaTypes().forEach((type, media) -> {
                    if (responseSchema != null) {
                        media.schema(ref(responseSchema));
                    } else if (media.getSchema() == null && type.equals("*/*")) {
                        media.schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).format("binary"));
                    }
                });
            }
        });
        new TreeMap<>(HEADERS.getOrDefault(id, Map.of())).forEach((name, description) -> {
            Header header = OASFactory.createHeader().description(description).schema(string(null));
            responses.getAPIResponses().forEach((status, response) -> {
                if (status.startsWith("2") && !status.equals("204")) {
                    response.addHeader(name, header);
                }
            });
        });
        problem(responses, "400", "Bad input: the detail names it");
        boolean admin = path.startsWith("/admin/");
        problem(responses, "401", admin ? "Missing or wrong admin key" : "Missing or wrong API key");
        problem(responses, "403", admin ? "A tenant key: /admin routes take the admin key only"
                : "The admin key: tenant routes take a tenant key");
        problem(responses, "414", "The request URI is longer than 8192 characters");
        if (!admin) {
            problem(responses, "429", "The tenant is over its request rate; Retry-After says when to come back");
            retryAfter(responses.getAPIResponse("429"), "Seconds until the tenant has a request again");
        }
        problem(responses, "503", "PostgreSQL is unavailable or refuses writes, or this instance is stopping; retry later");
        retryAfter(responses.getAPIResponse("503"), "Seconds to wait, sent when this instance is stopping");
        if (path.contains("{")) {
            problem(responses, "404", "Not found (another tenant's objects answer 404 too)");
        }
        if (operation.getRequestBody() != null) {
            problem(responses, "413", "The body is larger than the service accepts");
            problem(responses, "415", "The body's content type is not one this route takes");
        }
        ERRORS.getOrDefault(id, Map.of()).forEach((status, description) -> problem(responses, status, description));
        // in status order: readable, and a generated client takes its Accept header from the first JSON answer
        responses.setAPIResponses(new TreeMap<>(responses.getAPIResponses()));
    }

    /**
     * The answers' records leave absent values null and the JSON carries them ({@code "title": null}), so every
     * property of a generated schema may be null unless it is a reference (whose own properties say so).
     */
    private static void nullable(Schema property) {
        if (property.getRef() == null && property.getType() != null && !property.getType().contains(Schema.SchemaType.NULL)) {
            property.addType(Schema.SchemaType.NULL);
        }
    }

    private static void problem(APIResponses responses, String status, String description) {
        APIResponse existing = responses.getAPIResponse(status);
        Content content = OASFactory.createContent().addMediaType("application/problem+json",
                OASFactory.createMediaType().schema(OASFactory.createSchema().ref(PROBLEM_REF)));
        if (existing == null) {
            responses.addAPIResponse(status, OASFactory.createAPIResponse().description(description).content(content));
        } else {
            existing.content(content);
        }
    }

    private static String successDescription(String status) {
        return switch (status) {
            case "201" -> "Created";
            case "202" -> "Accepted";
            case "204" -> "Done; no body";
            case "206" -> "The range asked for";
            case "304" -> "Not modified (If-None-Match matched the ETag)";
            default -> "OK";
        };
    }

    private static void retryAfter(APIResponse response, String description) {
        response.addHeader("Retry-After", OASFactory.createHeader().description(description)
                .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER))));
    }

    private static Schema ref(String schema) {
        return OASFactory.createSchema().ref("#/components/schemas/" + schema);
    }

    private static Schema string(String description) {
        return OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).description(description);
    }
}
