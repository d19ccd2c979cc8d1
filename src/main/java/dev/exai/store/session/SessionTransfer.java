package dev.exai.store.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.TextInput;
import dev.exai.store.common.Times;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The export format, both ways. JSON lines: first {@code {"exai_store_export": 1, "session": {...}}}, then one message
 * per line exactly as the API shows it, then one line per live summary ({@code "kind": "summary"}). Markdown: a
 * transcript for people. An import takes the JSON lines back.
 */
@ApplicationScoped
public class SessionTransfer {

    static final String JSON_LINES = "application/x-ndjson";
    static final String MARKDOWN = "text/markdown";
    static final int FORMAT = 1;

    private final ObjectMapper json;
    private final SessionRequests requests;

    public SessionTransfer(ObjectMapper json, SessionRequests requests) {
        this.json = json;
        this.requests = requests;
    }

    /** The first JSON line (the streaming writer ends each line). */
    String header(Session session) {
        return "{\"exai_store_export\":" + FORMAT + ",\"session\":" + write(session) + "}";
    }

    String line(Message message) {
        return write(message);
    }

    String markdownHeader(Session session) {
        return "# " + (session.title() == null ? session.continuationId() : session.title()) + "\n\n"
                + "Session `" + session.continuationId() + "`, " + session.messageCount() + " messages, created " + session.createdAt()
                + (session.parentContinuationId() == null ? "" : ", continuing `" + session.parentContinuationId() + "` at "
                + session.parentSeq()) + ".\n\n";
    }

    String markdown(Message m) {
        StringBuilder out = new StringBuilder("## ").append(m.seq()).append(". ").append(m.role());
        List<String> about = new ArrayList<>();
        about.add(m.createdAt());
        if (m.toolName() != null) {
            about.add("tool " + m.toolName());
        }
        if (m.model() != null) {
            about.add("model " + m.model());
        }
        if (!m.files().isEmpty() || !m.images().isEmpty()) {
            about.add((m.files().size() + m.images().size()) + " attachments");
        }
        out.append(" (").append(String.join(", ", about)).append(")\n\n");
        if (m.redacted()) {
            return out.append("_redacted_\n\n").toString();
        }
        if (m.reasoning() != null) {
            out.append("> ").append(m.reasoning().replace("\n", "\n> ")).append("\n\n");
        }
        return out.append(m.content()).append("\n\n").toString();
    }

    /** A parsed import: the session to create, its messages in order, and its summary lines (checked when stored). */
    record Parsed(SessionInput session, List<ImportedMessage> messages, List<SummaryHook.ImportLine> summaries) {
    }

    /** One message line of an import, with what an append would not take: its time, count flag and redaction. */
    record ImportedMessage(NewMessage message, OffsetDateTime createdAt, boolean tokenCountEstimated, boolean redacted, String status,
                           String finishReason) {
    }

    /**
     * Parses and checks a JSON-lines export whole before anything is written; a bad line is a 400 naming it (1-based).
     * {@code cid} is the id the new session takes.
     */
    Parsed parse(String body, String cid) {
        String[] lines = body.split("\n", -1);
        int count = lines.length;
        while (count > 0 && lines[count - 1].isBlank()) {
            count--;
        }
        if (count == 0) {
            throw ProblemException.badRequest("line 1: the body is empty; an import starts with the export's session line");
        }
        JsonNode first = read(lines[0], 1);
        if (!first.path("exai_store_export").isInt() || first.path("exai_store_export").asInt() != FORMAT || !first.path("session").isObject()) {
            throw ProblemException.badRequest("line 1: an import starts with {\"exai_store_export\": " + FORMAT + ", \"session\": {...}}");
        }
        ObjectNode session = ((ObjectNode) first.get("session")).deepCopy();
        session.remove("continuation_id");
        SessionInput input;
        try {
            input = requests.sessionInput(session, cid);
        } catch (ProblemException e) {
            throw ProblemException.badRequest("line 1: " + e.getMessage());
        }
        List<ImportedMessage> messages = new ArrayList<>(count - 1);
        List<SummaryHook.ImportLine> summaries = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int lineNo = i + 1;
            JsonNode node = read(lines[i], lineNo);
            String name = "line " + lineNo;
            if (node.path("kind").asText("").equals("summary")) {
                summaries.add(new SummaryHook.ImportLine(lineNo, node));
                continue;
            }
            if (!summaries.isEmpty()) {
                throw ProblemException.badRequest(name + ": a message after the summaries; summary lines come last");
            }
            // an answer exported while it streamed can stream no more here: it comes in incomplete, with the text it had
            String status = node.path("status").asText("complete");
            String ending = status.equals(Message.STREAMING) || status.equals("incomplete") ? "incomplete" : "complete";
            String finishReason = node.path("finish_reason").isTextual() ? node.get("finish_reason").asText()
                    : status.equals(Message.STREAMING) ? StreamedAnswers.Completion.ABANDONED : null;
            ((ObjectNode) node).remove(List.of("status", "finish_reason", "chunks_received", "chunks_contiguous"));
            NewMessage message = requests.message(node, name);
            JsonNode seq = node.get("seq");
            long expected = messages.size() + 1;
            if (seq != null && !seq.isNull() && (!seq.canConvertToLong() || seq.asLong() != expected)) {
                throw ProblemException.badRequest(name + ": seq is " + seq + " where " + expected + " was expected; seqs run 1, 2, 3, ... without gaps");
            }
            JsonNode created = node.get("created_at");
            OffsetDateTime createdAt = created == null || created.isNull() ? null : Times.parse(name + ".created_at", created.asText());
            JsonNode redacted = node.get("redacted");
            messages.add(new ImportedMessage(message, createdAt, node.path("token_count_estimated").asBoolean(message.tokenCount() == null),
                    redacted != null && redacted.asBoolean(false), ending, finishReason));
        }
        if (input.maxMessages() != null && messages.size() > input.maxMessages()) {
            throw ProblemException.badRequest("line 1: max_messages is " + input.maxMessages() + " but the import has " + messages.size());
        }
        return new Parsed(input, messages, summaries);
    }

    private JsonNode read(String line, int lineNo) {
        try {
            JsonNode node = json.readTree(line);
            if (node == null || !node.isObject()) {
                throw ProblemException.badRequest("line " + lineNo + " is not a JSON object");
            }
            TextInput.check(node, "line " + lineNo);
            return node;
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("line " + lineNo + " is not JSON: " + e.getOriginalMessage());
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
