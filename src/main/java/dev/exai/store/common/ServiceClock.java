package dev.exai.store.common;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The time the performance jobs and queries go by: the system clock, plus an offset that only tests move, so
 * that days and months of retention can pass inside one test run.
 */
@ApplicationScoped
public class ServiceClock {

    private volatile Duration offset = Duration.ZERO;

    public Instant instant() {
        return Instant.now().plus(offset);
    }

    public OffsetDateTime now() {
        return instant().atOffset(ZoneOffset.UTC);
    }

    /** Moves the clock forward (or back); for tests. */
    public void shift(Duration by) {
        offset = offset.plus(by);
    }

    /** Back to the system clock; for tests. */
    public void reset() {
        offset = Duration.ZERO;
    }
}
