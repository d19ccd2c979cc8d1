package dev.exai.store.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.file.FileService;
import dev.exai.store.file.ReferencedFile;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Answers "what should the next model call see?": the newest messages of a session, and of the sessions it
 * continues, whose token counts fit a budget, oldest first, with the files and images they refer to.
 *
 * <p>Each message keeps the running sum of its session's token counts through it, so where a budget starts is one
 * probe per session of the chain: a {@code ZRANGEBYSCORE} on the cache's running-sum set, or one index probe in
 * PostgreSQL ({@code tokens_through}); then only the messages returned are read. The cost grows with what is
 * returned and with the depth of the chain (at most 20), never with the length of a history. Reasoning is left out
 * and not counted unless asked for; that variant is read from PostgreSQL, whose {@code total_through} sums it too.
 */
@ApplicationScoped
public class ContextReader {

    /** Starts the JSON of a streaming answer in a slice read from PostgreSQL, which the answer leaves out unless asked. */
    private static final char STREAMING_MARK = '\u0000';

    private final SessionRows sessionRows;
    private final MessageRows messageRows;
    private final SessionCache cache;
    private final SessionSummaryCache cachedSummaries;
    private final FileService files;
    private final SummaryHook summaries;
    private final ObjectMapper json;

    public ContextReader(SessionRows sessionRows, MessageRows messageRows, SessionCache cache, SessionSummaryCache cachedSummaries,
                         FileService files, SummaryHook summaries, ObjectMapper json) {
        this.cachedSummaries = cachedSummaries;
        this.sessionRows = sessionRows;
        this.summaries = summaries;
        this.messageRows = messageRows;
        this.cache = cache;
        this.files = files;
        this.json = json;
    }

    /**
     * What a context read answers; {@code messages} is message JSON, each with its {@code continuation_id};
     * {@code summary} is the summary that stands in for the older turns, or null.
     */
    public record Context(List<String> messages, List<ReferencedFile> files, List<ReferencedFile> images, long tokens,
                          long omittedMessages, Long firstIncludedSeq, String firstIncludedContinuationId,
                          boolean newestExceedsBudget, boolean cacheHit, SummaryHook.Candidate summary) {
    }

    /** One session's part of the answer; {@code through} is the session's running token sum through {@code upto}. */
    private record Slice(String cid, List<String> messages, long tokens, long first, long upto, long through, String parentCid,
                         Integer parentSeq, boolean cacheHit) {
    }

    /**
     * The context read; {@code includeStreaming}: answers still streaming are shown with their text so far (they count
     * no tokens until they finish), else left out.
     */
    public Uni<Context> read(Principal caller, String cid, long budget, boolean chain, boolean withReasoning, boolean includeStreaming) {
        String tenant = caller.tenant();
        List<Slice> slices = new ArrayList<>();
        return slice(tenant, cid, 0, budget, true, chain, withReasoning, slices)
                .chain(() -> answer(tenant, slices, budget, chain, withReasoning, includeStreaming, null));
    }

    /** Reads one session's slice through seq {@code upto} (0: its last), then its parent's while the budget lasts. */
    private Uni<Void> slice(String tenant, String cid, long upto, long budget, boolean newest, boolean chain,
                            boolean withReasoning, List<Slice> slices) {
        Uni<Slice> read = withReasoning
                ? fromDatabase(tenant, cid, upto, budget, newest, true)
                : cache.context(tenant, cid, budget, upto, newest).chain(cached -> cached == null
                        ? fromDatabase(tenant, cid, upto, budget, newest, false)
                        : Uni.createFrom().item(fromCache(cid, cached, newest)));
        return read.chain(slice -> walkOn(tenant, slice, budget, chain, withReasoning, slices));
    }

    /** Keeps a slice read, then reads its parent's while the whole session fit and budget is left. */
    private Uni<Void> walkOn(String tenant, Slice slice, long budget, boolean chain, boolean withReasoning, List<Slice> slices) {
        slices.add(slice);
        boolean wholeSessionFits = slice.first() <= 1;
        long left = budget - slice.tokens();
        if (chain && wholeSessionFits && slice.parentCid() != null && slice.parentSeq() > 0 && left > 0) {
            return slice(tenant, slice.parentCid(), slice.parentSeq(), left, false, true, withReasoning, slices);
        }
        return Uni.createFrom().voidItem();
    }

    private Slice fromCache(String cid, SessionCache.CachedContext cached, boolean newest) {
        JsonNode session = tree(cached.sessionJson());
        if (newest && cached.expiresAtMillis() != null && cached.expiresAtMillis() <= System.currentTimeMillis()) {
            throw ProblemException.notFound("session " + cid);
        }
        JsonNode parent = session.get("parent_continuation_id");
        JsonNode parentSeq = session.get("parent_seq");
        return new Slice(cid, cached.messages(), cached.tokensThrough() - cached.tokensBefore(), cached.first(), cached.upto(),
                cached.tokensThrough(), parent == null || parent.isNull() ? null : parent.asText(),
                parentSeq == null || parentSeq.isNull() ? null : parentSeq.asInt(), true);
    }

    private Uni<Slice> fromDatabase(String tenant, String cid, long upto, long budget, boolean newest, boolean withReasoning) {
        Uni<StoredSession> found = newest ? sessionRows.find(tenant, cid) : sessionRows.findIncludingExpired(tenant, cid);
        return found.onItem().ifNull().failWith(() -> ProblemException.notFound("session " + cid))
                .chain(session -> {
                    int count = session.view().messageCount();
                    long last = upto == 0 || upto > count ? count : upto;
                    Uni<Long> through = last == count
                            ? Uni.createFrom().item(session.tokensTotal() + (withReasoning ? session.reasoningTotal() : 0))
                            : messageRows.tokensThrough(session.id(), last, withReasoning);
                    return through.chain(total -> (total <= budget
                                    ? Uni.createFrom().item(1L)
                                    : messageRows.firstSeqReaching(session.id(), total - budget, withReasoning).map(j -> j + 1))
                            .chain(first -> {
                                long k = first > last && newest ? last : first;
                                Uni<List<Message>> messages = k <= last && last > 0
                                        ? messageRows.range(session.id(), k, last) : Uni.createFrom().item(List.of());
                                return messages.map(list -> new Slice(cid, list.stream().map(this::marked).toList(),
                                        list.stream().mapToLong(m -> m.tokenCount() + (withReasoning ? m.reasoningTokenCount() : 0)).sum(),
                                        Math.max(k, 1), last, total, session.view().parentContinuationId(), session.view().parentSeq(), false));
                            }));
                });
    }

    /** A message's JSON, marked when it is an answer still streaming (only PostgreSQL has those: the cache never holds them). */
    private String marked(Message m) {
        String text = cache.toJson(m);
        return m.streaming() ? STREAMING_MARK + text : text;
    }

    /** The answer from the slices read, newest session first; with a summary, it stands before the oldest slice. */
    private Uni<Context> answer(String tenant, List<Slice> slices, long budget, boolean chain, boolean withReasoning,
                                boolean includeStreaming, SummaryHook.Candidate summary) {
        List<String> messages = new ArrayList<>();
        long tokens = summary == null ? 0 : summary.tokenCount();
        Long firstSeq = null;
        String firstCid = null;
        for (int i = slices.size() - 1; i >= 0; i--) {
            Slice slice = slices.get(i);
            tokens += slice.tokens();
            long seq = slice.first();
            for (String m : slice.messages()) {
                boolean streaming = m.charAt(0) == STREAMING_MARK;
                if (!streaming || includeStreaming) {
                    messages.add(shown(streaming ? m.substring(1) : m, slice.cid(), withReasoning));
                    if (firstSeq == null) {
                        firstSeq = seq;
                        firstCid = slice.cid();
                    }
                }
                seq++;
            }
        }
        Slice newest = slices.get(0);
        boolean exceeds = newest.tokens() > budget;
        // everything in the chain (the session's own messages, and each ancestor's up to the link) less what was kept
        Uni<Long> chainMessages = chain && newest.parentCid() != null
                ? sessionRows.chainLength(tenant, newest.cid()) : Uni.createFrom().item(0L);
        boolean allHit = slices.stream().allMatch(Slice::cacheHit);
        long total = tokens;
        Long seq = firstSeq;
        String cid = firstCid;
        return chainMessages.chain(ancestors -> references(tenant, messages).map(refs -> new Context(messages,
                refs.get("files"), refs.get("images"), total, newest.upto() + ancestors - messages.size(), seq, cid, exceeds, allHit, summary)));
    }

    /**
     * The context read with summaries allowed: the plain answer when the whole history fits; else the live summary that
     * stands in for the most of it (the newest session of the chain that has one whose tokens plus those of every message
     * after it fit the budget; of its summaries, the one with the highest {@code through_seq}: one query), followed by
     * those messages; the plain answer when no summary fits. A continuation's history includes its parent's up to the
     * link, so the parent's summaries through the link serve it too. With the session in Redis, one call there answers
     * it whole when the session's own messages do not fit (its live summaries are cached beside its messages, filled
     * from PostgreSQL on the first read after a change); PostgreSQL is asked only to walk a chain or fill the cache.
     */
    public Uni<Context> readWithSummaries(Principal caller, String cid, long budget, boolean chain, boolean withReasoning,
                                         boolean includeStreaming) {
        return readWithSummaries(caller, cid, 0, budget, chain, withReasoning, includeStreaming);
    }

    /**
     * The same as of message {@code upto} (0: the newest), with the session's own summaries only of earlier messages:
     * what a summary written by a model is built from.
     */
    public Uni<Context> readWithSummaries(Principal caller, String cid, long upto, long budget, boolean chain, boolean withReasoning,
                                         boolean includeStreaming) {
        String tenant = caller.tenant();
        if (withReasoning) {
            return sliceThenSummary(tenant, cid, upto, budget, chain, true, includeStreaming, null);
        }
        long highest = upto == 0 ? 0 : upto - 1;
        return cachedSummaries.context(tenant, cid, budget, upto, highest).chain(cached -> {
            if (cached == null) {
                return sliceThenSummary(tenant, cid, upto, budget, chain, false, includeStreaming, null);
            }
            Slice slice = fromCache(cid, cached.slice(), true);
            return switch (cached.state()) {
                // the session's own messages fit: a parent's summary may serve, once the chain is walked
                case "fits" -> sliceThenSummary(tenant, cid, upto, budget, chain, false, includeStreaming, slice);
                // the slice holds exactly the messages after the summary
                case "summary" -> answer(tenant, List.of(slice), budget, chain, false, includeStreaming, cached.summary());
                case "none" -> answer(tenant, List.of(slice), budget, chain, false, includeStreaming, null);
                // summaries not cached: PostgreSQL answers, and fills the cache
                default -> summaries.best(tenant, List.of(new SummaryHook.Level(cid, highest == 0 ? slice.upto() : highest,
                                slice.through(), budget)), false)
                        .call(() -> summaries.live(tenant, cid).chain(live -> cachedSummaries.fill(tenant, cid, cached.version(), live)))
                        .chain(best -> best == null ? answer(tenant, List.of(slice), budget, chain, false, includeStreaming, null)
                                : withSummary(tenant, List.of(slice), 0, upto, best, budget, chain, false, includeStreaming));
            };
        });
    }

    /**
     * The plain chain walk first ({@code leaf}: the session's own slice, read already), whose slices give each
     * session's token total; when the history does not fit whole, the summary that fits, looked for in the sessions the
     * walk reached (an older one needs every newer one whole).
     */
    private Uni<Context> sliceThenSummary(String tenant, String cid, long upto, long budget, boolean chain, boolean withReasoning,
                                          boolean includeStreaming, Slice leaf) {
        List<Slice> slices = new ArrayList<>();
        Uni<Void> walked = leaf == null ? slice(tenant, cid, upto, budget, true, chain, withReasoning, slices)
                : walkOn(tenant, leaf, budget, chain, withReasoning, slices);
        return walked.chain(() -> {
            Slice oldest = slices.get(slices.size() - 1);
            boolean parentLeft = chain && oldest.parentCid() != null && oldest.parentSeq() != null && oldest.parentSeq() > 0;
            if (oldest.first() <= 1 && !parentLeft) {
                return answer(tenant, slices, budget, chain, withReasoning, includeStreaming, null); // the whole history fits
            }
            List<SummaryHook.Level> levels = new ArrayList<>(slices.size());
            long left = budget;
            for (int i = 0; i < slices.size() && left > 0; i++) {
                Slice slice = slices.get(i);
                long maxThrough = i == 0 && upto > 0 ? upto - 1 : slice.upto();
                levels.add(new SummaryHook.Level(slice.cid(), maxThrough, slice.through(), left));
                left -= slice.tokens();
            }
            return summaries.best(tenant, levels, withReasoning).chain(best -> {
                if (best == null) {
                    return answer(tenant, slices, budget, chain, withReasoning, includeStreaming, null);
                }
                int level = 0;
                while (!slices.get(level).cid().equals(best.continuationId())) {
                    level++;
                }
                return withSummary(tenant, slices, level, upto, best, budget, chain, withReasoning, includeStreaming);
            });
        });
    }

    /** Drops the session's cached summaries once a change to them (written, deleted) has committed. Never fails. */
    public Uni<Void> summariesChanged(String tenant, String cid) {
        return cachedSummaries.forget(tenant, cid);
    }

    /** The running token sum of the session through message {@code seq}: what a summary through it stands in for. */
    public Uni<Long> tokensThrough(StoredSession session, long seq, boolean withReasoning) {
        return messageRows.tokensThrough(session.id(), seq, withReasoning);
    }

    /**
     * The answer with the summary of the session at {@code level} of the slices read (newest first): the sessions newer
     * than it whole, as read, and exactly its messages after the summary's {@code through_seq}, taken from its slice when
     * that holds them all, else read as a slice of just their tokens.
     */
    private Uni<Context> withSummary(String tenant, List<Slice> read, int level, long upto, SummaryHook.Candidate summary,
                                     long budget, boolean chain, boolean withReasoning, boolean includeStreaming) {
        long through = summary.throughSeq();
        Uni<Slice> at;
        if (level < read.size() && through + 1 >= read.get(level).first()) {
            at = Uni.createFrom().item(read.get(level));
        } else {
            Slice known = level < read.size() ? read.get(level) : null;
            List<Slice> again = new ArrayList<>();
            long last = known == null ? upto : known.upto();
            at = slice(tenant, summary.continuationId(), last, summary.tokensAfter(), level == 0, false, withReasoning, again)
                    .map(v -> again.get(0));
        }
        return at.chain(slice -> {
            int skip = (int) Math.min(slice.messages().size(), Math.max(0, through + 1 - slice.first()));
            Slice after = new Slice(slice.cid(), slice.messages().subList(skip, slice.messages().size()), summary.tokensAfter(),
                    through + 1, slice.upto(), slice.through(), slice.parentCid(), slice.parentSeq(), slice.cacheHit());
            List<Slice> kept = new ArrayList<>(read.subList(0, Math.min(level, read.size())));
            kept.add(after);
            return answer(tenant, kept, budget, chain, withReasoning, includeStreaming, summary);
        });
    }

    /** The files and images the messages refer to, each once, newest reference first. */
    private Uni<Map<String, List<ReferencedFile>>> references(String tenant, List<String> messages) {
        LinkedHashSet<String> fileIds = new LinkedHashSet<>();
        LinkedHashSet<String> imageIds = new LinkedHashSet<>();
        for (int i = messages.size() - 1; i >= 0; i--) {
            String m = messages.get(i);
            if (m.contains("\"files\":[\"") || m.contains("\"images\":[\"")) {
                JsonNode node = tree(m);
                node.get("files").forEach(id -> fileIds.add(id.asText()));
                node.get("images").forEach(id -> imageIds.add(id.asText()));
            }
        }
        List<String> all = new ArrayList<>(fileIds);
        all.addAll(imageIds);
        return files.referenced(tenant, all).map(found -> {
            Map<String, ReferencedFile> byId = found.stream().collect(Collectors.toMap(ReferencedFile::id, Function.identity(), (a, b) -> a));
            return Map.of("files", fileIds.stream().map(byId::get).filter(f -> f != null).toList(),
                    "images", imageIds.stream().map(byId::get).filter(f -> f != null).toList());
        });
    }

    /** A message as the context shows it: with its session's id, and without its reasoning unless asked for. */
    private String shown(String message, String cid, boolean withReasoning) {
        if (!withReasoning && !message.contains("\"reasoning\":null")) {
            ObjectNode node = (ObjectNode) tree(message);
            node.putNull("reasoning");
            message = node.toString();
        }
        return MessageService.withSession(message, cid);
    }

    private JsonNode tree(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }
}
