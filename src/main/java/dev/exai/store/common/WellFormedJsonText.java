package dev.exai.store.common;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Refuses request JSON whose strings are not valid Unicode. JSON lets a {@code \ud800} escape stand alone, Jackson
 * decodes it into a lone UTF-16 surrogate, and the UTF-8 encoder on the way to PostgreSQL or Redis would store a
 * '?' in its place: what we stored would differ from what was sent. Every request body arrives as a JSON tree, so
 * checking the tree once, right after parsing, covers every field and key of every route with a 400 problem that
 * names where the surrogate is.
 */
@Singleton
public class WellFormedJsonText implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(new SimpleModule("well-formed-json-text").addDeserializer(JsonNode.class, new CheckedTree()));
    }

    /** The standard tree deserializer, followed by the check. */
    static final class CheckedTree extends StdDeserializer<JsonNode> {

        CheckedTree() {
            super(JsonNode.class);
        }

        @Override
        public JsonNode deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonNode tree = JsonNodeDeserializer.getDeserializer(JsonNode.class).deserialize(parser, context);
            check(tree, "$");
            return tree;
        }
    }

    static void check(JsonNode node, String path) {
        if (node.isTextual()) {
            requireWellFormed(node.textValue(), path);
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), path + "[" + i + "]");
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                requireWellFormed(field.getKey(), path + " (a key)");
                check(field.getValue(), path + "." + field.getKey());
            }
        }
    }

    private static void requireWellFormed(String text, String path) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ProblemException.badRequest(String.format(
                        "%s holds a lone UTF-16 surrogate (\\u%04x at character %d); JSON strings must be valid Unicode",
                        path, (int) c, i));
            }
        }
    }
}
