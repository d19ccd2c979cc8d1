package dev.exai.store.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.StoreConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The canonical form of a sample's {@code params} and its hash, which groups samples: keys sorted at every depth,
 * volatile keys ({@code exai-store.perf.volatile-keys}) left out at every depth, numbers in their shortest exact
 * decimal form (1, 1.0 and 1e0 are one number), strings in Unicode NFC. The hash is the first 16 hex digits of
 * the SHA-256 of the canonical JSON text.
 */
@ApplicationScoped
public class ParamsHash {

    private final Set<String> volatileKeys;

    public ParamsHash(StoreConfig config) {
        this.volatileKeys = Set.copyOf(config.perf().volatileKeys());
    }

    /** The canonical JSON text of {@code params} (an object, or null for none). */
    public String canonical(JsonNode params) {
        return canonicalNode(params == null || params.isNull() ? JsonNodeFactory.instance.objectNode() : params).toString();
    }

    public static String hash(String canonical) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode canonicalNode(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            for (String name : names) {
                if (!volatileKeys.contains(name)) {
                    sorted.set(Normalizer.normalize(name, Normalizer.Form.NFC), canonicalNode(node.get(name)));
                }
            }
            return sorted;
        }
        if (node.isArray()) {
            var array = JsonNodeFactory.instance.arrayNode();
            node.forEach(item -> array.add(canonicalNode(item)));
            return array;
        }
        if (node.isNumber()) {
            BigDecimal value = node.decimalValue().stripTrailingZeros();
            return value.scale() <= 0 && value.precision() - value.scale() <= 18
                    ? JsonNodeFactory.instance.numberNode(value.longValueExact())
                    : JsonNodeFactory.instance.numberNode(value);
        }
        if (node.isTextual()) {
            return JsonNodeFactory.instance.textNode(Normalizer.normalize(node.asText(), Normalizer.Form.NFC));
        }
        return node;
    }
}
