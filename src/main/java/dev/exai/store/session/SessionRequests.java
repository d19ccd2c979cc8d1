package dev.exai.store.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Turns request JSON into validated inputs, answering 400 (or 413 for oversized content) with a detail that
 * names the offending field. Its text is already clean ({@code common/TextInput} checked every string as it entered). Validation happens before any write, so a bad request leaves nothing behind.
 * Unknown fields of a create or a message are ignored (clients may send more than they need); a PATCH with
 * a field it cannot change is refused, since ignoring it would look like success.
 */
@ApplicationScoped
public class SessionRequests {

    private static final Set<String> ROLES = Set.of("user", "assistant", "system", "tool");
    private static final Set<String> PATCHABLE = Set.of("title", "metadata", "ttl_seconds");
    static final int MAX_BATCH = 100;
    private static final ObjectReader FILTER_READER = new ObjectMapper().reader();
    /** Longest user id and title, in characters (the Supabase door keeps rows within them too). */
    public static final int MAX_USER_ID = 256;
    public static final int MAX_TITLE = 1024;
    private static final int MAX_LABEL = 256;
    private static final int MAX_REFERENCES = 100;

    private final int maxContentBytes;
    private final long maxTtlSeconds;

    public SessionRequests(StoreConfig config) {
        this.maxContentBytes = config.messages().maxContentBytes();
        this.maxTtlSeconds = config.sessions().maxTtlSeconds();
    }

    /** A message PATCH body: a merge patch naming only {@code metadata}, an object or null; answers that part. */
    static JsonNode messagePatch(JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw ProblemException.badRequest("a merge patch must be a JSON object");
        }
        for (Iterator<String> names = patch.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("metadata")) {
                throw ProblemException.badRequest(name + " cannot be changed; a message PATCH may change metadata only");
            }
        }
        JsonNode metadata = patch.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw ProblemException.badRequest("metadata must be a JSON object or null");
        }
        return metadata;
    }

    /** Stored metadata JSON after a metadata merge patch (null: cleared to {}; absent: unchanged), size-checked. */
    String mergeMetadata(String current, JsonNode patch) {
        if (patch == null) {
            return current;
        }
        if (patch.isNull()) {
            return "{}";
        }
        try {
            String merged = MergePatch.apply(FILTER_READER.readTree(current), patch).toString();
            if (merged.getBytes(StandardCharsets.UTF_8).length > maxContentBytes) {
                throw ProblemException.tooLarge("metadata would be larger than " + maxContentBytes + " bytes");
            }
            return merged;
        } catch (IOException e) {
            throw new IllegalStateException("stored metadata is not JSON", e);
        }
    }

    /** A {@code metadata} query parameter: a JSON object that stored metadata must contain; null when absent. */
    static String metadataFilter(String value) {
        if (value == null) {
            return null;
        }
        JsonNode node;
        try {
            node = FILTER_READER.readTree(value);
        } catch (IOException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            throw ProblemException.badRequest("metadata must be a JSON object, URL-encoded: {\"project\":\"x\"}");
        }
        return node.toString();
    }

    /** A {@code role} query parameter: one of the message roles; null when absent. */
    static String roleFilter(String value) {
        if (value != null && !ROLES.contains(value)) {
            throw ProblemException.badRequest("role must be one of user, assistant, system, tool");
        }
        return value;
    }

    /** A create or get-or-create body; {@code pathId} is the id from the URL of a PUT, else null. */
    SessionInput sessionInput(JsonNode body, String pathId) {
        JsonNode b = objectBody(body);
        String cid = optionalText(b, "continuation_id", 128);
        if (pathId != null) {
            if (cid != null && !cid.equals(pathId)) {
                throw ProblemException.badRequest("continuation_id in the body differs from the one in the path");
            }
            cid = pathId;
        } else if (cid == null) {
            cid = UUID.randomUUID().toString();
        }
        ContinuationIds.checked(cid);
        Long ttl = ttl(b.get("ttl_seconds"));
        JsonNode sliding = b.get("ttl_sliding");
        if (sliding != null && !sliding.isNull() && !sliding.isBoolean()) {
            throw ProblemException.badRequest("ttl_sliding must be true or false");
        }
        boolean ttlSliding = sliding != null && sliding.asBoolean();
        if (ttlSliding && ttl == null) {
            throw ProblemException.badRequest("ttl_sliding needs ttl_seconds: every append moves expires_at to now + ttl_seconds");
        }
        JsonNode max = b.get("max_messages");
        if (max != null && !max.isNull() && (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() < 1)) {
            throw ProblemException.badRequest("max_messages must be a whole number from 1");
        }
        String parent = optionalText(b, "parent_continuation_id", 128);
        if (parent != null) {
            ContinuationIds.checked(parent);
        }
        JsonNode parentSeq = b.get("parent_seq");
        if (parentSeq != null && !parentSeq.isNull()) {
            if (parent == null) {
                throw ProblemException.badRequest("parent_seq needs parent_continuation_id");
            }
            if (!parentSeq.isIntegralNumber() || !parentSeq.canConvertToInt() || parentSeq.asInt() < 0) {
                throw ProblemException.badRequest("parent_seq must be a whole number from 0");
            }
        }
        return new SessionInput(cid, optionalText(b, "user_id", MAX_USER_ID), optionalText(b, "title", MAX_TITLE),
                metadata(b.get("metadata"), "metadata"), ttl, ttlSliding,
                max == null || max.isNull() ? null : max.asInt(), parent,
                parentSeq == null || parentSeq.isNull() ? null : parentSeq.asInt());
    }

    /** An optional object body: absent or null reads as {}, anything but an object is a 400. */
    private static JsonNode objectBody(JsonNode body) {
        if (body == null || body.isNull()) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        if (!body.isObject()) {
            throw ProblemException.badRequest("the body must be a JSON object");
        }
        return body;
    }

    /** A fork: the new session's id (made when absent) and the parent seq it branches at (null: the parent's last). */
    SessionInput forkInput(JsonNode body, String parent) {
        JsonNode b = objectBody(body);
        String cid = optionalText(b, "continuation_id", 128);
        cid = ContinuationIds.checked(cid == null ? UUID.randomUUID().toString() : cid);
        JsonNode at = b.get("at_seq");
        if (at != null && !at.isNull() && (!at.isIntegralNumber() || !at.canConvertToInt() || at.asInt() < 0)) {
            throw ProblemException.badRequest("at_seq must be a whole number from 0");
        }
        return new SessionInput(cid, optionalText(b, "user_id", MAX_USER_ID), optionalText(b, "title", MAX_TITLE),
                metadata(b.get("metadata"), "metadata"), null, false, null, parent,
                at == null || at.isNull() ? null : at.asInt());
    }

    /** Validates a merge-patch document and applies it to the current fields. */
    SessionService.SessionPatch applyPatch(JsonNode patch, SessionService.SessionPatch current, JsonNode currentMetadata) {
        if (patch == null || !patch.isObject()) {
            throw ProblemException.badRequest("a merge patch must be a JSON object");
        }
        for (Iterator<String> names = patch.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!PATCHABLE.contains(name)) {
                throw ProblemException.badRequest(name + " cannot be changed; a PATCH may change title, metadata and ttl_seconds");
            }
        }
        String title = current.title();
        if (patch.has("title")) {
            title = patch.get("title").isNull() ? null : optionalText(patch, "title", MAX_TITLE);
        }
        String metadata = current.metadata();
        if (patch.has("metadata")) {
            JsonNode m = patch.get("metadata");
            if (m.isNull()) {
                metadata = "{}";
            } else if (!m.isObject()) {
                throw ProblemException.badRequest("metadata must be a JSON object or null");
            } else {
                metadata = MergePatch.apply(currentMetadata, m).toString();
            }
        }
        if (patch.has("ttl_seconds")) {
            return new SessionService.SessionPatch(title, metadata, ttl(patch.get("ttl_seconds")), false);
        }
        return new SessionService.SessionPatch(title, metadata, null, true);
    }

    /** One message (object body) or a batch (array of 1..100), in order. */
    List<NewMessage> messages(JsonNode body) {
        if (body == null || body.isNull()) {
            throw ProblemException.badRequest("the body must be a message object or an array of 1 to 100 of them");
        }
        if (body.isObject()) {
            return List.of(message(body, "message"));
        }
        if (!body.isArray() || body.isEmpty() || body.size() > MAX_BATCH) {
            throw ProblemException.badRequest("the body must be a message object or an array of 1 to 100 of them");
        }
        List<NewMessage> messages = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            messages.add(message(body.get(i), "messages[" + i + "]"));
        }
        return messages;
    }

    NewMessage message(JsonNode node, String name) {
        if (!node.isObject()) {
            throw ProblemException.badRequest(name + " must be a JSON object");
        }
        JsonNode role = node.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw ProblemException.badRequest(name + ".role must be one of user, assistant, system, tool");
        }
        boolean streaming = streaming(node, name);
        JsonNode content = node.get("content");
        if (streaming && (content == null || content.isNull())) {
            content = TextNode.valueOf("");
        }
        if (content == null || !content.isTextual()) {
            throw ProblemException.badRequest(name + ".content is required and must be a string");
        }
        String text = content.asText();
        if (streaming && (!text.isEmpty() || !role.asText().equals("assistant") || has(node, "token_count") || has(node, "reasoning"))) {
            throw ProblemException.badRequest(name + " opens a streamed answer (status streaming): its role is assistant, and content,"
                    + " reasoning and token_count come with its pieces and its completion, not here");
        }
        if (text.length() > maxContentBytes / 3 && text.getBytes(StandardCharsets.UTF_8).length > maxContentBytes) {
            throw ProblemException.tooLarge(name + ".content is larger than " + maxContentBytes + " bytes");
        }
        JsonNode tokens = node.get("token_count");
        Integer tokenCount = null;
        if (tokens != null && !tokens.isNull()) {
            if (!tokens.canConvertToInt() || !tokens.isIntegralNumber() || tokens.asInt() < 0) {
                throw ProblemException.badRequest(name + ".token_count must be a whole number from 0");
            }
            tokenCount = tokens.asInt();
        }
        String reasoning = null;
        JsonNode reasoningNode = node.get("reasoning");
        if (reasoningNode != null && !reasoningNode.isNull()) {
            if (!reasoningNode.isTextual()) {
                throw ProblemException.badRequest(name + ".reasoning must be a string");
            }
            reasoning = reasoningNode.asText();
            if (reasoning.length() > maxContentBytes / 3 && reasoning.getBytes(StandardCharsets.UTF_8).length > maxContentBytes) {
                throw ProblemException.tooLarge(name + ".reasoning is larger than " + maxContentBytes + " bytes");
            }
        }
        JsonNode usage = node.get("usage");
        Integer inputTokens = null;
        Integer outputTokens = null;
        if (usage != null && !usage.isNull()) {
            if (!usage.isObject()) {
                throw ProblemException.badRequest(name + ".usage must be an object with input_tokens and output_tokens");
            }
            inputTokens = count(usage.get("input_tokens"), name + ".usage.input_tokens");
            outputTokens = count(usage.get("output_tokens"), name + ".usage.output_tokens");
        }
        return new NewMessage(role.asText(), text, metadata(node.get("metadata"), name + ".metadata"),
                optionalText(node, "tool_name", MAX_LABEL, name), optionalText(node, "model", MAX_LABEL, name),
                optionalText(node, "provider", MAX_LABEL, name), inputTokens, outputTokens,
                fileIds(node.get("files"), name + ".files"), fileIds(node.get("images"), name + ".images"), reasoning, tokenCount, streaming);
    }

    /** Whether the message opens a streamed answer: {@code status} absent or "complete" (an ordinary message), or "streaming". */
    private static boolean streaming(JsonNode node, String name) {
        JsonNode status = node.get("status");
        if (status == null || status.isNull() || status.asText().equals("complete") && status.isTextual()) {
            return false;
        }
        if (status.isTextual() && status.asText().equals(Message.STREAMING)) {
            return true;
        }
        throw ProblemException.badRequest(name + ".status must be \"streaming\" (to open a streamed answer) or \"complete\"");
    }

    private static boolean has(JsonNode node, String field) {
        return node.hasNonNull(field);
    }

    private static Integer count(JsonNode node, String name) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 0) {
            throw ProblemException.badRequest(name + " must be a whole number from 0");
        }
        return node.asInt();
    }

    /** A list of file ids (UUIDs); whether they are the tenant's is checked against the file store later. */
    private static List<String> fileIds(JsonNode node, String name) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || node.size() > MAX_REFERENCES) {
            throw ProblemException.badRequest(name + " must be an array of at most " + MAX_REFERENCES + " file ids");
        }
        List<String> ids = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode id = node.get(i);
            try {
                ids.add(UUID.fromString(id.asText()).toString());
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest(name + "[" + i + "] is not a file id: " + id.toString());
            }
            if (!id.isTextual()) {
                throw ProblemException.badRequest(name + "[" + i + "] is not a file id: " + id.toString());
            }
        }
        return ids;
    }

    private static String optionalText(JsonNode body, String field, int maxLength, String name) {
        try {
            return optionalText(body, field, maxLength);
        } catch (ProblemException e) {
            throw ProblemException.badRequest(name + "." + field + " must be a string of 1 to " + maxLength + " characters");
        }
    }

    private static String metadata(JsonNode node, String name) {
        if (node == null || node.isNull()) {
            return "{}";
        }
        if (!node.isObject()) {
            throw ProblemException.badRequest(name + " must be a JSON object");
        }
        return ((ObjectNode) node).toString();
    }

    private Long ttl(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || node.asLong() < 1 || node.asLong() > maxTtlSeconds) {
            throw ProblemException.badRequest("ttl_seconds must be a whole number from 1 to " + maxTtlSeconds);
        }
        return node.asLong();
    }

    private static String optionalText(JsonNode body, String field, int maxLength) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.asText().isEmpty() || node.asText().length() > maxLength) {
            throw ProblemException.badRequest(field + " must be a string of 1 to " + maxLength + " characters");
        }
        return node.asText();
    }
}
