package dev.exai.store.common;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The text every input must be: no NUL (PostgreSQL's text and jsonb cannot hold one), no unpaired UTF-16
 * surrogate (it has no UTF-8 form, so PostgreSQL, Redis and every client would each do something else with it) and
 * not the mark of an encrypted value.
 * {@link InputChecks} applies it where input enters (JSON bodies at any depth, query parameters, the stored
 * headers), the streamed upload to its form fields; a failure is a 400 naming the field, before anything is written.
 */
public final class TextInput {

    /** What a value sealed by security/Cipher starts with: refused in any input, so no text can pass for one. */
    private static final String SEALED = "\u0001E1:";

    private TextInput() {
    }

    /** The value, or a 400 naming {@code name} when it holds a NUL or an unpaired surrogate; null passes. */
    public static String checked(String value, String name) {
        if (value != null) {
            String fault = fault(value);
            if (fault != null) {
                throw ProblemException.badRequest(name + " must not contain " + fault);
            }
        }
        return value;
    }

    /** Checks every string of a JSON document, keys included, naming the first bad one by its path. */
    public static void check(JsonNode node, String path) {
        if (node.isTextual()) {
            checked(node.textValue(), path.isEmpty() ? "the body" : path);
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                String name = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (fault(field.getKey()) != null) {
                    checked(field.getKey(), "a key of " + (path.isEmpty() ? "the body" : path));
                }
                check(field.getValue(), name);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(node.get(i), path + "[" + i + "]");
            }
        }
    }

    /** Checks every value of a multi-valued map of inputs (query parameters), each named by its key. */
    public static void checkAll(Map<String, List<String>> inputs) {
        inputs.forEach((name, values) -> values.forEach(value -> checked(value, name)));
    }

    /** Checks every value of a sequence of name/value inputs (Vert.x's query parameters). */
    public static void checkQuery(Iterable<Map.Entry<String, String>> inputs) {
        inputs.forEach(input -> checked(input.getValue(), input.getKey()));
    }

    /** What is wrong with a text, or null when nothing is. */
    private static String fault(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return "NUL characters (\\u0000)";
            }
            if (c == '\u0001' && text.startsWith(SEALED, i)) {
                return "the sequence \\u0001E1: (it marks encrypted values)";
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "unpaired surrogates (\\u" + Integer.toHexString(c) + ")";
            }
        }
        return null;
    }
}
