package dev.exai.store.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TextInput;
import dev.exai.store.session.StreamedAnswers.Completion;
import dev.exai.store.session.StreamedAnswers.Piece;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads and checks the bodies of the pieces and completion routes; every fault is a 400 (413 past the size limit) naming the field. */
@ApplicationScoped
class StreamRequests {

    static final int MAX_PIECES = 1000;
    static final int MAX_INDEX = 9_999_999;
    private static final Set<String> PIECE_FIELDS = Set.of("index", "content", "reasoning");
    private static final Set<String> COMPLETION_FIELDS = Set.of("chunks", "token_count", "usage", "finish_reason");

    private final int maxContentBytes;

    StreamRequests(StoreConfig config) {
        this.maxContentBytes = config.messages().maxContentBytes();
    }

    /** One piece or an array of 1..1000; a piece repeated in the body must repeat its text, and is kept once. */
    List<Piece> pieces(JsonNode body) {
        if (body == null || !(body.isObject() || body.isArray())) {
            throw ProblemException.badRequest("the body is a piece {\"index\": 0, \"content\": \"...\"} or an array of 1 to "
                    + MAX_PIECES + " of them");
        }
        TextInput.check(body, "");
        if (body.isObject()) {
            return List.of(piece(body, "piece"));
        }
        if (body.isEmpty() || body.size() > MAX_PIECES) {
            throw ProblemException.badRequest("an array of pieces holds 1 to " + MAX_PIECES + ", not " + body.size());
        }
        List<Piece> pieces = new ArrayList<>(body.size());
        Map<Integer, Piece> byIndex = new HashMap<>();
        long bytes = 0;
        for (int i = 0; i < body.size(); i++) {
            Piece piece = piece(body.get(i), "pieces[" + i + "]");
            bytes += piece.content().length() + (piece.reasoning() == null ? 0 : piece.reasoning().length());
            Piece earlier = byIndex.putIfAbsent(piece.index(), piece);
            if (earlier == null) {
                pieces.add(piece);
            } else if (!earlier.equals(piece)) {
                throw ProblemException.badRequest("pieces[" + i + "] repeats index " + piece.index() + " with other text");
            }
        }
        if (bytes > maxContentBytes / 3 && utf8(pieces) > maxContentBytes) {
            throw ProblemException.tooLarge("the pieces hold more than " + maxContentBytes + " bytes");
        }
        return pieces;
    }

    private Piece piece(JsonNode node, String name) {
        if (!node.isObject()) {
            throw ProblemException.badRequest(name + " must be an object with index and content");
        }
        unknown(node, PIECE_FIELDS, name);
        JsonNode index = node.get("index");
        if (index == null || !index.isIntegralNumber() || !index.canConvertToInt() || index.asInt() < 0 || index.asInt() > MAX_INDEX) {
            throw ProblemException.badRequest(name + ".index is required: a whole number from 0 to " + MAX_INDEX);
        }
        JsonNode content = node.get("content");
        if (content == null || !content.isTextual()) {
            throw ProblemException.badRequest(name + ".content is required and must be a string");
        }
        JsonNode reasoning = node.get("reasoning");
        if (reasoning != null && !reasoning.isNull() && !reasoning.isTextual()) {
            throw ProblemException.badRequest(name + ".reasoning must be a string");
        }
        Piece piece = new Piece(index.asInt(), content.asText(), reasoning == null || reasoning.isNull() ? null : reasoning.asText());
        if (utf8(List.of(piece)) > maxContentBytes) {
            throw ProblemException.tooLarge(name + " is larger than " + maxContentBytes + " bytes");
        }
        return piece;
    }

    /** A completion: {@code chunks} is required unless {@code finish_reason} is aborted; abandoned is the idle job's alone. */
    Completion completion(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ProblemException.badRequest("the body is {\"chunks\": n} (with token_count, usage and finish_reason optional)");
        }
        TextInput.check(body, "");
        unknown(body, COMPLETION_FIELDS, "the completion");
        String reason = null;
        JsonNode finish = body.get("finish_reason");
        if (finish != null && !finish.isNull()) {
            if (!finish.isTextual() || finish.asText().isEmpty() || finish.asText().length() > 64) {
                throw ProblemException.badRequest("finish_reason must be a string of 1 to 64 characters");
            }
            reason = finish.asText();
            if (reason.equals(Completion.ABANDONED)) {
                throw ProblemException.badRequest("finish_reason abandoned is the idle job's; a client ends an answer short with aborted");
            }
        }
        Integer chunks = whole(body.get("chunks"), "chunks");
        if (chunks == null && !Completion.ABORTED.equals(reason)) {
            throw ProblemException.badRequest("chunks is required: how many pieces the answer has (indexes 0 to chunks - 1)");
        }
        Integer inputTokens = null;
        Integer outputTokens = null;
        JsonNode usage = body.get("usage");
        if (usage != null && !usage.isNull()) {
            if (!usage.isObject()) {
                throw ProblemException.badRequest("usage must be an object with input_tokens and output_tokens");
            }
            inputTokens = whole(usage.get("input_tokens"), "usage.input_tokens");
            outputTokens = whole(usage.get("output_tokens"), "usage.output_tokens");
        }
        return new Completion(chunks == null ? 0 : chunks, whole(body.get("token_count"), "token_count"), inputTokens, outputTokens, reason);
    }

    private static Integer whole(JsonNode node, String name) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 0) {
            throw ProblemException.badRequest(name + " must be a whole number from 0");
        }
        return node.asInt();
    }

    private static void unknown(JsonNode node, Set<String> fields, String name) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!fields.contains(field)) {
                throw ProblemException.badRequest("unknown field " + field + " in " + name + "; it has " + fields.stream().sorted().toList());
            }
        }
    }

    private static long utf8(List<Piece> pieces) {
        long bytes = 0;
        for (Piece p : pieces) {
            bytes += p.content().getBytes(StandardCharsets.UTF_8).length + (p.reasoning() == null ? 0 : p.reasoning().getBytes(StandardCharsets.UTF_8).length);
        }
        return bytes;
    }
}
