package dev.exai.store.session;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.Tokens;
import dev.exai.store.events.EventOutbox;
import dev.exai.store.security.Principal;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Streamed answers' units of work (docs/API.md, "Streamed answers"): pieces stored once each as they arrive, and the
 * completion that writes the answer's text into its message and counts its tokens, each in one transaction; the
 * cache learns of a finished answer after its commit. An answer is opened by an ordinary append
 * ({@link MessageService#append}) of a message with {@code status: streaming}.
 */
@ApplicationScoped
public class StreamedAnswers {

    private final Database db;
    private final StreamRows rows;
    private final SessionRows sessionRows;
    private final SessionCache cache;
    private final SessionSummaryCache cachedSummaries;
    private final SummaryHook summaries;
    private final EventOutbox events;
    private final Tokens tokens;
    private final long idleSeconds;

    public StreamedAnswers(Database db, StreamRows rows, SessionRows sessionRows, SessionCache cache,
                           SessionSummaryCache cachedSummaries, SummaryHook summaries, EventOutbox events, Tokens tokens,
                           StoreConfig config) {
        this.idleSeconds = config.streams().idleSeconds();
        this.db = db;
        this.rows = rows;
        this.sessionRows = sessionRows;
        this.cache = cache;
        this.cachedSummaries = cachedSummaries;
        this.summaries = summaries;
        this.events = events;
        this.tokens = tokens;
    }

    /** One piece of an answer: its 0-based index, its text and its reasoning text (or null). */
    public record Piece(int index, String content, String reasoning) {
    }

    /** How far an answer got once the pieces of a request are committed: JSON the route writes. */
    @RegisterForReflection
    public record Progress(String continuationId, long seq, String status, int chunksReceived, int chunksContiguous, int stored) {
    }

    /** What a completion asks: the piece count, the client's token count and usage (or null), and why the answer ended. */
    public record Completion(int chunks, Integer tokenCount, Integer inputTokens, Integer outputTokens, String finishReason) {

        public static final String ABORTED = "aborted";
        public static final String ABANDONED = "abandoned";

        /** Whether the answer ends short: its text is its contiguous pieces, whatever {@code chunks} says. */
        boolean cutShort() {
            return ABORTED.equals(finishReason) || ABANDONED.equals(finishReason);
        }
    }

    /** Marks the appended messages that open streamed answers (in the append's transaction); answers them as marked. */
    Uni<MessageRows.Appended> opened(SqlConnection conn, MessageRows.Appended appended, List<NewMessage> messages) {
        if (appended == null || messages.stream().noneMatch(NewMessage::streaming)) {
            return Uni.createFrom().item(appended);
        }
        List<Long> seqs = new ArrayList<>();
        List<Message> marked = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = appended.messages().get(i);
            if (messages.get(i).streaming()) {
                seqs.add(m.seq());
                m = m.withStream(Message.STREAMING, null, 0, 0);
            }
            marked.add(m);
        }
        return rows.open(conn, appended.session().id(), seqs)
                .replaceWith(new MessageRows.Appended(appended.session(), marked, false));
    }

    /**
     * Stores the pieces not stored yet (a piece stored before with the same text is a retry and stores nothing; with
     * other text it is a 409 naming its index), in one transaction holding the answer's row lock, with one
     * {@code message.chunk} event for the pieces it stored. 404 for no such message, 409 once it is not streaming.
     */
    public Uni<Progress> append(Principal caller, String cid, long seq, List<Piece> pieces) {
        String tenant = caller.tenant();
        return db.inTransaction(conn -> rows.lockMessage(conn, tenant, cid, seq)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                .chain(open -> {
                    if (!open.streaming()) {
                        return Uni.createFrom().failure(notStreaming(cid, seq, open, "takes no more pieces"));
                    }
                    return rows.insert(conn, tenant, open.id(), pieces)
                            .call(stored -> stored == pieces.size() ? Uni.createFrom().voidItem()
                                    : rows.conflicting(conn, open.id(), pieces).invoke(conflicts -> {
                                        if (!conflicts.isEmpty()) {
                                            throw ProblemException.conflict("message " + seq + " of session " + cid
                                                    + " already holds other text at piece index " + joined(conflicts)
                                                    + "; a retried piece must repeat its text exactly");
                                        }
                                    }))
                            .chain(stored -> contiguous(conn, open, pieces)
                                    .chain(contiguous -> rows.advance(conn, open.id(), stored, contiguous))
                                    .call(now -> stored == 0 ? Uni.createFrom().voidItem()
                                            : events.record(conn, tenant, "message.chunk", cid, messageData(cid, seq)
                                                    .put("index", lowestStored(pieces)).put("count", stored)
                                                    .put("chunks_contiguous", now[1])))
                                    .map(now -> new Progress(cid, seq, Message.STREAMING, now[0], now[1], stored)));
                }));
    }

    /**
     * How many pieces run without a gap from index 0 once {@code pieces} are stored. Only a request holding the piece at
     * the old count can move it. When no piece waited past a gap, the run is read from the request alone; else the
     * waiting pieces are read too (once per gap filled). Nothing here scans what an answer already has, so storing an
     * answer costs the same per piece at its end as at its start.
     */
    private Uni<Integer> contiguous(SqlConnection conn, StreamRows.Open open, List<Piece> pieces) {
        int from = open.contiguous();
        if (pieces.stream().noneMatch(p -> p.index() == from)) {
            return Uni.createFrom().item(from);
        }
        boolean noneWaiting = open.received() == open.contiguous();
        Uni<List<Integer>> present = noneWaiting
                ? Uni.createFrom().item(pieces.stream().map(Piece::index).filter(i -> i >= from).sorted().toList())
                : rows.indexesFrom(conn, open.id(), from);
        return present.map(indexes -> {
            int next = from;
            for (int index : indexes) {
                if (index == next) {
                    next++;
                } else if (index > next) {
                    break;
                }
            }
            return next;
        });
    }

    /**
     * Ends a streaming answer: complete when pieces {@code 0..chunks-1} are all there (else 409 naming the missing
     * indexes), incomplete when cut short ({@code aborted} by the client, {@code abandoned} by the idle job), its text
     * then being its contiguous pieces. In one transaction: the text written once, its tokens counted into the running
     * sums of it and every later message and the session's totals, summaries that cover it made stale, a
     * {@code message.completed} event. A message already finished answers as it is (a retried completion). Answers the
     * message JSON.
     */
    public Uni<String> complete(Principal caller, String cid, long seq, Completion asked) {
        String tenant = caller.tenant();
        List<String> staledIn = new ArrayList<>();
        return db.inTransaction(conn -> rows.lockSession(conn, tenant, cid)
                        .chain(live -> live ? rows.lockMessage(conn, tenant, cid, seq) : Uni.createFrom().<StreamRows.Open>nullItem())
                        .onItem().ifNull().failWith(() -> ProblemException.notFound("message " + seq + " of session " + cid))
                        .chain(open -> {
                            if (!open.streamed()) {
                                return Uni.createFrom().failure(notStreaming(cid, seq, open, "cannot be completed"));
                            }
                            // a finished answer answers as it is; so does one the idle job found quiet that has just had a piece
                            boolean idleNoMore = Completion.ABANDONED.equals(asked.finishReason()) && open.quietSeconds() < idleSeconds;
                            return open.streaming() && !idleNoMore ? finish(conn, caller, cid, seq, open, asked, staledIn)
                                    : Uni.createFrom().<StreamRows.Finished>nullItem();
                        }))
                .chain(finished -> {
                    if (finished == null) {
                        return current(tenant, cid, seq);
                    }
                    Uni<Void> done = cache.finish(tenant, cid, finished).chain(() -> cachedSummaries.forget(tenant, cid));
                    for (String staled : staledIn) {
                        done = done.chain(() -> cachedSummaries.forget(tenant, staled));
                    }
                    return done.replaceWith(cache.toJson(finished.message()));
                });
    }

    private Uni<StreamRows.Finished> finish(SqlConnection conn, Principal caller, String cid, long seq, StreamRows.Open open,
                                            Completion asked, List<String> staledIn) {
        Uni<Integer> pieces;
        if (asked.cutShort()) {
            pieces = Uni.createFrom().item(open.contiguous());
        } else {
            pieces = rows.missing(conn, open, asked.chunks()).map(missing -> {
                if (!missing.isEmpty()) {
                    throw ProblemException.conflict("message " + seq + " of session " + cid + " is missing piece index "
                            + joined(missing) + (missing.size() == 20 ? " and maybe more" : "") + " of the " + asked.chunks()
                            + " its completion names");
                }
                if (open.received() > asked.chunks()) {
                    throw ProblemException.conflict("message " + seq + " of session " + cid + " holds " + open.received()
                            + " pieces, more than the " + asked.chunks() + " its completion names");
                }
                return asked.chunks();
            });
        }
        String status = asked.cutShort() ? "incomplete" : "complete";
        String reason = asked.finishReason() == null ? "stop" : asked.finishReason();
        return pieces.chain(count -> rows.text(conn, open.id(), count)
                .chain(text -> counted(text, asked).map(counts -> new StreamRows.Ending(text[0], text[1], counts[0], counts[1],
                        asked.tokenCount() == null, asked.inputTokens(), asked.outputTokens(), status, reason, count))))
                .chain(ending -> rows.finish(conn, caller.tenant(), open, seq, ending))
                .call(finished -> events.record(conn, caller.tenant(), "message.completed", cid, messageData(cid, seq)
                        .put("status", status).put("finish_reason", reason).put("token_count", finished.message().tokenCount())))
                .call(() -> sessionRows.covering(conn, caller.tenant(), cid, seq)
                        .chain(covering -> summaries.messageChanged(conn, caller, covering.sessionId(), seq, covering.continuations()))
                        .invoke(staledIn::addAll));
    }

    /** The token counts to store: the client's (or the tokenizer's) for the text, the tokenizer's for the reasoning. */
    private Uni<int[]> counted(String[] text, Completion asked) {
        long chars = (asked.tokenCount() == null ? text[0].length() : 0) + (text[1] == null ? 0 : text[1].length());
        Uni<int[]> counting = Uni.createFrom().item(() -> new int[] {
                asked.tokenCount() != null ? asked.tokenCount() : tokens.count(text[0]), tokens.count(text[1])});
        return tokens.needsWorker(chars) ? counting.runSubscriptionOn(Infrastructure.getDefaultWorkerPool()) : counting;
    }

    /** A message already finished, as it is now. */
    private Uni<String> current(String tenant, String cid, long seq) {
        return sessionRows.find(tenant, cid)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> rows.message(session.id(), seq))
                .map(cache::toJson);
    }

    /**
     * Ends, as incomplete ({@code abandoned}), at most {@code limit} answers that received nothing for
     * {@code exai-store.streams.idle-seconds}.
     * Answers how many it ended; an answer another replica ended first is skipped.
     */
    public Uni<Integer> endIdle(int limit) {
        return rows.idle(idleSeconds, limit).chain(idle -> {
            Uni<Integer> ended = Uni.createFrom().item(0);
            for (StreamRows.Idle answer : idle) {
                Principal job = new Principal(answer.tenant(), "idle-streams");
                ended = ended.chain(n -> complete(job, answer.continuationId(), answer.seq(),
                                new Completion(0, null, null, null, Completion.ABANDONED))
                        .map(json -> n + 1).onFailure(ProblemException.class).recoverWithItem(n));
            }
            return ended;
        });
    }

    private static ProblemException notStreaming(String cid, long seq, StreamRows.Open open, String what) {
        return ProblemException.conflict("message " + seq + " of session " + cid + (open.streamed() ? " is " + open.status()
                : " is not a streamed answer") + "; it " + what);
    }

    private static int lowestStored(List<Piece> pieces) {
        return pieces.stream().mapToInt(Piece::index).min().orElse(0);
    }

    private static String joined(List<Integer> indexes) {
        return indexes.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static ObjectNode messageData(String cid, long seq) {
        return JsonNodeFactory.instance.objectNode().put("continuation_id", cid).put("seq", seq);
    }
}
