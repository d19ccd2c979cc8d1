package dev.exai.store.common;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.CompletableFuture;

/**
 * Counts the tokens of text that came without a count, once, when it is stored. Kimi's and GLM's tokenizers are
 * tiktoken-style BPEs that are not published as libraries; OpenAI's {@code o200k_base}, through jtokkit, is a fair
 * stand-in (docs/performance.md says how far it is from another real BPE). Its vocabulary takes most of a second to
 * load, so it loads on a worker thread at start: until it has, and for long text, callers count off the event loop
 * ({@link #needsWorker}), where a blocked second would make every Redis call of the instance time out.
 */
@ApplicationScoped
public class Tokens {

    /** Text longer than this is counted on a worker thread (about 4 ms of CPU here). */
    private static final int INLINE_LIMIT = 16_384;

    private final CompletableFuture<Encoding> encoding = new CompletableFuture<>();

    void load(@Observes StartupEvent started) {
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            try {
                encoding.complete(Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE));
            } catch (RuntimeException | Error e) {
                encoding.completeExceptionally(e);
            }
        });
    }

    /** Whether counting {@code chars} characters now could block: call {@link #count} on a worker thread then. */
    public boolean needsWorker(long chars) {
        return chars > 0 && (chars > INLINE_LIMIT || !encoding.isDone());
    }

    /** The token count of {@code text}; waits for the vocabulary if it is still loading. */
    public int count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.join().countTokensOrdinary(text);
    }

    /** {@link #count} on a worker thread when it could block, else right away. */
    public Uni<Integer> countSafely(String text) {
        Uni<Integer> counting = Uni.createFrom().item(() -> count(text));
        return needsWorker(text == null ? 0 : text.length()) ? counting.runSubscriptionOn(Infrastructure.getDefaultWorkerPool()) : counting;
    }
}
