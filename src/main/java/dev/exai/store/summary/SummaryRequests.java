package dev.exai.store.summary;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TextInput;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** Reads and checks a summary's JSON body; every fault is a 400 (413 past the content limit) naming the field. */
@ApplicationScoped
class SummaryRequests {

    private static final Set<String> FIELDS = Set.of("through_seq", "content", "token_count", "model", "metadata");
    private static final int MAX_MODEL = 256;

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
            if (name.equals("generate")) {
                throw ProblemException.badRequest("generate is not available yet: send the summary's content");
            }
            if (!FIELDS.contains(name)) {
                throw ProblemException.badRequest("unknown field " + name + "; a summary has " + FIELDS.stream().sorted().toList());
            }
        });
        JsonNode through = body.get("through_seq");
        if (through == null || !through.isIntegralNumber() || !through.canConvertToInt() || through.asInt() < 1) {
            throw ProblemException.badRequest("through_seq is required: the seq (1 or more) of the last message the summary covers");
        }
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual() || content.asText().isBlank()) {
            throw ProblemException.badRequest("content is required and must be a non-empty string");
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
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw ProblemException.badRequest("metadata must be a JSON object");
        }
        String metadataJson = metadata == null || metadata.isNull() ? null : metadata.toString();
        if (metadataJson != null && metadataJson.length() > maxContentBytes) {
            throw ProblemException.tooLarge("metadata is larger than " + maxContentBytes + " bytes");
        }
        return new NewSummary(through.asInt(), text, tokenCount, model == null || model.isNull() ? null : model.asText(), metadataJson);
    }
}
