package dev.exai.store;

import static dev.exai.store.testing.Api.alpha;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import dev.exai.store.testing.TestServers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every string input of every route, taken from the OpenAPI document the service serves (so a new route or field is
 * walked without a new test): a NUL or an unpaired surrogate in a path, a query parameter, a JSON field at any depth
 * (metadata keys and values included), a stored header or a form field answers 400 problem+json naming the field,
 * never a 500, and nothing is stored.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class HostileTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Stands for the bad text in a sample; replaced in the JSON text by an escape Jackson would not write. */
    private static final String MARK = "HOSTILE-TEXT";
    private static final List<String> BAD_ESCAPES = List.of("\\u0000", "\\ud800", "\\udc00x");
    /** Percent-decoding turns bytes that are not UTF-8 into U+FFFD, so no surrogate can arrive through a URL; a NUL can. */
    private static final List<String> BAD_QUERY = List.of("a%00b");

    @Test
    void everyStringInputOfEveryRouteIsRefusedCleanly() throws Exception {
        String cid = Api.newId();
        alpha().put("/sessions/" + cid).then().statusCode(201);
        alpha().body(Map.of("role", "user", "content", "hello")).post("/sessions/" + cid + "/messages").then().statusCode(201);
        String fileId = given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                .multiPart("file", "a.txt", "bytes".getBytes(StandardCharsets.UTF_8), "text/plain")
                .post("/files").then().statusCode(201).extract().path("id");
        long before = storedRows();

        JsonNode document = JSON.readTree(given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().asString());
        int walked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            if (path.getKey().startsWith("/q/")) {
                continue;
            }
            String concrete = path.getKey().replace("{cid}", cid).replace("{seq}", "1").replace("{id}", fileId).replace("{tenant}", "alpha")
                    .replace("{provider}", "kimi");
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String method = op.getKey().toUpperCase();
                if (!List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
                    continue;
                }
                String where = method + " " + path.getKey();
                boolean admin = path.getKey().startsWith("/admin/");
                java.util.function.Supplier<RequestSpecification> caller = () -> admin ? Api.as(Api.ADMIN_KEY) : alpha();
                for (JsonNode parameter : op.getValue().path("parameters")) {
                    String name = parameter.path("name").asText();
                    String in = parameter.path("in").asText();
                    for (String bad : BAD_QUERY) {
                        if (in.equals("query")) {
                            refused(where + "?" + name, send(caller.get(), method, concrete + "?" + name + "=" + bad), name);
                            walked++;
                        } else if (in.equals("path")) {
                            String hostile = path.getKey().replace("{" + name + "}", bad).replace("{cid}", cid).replace("{seq}", "1")
                                    .replace("{id}", fileId).replace("{provider}", "kimi").replace("{tenant}", "alpha");
                            refused(where + " path " + name, send(caller.get(), method, hostile), null);
                            walked++;
                        }
                    }
                }
                JsonNode body = op.getValue().path("requestBody").path("content");
                if (body.has("application/json")) {
                    JsonNode sample = sample(document, body.path("application/json").path("schema"));
                    for (String field : stringFields(sample, "")) {
                        for (String escape : BAD_ESCAPES) {
                            String text = JSON.writeValueAsString(mutate(sample, field)).replace(MARK, escape);
                            String type = method.equals("PATCH") ? "application/merge-patch+json" : "application/json";
                            Response answer = send(caller.get().contentType(type).body(text), method, concrete);
                            refused(where + " body " + field + " " + escape, answer, leafName(field));
                            walked++;
                        }
                    }
                }
                if (body.has("multipart/form-data")) {
                    for (Iterator<String> fields = body.path("multipart/form-data").path("schema").path("properties").fieldNames();
                         fields.hasNext(); ) {
                        String field = fields.next();
                        if (field.equals("file")) {
                            continue;
                        }
                        Response answer = given().header("Authorization", "Bearer " + Api.ALPHA_KEY)
                                .multiPart("file", "b.txt", "other".getBytes(StandardCharsets.UTF_8), "text/plain")
                                .multiPart(field, "a\u0000b").post(concrete);
                        refused(where + " form " + field, answer, field);
                        walked++;
                    }
                }
            }
        }
        // a stored header: the Idempotency-Key of an append, sent as raw bytes (HTTP clients refuse to send a NUL)
        refusedRaw("POST /sessions/" + cid + "/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + Api.ALPHA_KEY
                + "\r\nContent-Type: application/json\r\nIdempotency-Key: a\u0000b\r\nContent-Length: 35\r\nConnection: close\r\n\r\n"
                + "{\"role\":\"user\",\"content\":\"hello!\"}");
        assertThat(walked).as("inputs walked").isGreaterThan(150);
        assertThat(storedRows()).as("rows stored by the refused requests").isEqualTo(before);
    }

    @Test
    void aRequestLineOverTheLimitIsAProblemToo() {
        Response answer = alpha().get("/sessions?user_id=" + "x".repeat(9000));
        assertThat(answer.statusCode()).isEqualTo(414);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.jsonPath().getString("detail")).contains("8192");
    }

    private static Response send(RequestSpecification request, String method, String path) {
        return request.urlEncodingEnabled(false).request(method, path);
    }

    private static void refused(String what, Response answer, String name) {
        assertThat(answer.statusCode()).as(what + ": " + answer.asString()).isEqualTo(400);
        assertThat(answer.contentType()).as(what).startsWith("application/problem+json");
        if (name != null && answer.asString().contains("must not contain")) {
            assertThat(answer.jsonPath().getString("detail")).as(what).contains(name);
        }
    }

    private static void refusedRaw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).as("a NUL in Idempotency-Key").startsWith("HTTP/1.1 400");
        }
    }

    /** A value of the schema's shape, every string being {@link #MARK}-free sample text and every free-form object {"k": "v"}. */
    private static JsonNode sample(JsonNode document, JsonNode schema) {
        if (schema.has("$ref")) {
            String[] parts = schema.get("$ref").asText().substring(2).split("/");
            JsonNode target = document;
            for (String part : parts) {
                target = target.path(part);
            }
            return sample(document, target);
        }
        for (String choice : List.of("oneOf", "anyOf", "allOf")) {
            if (schema.has(choice)) {
                return sample(document, schema.get(choice).get(0));
            }
        }
        String type = schema.path("type").asText(schema.has("properties") ? "object" : "string");
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        switch (type) {
            case "object" -> {
                ObjectNode object = nodes.objectNode();
                schema.path("properties").fields().forEachRemaining(p -> object.set(p.getKey(), sample(document, p.getValue())));
                if (object.isEmpty()) {
                    object.set("k", nodes.objectNode().put("deep", "v"));
                }
                return object;
            }
            case "array" -> {
                ArrayNode array = nodes.arrayNode();
                array.add(sample(document, schema.path("items")));
                return array;
            }
            case "integer", "number" -> {
                return nodes.numberNode(1);
            }
            case "boolean" -> {
                return nodes.booleanNode(false);
            }
            default -> {
                return nodes.textNode(schema.has("enum") ? schema.get("enum").get(0).asText() : "text");
            }
        }
    }

    /** Paths to every string value and every object key of a sample ({@code a.b[0].c}, and {@code a.b{}} for a's keys). */
    private static List<String> stringFields(JsonNode node, String path) {
        List<String> fields = new ArrayList<>();
        if (node.isTextual()) {
            fields.add(path);
        } else if (node.isObject()) {
            if (!path.isEmpty()) {
                fields.add(path + "{}");
            }
            node.fields().forEachRemaining(f -> fields.addAll(stringFields(f.getValue(), path.isEmpty() ? f.getKey() : path + "." + f.getKey())));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                fields.addAll(stringFields(node.get(i), path + "[" + i + "]"));
            }
        }
        return fields;
    }

    /** A copy of the sample whose field at {@code path} holds the mark (a key of that object when the path ends in {}). */
    private static JsonNode mutate(JsonNode sample, String path) {
        JsonNode copy = sample.deepCopy();
        boolean key = path.endsWith("{}");
        String plain = key ? path.substring(0, path.length() - 2) : path;
        List<String> steps = new ArrayList<>(List.of(plain.replace("[", ".[").split("\\.")));
        steps.removeIf(String::isEmpty);
        JsonNode parent = copy;
        for (int i = 0; i < steps.size() - (key ? 0 : 1); i++) {
            parent = child(parent, steps.get(i));
        }
        if (key) {
            ((ObjectNode) parent).put("a" + MARK, "v");
        } else {
            String last = steps.get(steps.size() - 1);
            if (parent.isArray()) {
                ((ArrayNode) parent).set(Integer.parseInt(last.substring(1, last.length() - 1)), "a" + MARK);
            } else {
                ((ObjectNode) parent).put(last, "a" + MARK);
            }
        }
        return copy;
    }

    private static JsonNode child(JsonNode node, String step) {
        return step.startsWith("[") ? node.get(Integer.parseInt(step.substring(1, step.length() - 1))) : node.get(step);
    }

    /** The name a detail gives a field: its last step. */
    private static String leafName(String path) {
        String plain = path.endsWith("{}") ? path.substring(0, path.length() - 2) : path;
        int dot = plain.lastIndexOf('.');
        String last = dot < 0 ? plain : plain.substring(dot + 1);
        int bracket = last.indexOf('[');
        return bracket < 0 ? last : last.substring(0, bracket);
    }

    /** Every row the refused requests could have written. */
    private static long storedRows() throws Exception {
        try (var c = TestServers.connect(StoreTestResource.database());
             var rs = c.createStatement().executeQuery("SELECT (SELECT count(*) FROM chat_sessions) + (SELECT count(*) FROM chat_messages)"
                     + " + (SELECT count(*) FROM files) + (SELECT count(*) FROM perf_samples)")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
