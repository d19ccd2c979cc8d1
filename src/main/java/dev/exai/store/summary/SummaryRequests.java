package dev.exai.store.summary;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TextInput;
import jakarta.enterprise.context.ApplicationScoped;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Times;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

/** Reads and checks a summary's JSON body; every fault is a 400 (413 past the content limit) naming the field. */
@ApplicationScoped
class SummaryRequests {

    private static final Set<String> FIELDS = Set.of("through_seq", "content", "token_count", "model", "metadata", "generate");
    private static final Set<String> GENERATE_FIELDS = Set.of("provider", "model", "max_tokens", "instructions", "window_tokens");
    private static final int MAX_MODEL = 256;
    private static final int MAX_INSTRUCTIONS = 16_384;
    private static final int DEFAULT_WINDOW = 32_000;

    private final int maxContentBytes;

    SummaryRequests(StoreConfig config) {
        this.maxContentBytes = config.messages().maxContentBytes();
    }

    NewSummary summary(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ProblemException.badRequest("the body must be a JSON object with through_seq and content");
        }
        TextInput.check(body, "");
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw ProblemException.badRequest("unknown field " + name + "; a summary has " + FIELDS.stream().sorted().toList());
            }
        });
        JsonNode through = body.get("through_seq");
        if (through == null || !through.isIntegralNumber() || !through.canConvertToInt() || through.asInt() < 1) {
            throw ProblemException.badRequest("through_seq is required: the seq (1 or more) of the last message the summary covers");
        }
        JsonNode generate = body.get("generate");
        if (generate != null) {
            if (body.has("content") || body.has("token_count") || body.has("model")) {
                throw ProblemException.badRequest("a summary has either content (with token_count and model) or generate, not both");
            }
            return new NewSummary(through.asInt(), null, null, null, metadata(body), generate(generate));
        }
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual() || content.asText().isBlank()) {
            throw ProblemException.badRequest("content (a non-empty string) or generate is required");
        }
        String text = content.asText();
        if (text.length() > maxContentBytes / 3 && text.getBytes(StandardCharsets.UTF_8).length > maxContentBytes) {
            throw ProblemException.tooLarge("content is larger than " + maxContentBytes + " bytes");
        }
        JsonNode tokens = body.get("token_count");
        Integer tokenCount = null;
        if (tokens != null && !tokens.isNull()) {
            if (!tokens.isIntegralNumber() || !tokens.canConvertToInt() || tokens.asInt() < 0) {
                throw ProblemException.badRequest("token_count must be a whole number from 0");
            }
            tokenCount = tokens.asInt();
        }
        JsonNode model = body.get("model");
        if (model != null && !model.isNull() && (!model.isTextual() || model.asText().length() > MAX_MODEL)) {
            throw ProblemException.badRequest("model must be a string of at most " + MAX_MODEL + " characters");
        }
        return new NewSummary(through.asInt(), text, tokenCount, model == null || model.isNull() ? null : model.asText(), metadata(body),
                null);
    }

    private String metadata(JsonNode body) {
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw ProblemException.badRequest("metadata must be a JSON object");
        }
        String metadataJson = metadata == null || metadata.isNull() ? null : metadata.toString();
        if (metadataJson != null && metadataJson.length() > maxContentBytes) {
            throw ProblemException.tooLarge("metadata is larger than " + maxContentBytes + " bytes");
        }
        return metadataJson;
    }

    /** A summary line of an import, checked against the new session's {@code messageCount}; a bad one is a 400 naming its line. */
    ImportedSummary imported(dev.exai.store.session.SummaryHook.ImportLine line, long messageCount) {
        String name = "line " + line.line();
        JsonNode node = line.json();
        NewSummary summary;
        try {
            ObjectNode fields = ((ObjectNode) node).deepCopy();
            fields.remove(List.of("kind", "token_count_estimated", "created_at", "id", "stale"));
            summary = summary(fields);
        } catch (ProblemException e) {
            throw ProblemException.badRequest(name + ": " + e.getMessage());
        }
        if (summary.generate() != null) {
            throw ProblemException.badRequest(name + ": an imported summary has content, not generate");
        }
        if (summary.throughSeq() > messageCount) {
            throw ProblemException.badRequest(name + ": through_seq " + summary.throughSeq() + " is past the import's "
                    + messageCount + " messages");
        }
        if (summary.tokenCount() == null) {
            throw ProblemException.badRequest(name + ": token_count is required in an imported summary");
        }
        JsonNode created = node.get("created_at");
        OffsetDateTime createdAt = created == null || created.isNull() ? null : Times.parse(name + ".created_at", created.asText());
        return new ImportedSummary(summary, node.path("token_count_estimated").asBoolean(false), createdAt);
    }

    private static NewSummary.Generate generate(JsonNode generate) {
        if (!generate.isObject()) {
            throw ProblemException.badRequest("generate must be an object with provider and model");
        }
        generate.fieldNames().forEachRemaining(name -> {
            if (!GENERATE_FIELDS.contains(name)) {
                throw ProblemException.badRequest("unknown field generate." + name + "; generate has " + GENERATE_FIELDS.stream().sorted().toList());
            }
        });
        JsonNode provider = generate.get("provider");
        if (provider == null || !provider.isTextual() || !Set.of("kimi", "glm").contains(provider.asText())) {
            throw ProblemException.badRequest("generate.provider must be kimi or glm");
        }
        JsonNode model = generate.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank() || model.asText().length() > MAX_MODEL) {
            throw ProblemException.badRequest("generate.model is required: the provider's model name (at most " + MAX_MODEL + " characters)");
        }
        Integer maxTokens = wholeNumber(generate, "max_tokens", 1, 1_000_000);
        JsonNode instructions = generate.get("instructions");
        if (instructions != null && !instructions.isNull()
                && (!instructions.isTextual() || instructions.asText().isBlank() || instructions.asText().length() > MAX_INSTRUCTIONS)) {
            throw ProblemException.badRequest("generate.instructions must be a non-empty string of at most " + MAX_INSTRUCTIONS + " characters");
        }
        Integer window = wholeNumber(generate, "window_tokens", 1_000, 10_000_000);
        return new NewSummary.Generate(provider.asText(), model.asText(), maxTokens,
                instructions == null || instructions.isNull() ? null : instructions.asText(), window == null ? DEFAULT_WINDOW : window);
    }

    private static Integer wholeNumber(JsonNode parent, String name, int min, int max) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min || node.asInt() > max) {
            throw ProblemException.badRequest("generate." + name + " must be a whole number from " + min + " to " + max);
        }
        return node.asInt();
    }
}
