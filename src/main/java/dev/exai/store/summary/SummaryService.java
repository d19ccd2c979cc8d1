package dev.exai.store.summary;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Cursors;
import dev.exai.store.common.Database;
import dev.exai.store.common.IdempotencyKey;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.Times;
import dev.exai.store.common.Tokens;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.provider.ModelProviders;
import dev.exai.store.security.AuditTrail;
import dev.exai.store.security.Principal;
import dev.exai.store.session.ContextReader;
import dev.exai.store.session.SessionService;
import dev.exai.store.session.StoredSession;
import dev.exai.store.session.SummaryHook;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Summaries' units of work: write one (idempotent; its text given, or written by Kimi or GLM from the history through
 * its message and any older summary it builds on), list, read and delete them; and, for the session room, make stale
 * in a redaction's transaction the ones that cover the redacted message, and offer the live ones to a context read.
 * Each write records its event in its own transaction.
 */
@ApplicationScoped
public class SummaryService implements SummaryHook {

    /** What a provider is asked when the request brings no instructions of its own. */
    static final String DEFAULT_INSTRUCTIONS = "Summarize the conversation above for a model that will continue it without"
            + " the original turns: keep the facts, decisions, open questions, names, numbers and anything the user asked"
            + " to remember. Answer with the summary only.";

    private final Database db;
    private final SummaryRows rows;
    private final SummaryRequests requests;
    private final SessionService sessions;
    private final ContextReader contexts;
    private final ModelProviders providers;
    private final Tokens tokens;
    private final EventOutbox events;
    private final ObjectMapper json;
    private final AuditTrail audit;

    public SummaryService(Database db, SummaryRows rows, SummaryRequests requests, SessionService sessions, ContextReader contexts,
                          ModelProviders providers, Tokens tokens, EventOutbox events, AuditTrail audit, ObjectMapper json) {
        this.audit = audit;
        this.db = db;
        this.requests = requests;
        this.rows = rows;
        this.sessions = sessions;
        this.contexts = contexts;
        this.providers = providers;
        this.tokens = tokens;
        this.events = events;
        this.json = json;
    }

    /** A stored summary, and whether it answers an earlier request with the same Idempotency-Key. */
    public record Written(SummaryView summary, boolean replayed) {
    }

    /**
     * Stores a summary of {@code cid}'s history through {@code summary.throughSeq()}, a stored seq of it (400
     * otherwise). With {@code generate}, a provider writes it first (a replayed key calls no provider; a provider's
     * failure is a 502 and stores nothing).
     */
    public Uni<Written> write(Principal caller, String cid, NewSummary summary, String key, byte[] hash) {
        return sessions.stored(caller, cid).chain(session -> {
            if (summary.throughSeq() > session.view().messageCount()) {
                throw ProblemException.badRequest("through_seq " + summary.throughSeq() + " is not a message of session " + cid
                        + " (it has " + session.view().messageCount() + ")");
            }
            if (summary.generate() == null) {
                return store(caller.tenant(), session, cid, summary, key, hash);
            }
            Uni<Written> earlier = key == null ? Uni.createFrom().nullItem()
                    : db.run(pool -> rows.findByKey(pool, session.id(), key)).map(first -> first == null ? null : replayed(first, key, hash));
            return earlier.chain(replay -> replay != null ? Uni.createFrom().item(replay) : generate(caller, session, cid, summary, key, hash));
        });
    }

    /** Asks the provider for the summary of the history through the message, then stores its answer with its usage. */
    private Uni<Written> generate(Principal caller, StoredSession session, String cid, NewSummary summary, String key, byte[] hash) {
        NewSummary.Generate asked = summary.generate();
        ModelProviders.Provider provider = providers.named(asked.provider());
        return contexts.readWithSummaries(caller, cid, summary.throughSeq(), asked.windowTokens(), true, false, false)
                .chain(context -> {
                    List<ModelProviders.ChatMessage> prompt = prompt(context, asked.instructions());
                    return providers.complete(provider, asked.model(), prompt, asked.maxTokens()).chain(answer -> {
                        ObjectNode metadata = summary.metadata() == null ? json.createObjectNode() : (ObjectNode) tree(summary.metadata());
                        ObjectNode generated = metadata.putObject("generated").put("provider", asked.provider())
                                .put("built_on", context.summary() == null ? null : context.summary().id())
                                .put("messages", context.messages().size());
                        generated.putObject("usage").put("input_tokens", answer.inputTokens()).put("output_tokens", answer.outputTokens());
                        NewSummary written = new NewSummary(summary.throughSeq(), answer.content(), answer.outputTokens(), asked.model(),
                                metadata.toString(), null);
                        return store(caller.tenant(), session, cid, written, key, hash);
                    });
                });
    }

    /** The chat a provider is sent: the instructions, the older summary this one builds on, the turns, the request. */
    private List<ModelProviders.ChatMessage> prompt(ContextReader.Context context, String instructions) {
        List<ModelProviders.ChatMessage> prompt = new ArrayList<>();
        prompt.add(new ModelProviders.ChatMessage("system", "You write summaries of conversations."));
        if (context.summary() != null) {
            prompt.add(new ModelProviders.ChatMessage("user", "Summary of the earlier part of the conversation:\n" + context.summary().content()));
        }
        for (String message : context.messages()) {
            JsonNode turn = tree(message);
            String content = turn.path("content").asText("");
            if (content.isEmpty()) {
                continue; // a redacted turn
            }
            String role = turn.path("role").asText();
            prompt.add(role.equals("tool") ? new ModelProviders.ChatMessage("user", "[tool output]\n" + content)
                    : new ModelProviders.ChatMessage(role, content));
        }
        prompt.add(new ModelProviders.ChatMessage("user", instructions == null ? DEFAULT_INSTRUCTIONS : instructions));
        return prompt;
    }

    /** Stores the summary (its tokens counted when it came without a count) and its event, in one transaction. */
    private Uni<Written> store(String tenant, StoredSession session, String cid, NewSummary summary, String key, byte[] hash) {
        boolean estimated = summary.tokenCount() == null;
        Uni<Integer> counted = estimated ? tokens.countSafely(summary.content()) : Uni.createFrom().item(summary.tokenCount());
        return counted.chain(count -> contexts.tokensThrough(session, summary.throughSeq(), false)
                .chain(tokensThrough -> contexts.tokensThrough(session, summary.throughSeq(), true)
                        .map(totalThrough -> new SummaryRows.Sums(tokensThrough, totalThrough)))
                .chain(sums -> db.inTransaction(conn -> rows.insert(conn, tenant, session.id(), cid, summary, count, estimated, sums, key, hash)
                .chain(stored -> stored != null
                        ? events.record(conn, tenant, "summary.created", cid, JsonNodeFactory.instance.objectNode()
                                .put("continuation_id", cid).put("summary_id", stored.view().id()).put("through_seq", summary.throughSeq()))
                                .replaceWith(new Written(stored.view(), false))
                        : rows.findByKey(conn, session.id(), key).map(first -> replayed(first, key, hash))))))
                .call(written -> written.replayed() ? Uni.createFrom().voidItem() : contexts.summariesChanged(tenant, cid));
    }

    private static Written replayed(SummaryRows.Stored first, String key, byte[] hash) {
        if (first == null || !Arrays.equals(first.requestHash(), hash)) {
            throw IdempotencyKey.reused(key);
        }
        return new Written(first.view(), true);
    }

    private JsonNode tree(String text) {
        try {
            return json.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    /**
     * The session's summaries and those of the sessions it continues through the link (its history holds what they
     * stand for), newest first, stale ones included (without content).
     */
    public Uni<Page<SummaryView>> list(Principal caller, String cid, int limit, String cursor) {
        List<String> after = cursor == null ? null : Cursors.decode(cursor, 2);
        return sessions.chain(caller, cid).chain(chain -> db.run(pool -> rows.page(pool, chain,
                        after == null ? null : Times.parse("cursor", after.get(0)), after == null ? null : uuid(after.get(1)), limit + 1)))
                .map(page -> {
                    List<SummaryView> items = page.stream().limit(limit).map(SummaryRows.Stored::view).toList();
                    SummaryRows.Stored last = page.size() > limit ? page.get(limit - 1) : null; // full precision, not the wire's ms
                    return new Page<>(items, last == null ? null : Cursors.encode(last.createdAt().toString(), last.view().id()));
                });
    }

    /** One summary of the session, or of a session it continues that its history covers. */
    public Uni<SummaryView> get(Principal caller, String cid, String id) {
        UUID summaryId = summaryId(id);
        return sessions.chain(caller, cid).chain(chain -> db.run(pool -> rows.find(pool, chain, summaryId)))
                .onItem().ifNull().failWith(() -> ProblemException.notFound("summary " + id + " of session " + cid))
                .map(SummaryRows.Stored::view);
    }

    /** Deletes one of the session's own summaries; a parent's, which it only sees, is deleted through the parent (409). */
    public Uni<Void> delete(Principal caller, String cid, String id) {
        return get(caller, cid, id).chain(summary -> {
            if (!summary.continuationId().equals(cid)) {
                throw ProblemException.conflict("summary " + id + " belongs to session " + summary.continuationId()
                        + ", which " + cid + " continues: delete it there");
            }
            return sessions.stored(caller, cid).chain(session -> db.run(pool -> rows.delete(pool, session.id(), UUID.fromString(id))))
                    .call(deleted -> deleted ? contexts.summariesChanged(caller.tenant(), cid) : Uni.createFrom().voidItem());
        }).map(deleted -> {
            if (!deleted) {
                throw ProblemException.notFound("summary " + id + " of session " + cid);
            }
            return null;
        });
    }

    @Override
    public Uni<List<String>> messageChanged(SqlClient sql, Principal caller, UUID sessionId, long seq, List<UUID> continuations) {
        String tenant = caller.tenant();
        return rows.makeStale(sql, sessionId, seq, continuations).chain(staled -> {
            Uni<Void> recorded = Uni.createFrom().voidItem();
            for (SummaryRows.Staled s : staled) {
                ObjectNode data = JsonNodeFactory.instance.objectNode().put("continuation_id", s.continuationId()).put("summary_id", s.id());
                recorded = recorded.chain(() -> events.record(sql, tenant, "summary.stale", s.continuationId(), data))
                        .chain(() -> audit.record(sql, caller, "summary.stale", "summary " + s.id() + " of session " + s.continuationId(), null));
            }
            return recorded.replaceWith(staled.stream().map(SummaryRows.Staled::continuationId).distinct().toList());
        });
    }

    @Override
    public Uni<List<Live>> live(String tenant, String cid) {
        return db.run(pool -> rows.live(pool, tenant, cid));
    }

    @Override
    public Uni<Candidate> best(String tenant, List<Level> levels, boolean withReasoning) {
        return db.run(pool -> rows.best(pool, tenant, levels, withReasoning));
    }

    @Override
    public Uni<List<String>> exportLines(UUID sessionId) {
        return db.run(pool -> rows.liveOldestFirst(pool, sessionId)).map(live -> live.stream().map(summary -> {
            ObjectNode line = json.createObjectNode().put("kind", "summary").put("through_seq", summary.throughSeq())
                    .put("content", summary.content()).put("token_count", summary.tokenCount())
                    .put("token_count_estimated", summary.tokenCountEstimated()).put("model", summary.model());
            line.set("metadata", summary.metadata() == null ? null : tree(summary.metadata()));
            return line.put("created_at", summary.createdAt()).toString();
        }).toList());
    }

    @Override
    public Uni<Void> restore(SqlClient sql, String tenant, UUID sessionId, String cid, List<ImportLine> lines, long[] tokensThrough,
                             long[] totalThrough) {
        Uni<Void> stored = Uni.createFrom().voidItem();
        for (ImportLine line : lines) {
            ImportedSummary summary = requests.imported(line, tokensThrough.length - 1);
            SummaryRows.Sums sums = new SummaryRows.Sums(tokensThrough[(int) summary.summary().throughSeq()],
                    totalThrough[(int) summary.summary().throughSeq()]);
            stored = stored.chain(() -> rows.insertImported(sql, tenant, sessionId, cid, summary, sums)
                    .chain(id -> events.record(sql, tenant, "summary.created", cid, JsonNodeFactory.instance.objectNode()
                            .put("continuation_id", cid).put("summary_id", id).put("through_seq", summary.summary().throughSeq()))));
        }
        return stored;
    }

    private static UUID summaryId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("summary " + id);
        }
    }

    private static UUID uuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("cursor is not one this service returned");
        }
    }
}
