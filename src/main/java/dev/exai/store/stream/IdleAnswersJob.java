package dev.exai.store.stream;

import dev.exai.store.session.StreamedAnswers;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Ends streamed answers that received nothing for {@code EXAI_STORE_STREAMS_IDLE_SECONDS} (a client that died or
 * lost its provider mid-answer) as {@code incomplete}, {@code finish_reason: abandoned}, with what they had. Every
 * replica runs it; an answer is ended once, under its row lock.
 */
@ApplicationScoped
public class IdleAnswersJob {

    private static final Logger LOG = Logger.getLogger(IdleAnswersJob.class);
    private static final int BATCH = 100;

    private final StreamedAnswers answers;

    public IdleAnswersJob(StreamedAnswers answers) {
        this.answers = answers;
    }

    /** One pass: run by the scheduler, and by tests that need it now. */
    @Scheduled(every = "${exai-store.streams.idle-check-every:15s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> endIdle() {
        return answers.endIdle(BATCH)
                .invoke(ended -> {
                    if (ended > 0) {
                        LOG.infof("ended %d idle streamed answers as incomplete", ended);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("ending idle streamed answers failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
