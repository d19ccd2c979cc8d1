package dev.exai.store.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.ContinuationIds;
import dev.exai.store.common.Problem;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import dev.exai.store.common.TextInput;
import dev.exai.store.security.Admission;
import dev.exai.store.security.Principal;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /events}: the tenant's change feed as Server-Sent Events. A stream starts after {@code Last-Event-ID} or
 * {@code ?after=} (else at the newest event), reads the outbox in feed order whenever {@link EventSignals} says new
 * events are complete, and sends a comment line when it has been idle for the heartbeat interval. It is a Vert.x
 * route so that it can see its connection's write queue: a reader that stops reading is never read for, and one that
 * stays behind longer than the limit is closed (it resumes by id). A tenant may hold a bounded number of streams per
 * replica (429 past it); streams close when the service stops.
 */
@ApplicationScoped
public class EventsRoute {

    /** Every type the feed carries. */
    static final Set<String> TYPES = Set.of("session.created", "session.updated", "session.deleted", "session.expired",
            "message.appended", "message.updated", "message.redacted", "file.created", "file.deleted", "file.expired",
            "file.provider_uploaded", "summary.created", "summary.stale", "message.chunk", "message.completed");
    private static final long BEHIND_LIMIT_MS = 30_000;

    private final Admission admission;
    private final EventFeed feed;
    private final EventSignals signals;
    private final ObjectMapper json;
    private final int maxStreams;
    private final long heartbeatMs;
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();

    public EventsRoute(Admission admission, EventFeed feed, EventSignals signals, ObjectMapper json, StoreConfig config) {
        this.admission = admission;
        this.feed = feed;
        this.signals = signals;
        this.json = json;
        this.maxStreams = config.events().maxStreamsPerTenant();
        this.heartbeatMs = config.events().heartbeat().toMillis();
    }

    void install(@Observes Router router, Vertx vertx) {
        router.get("/events").order(-10).handler(ctx -> accept(ctx, vertx));
    }

    void stopping(@Observes ShutdownDelayInitiatedEvent event) {
        streams.forEach(Stream::close);
    }

    void stopped(@Observes ShutdownEvent event) {
        streams.forEach(Stream::close);
    }

    private void accept(RoutingContext ctx, Vertx vertx) {
        Principal caller;
        EventFeed.Filter filter;
        Long after;
        try {
            caller = admission.admit(ctx, ctx.request().getHeader(HttpHeaders.AUTHORIZATION), false);
            TextInput.checkQuery(ctx.request().params());
            after = after(ctx.request().getHeader("Last-Event-ID"), ctx.request().getParam("after"));
            String cid = ctx.request().getParam("continuation_id");
            filter = new EventFeed.Filter(caller.tenant(), cid == null ? null : ContinuationIds.checked(cid), types(ctx.request().getParam("types")));
        } catch (ProblemException refused) {
            fail(ctx, refused);
            return;
        }
        AtomicInteger count = open.computeIfAbsent(caller.tenant(), t -> new AtomicInteger());
        if (count.incrementAndGet() > maxStreams) {
            count.decrementAndGet();
            fail(ctx, new ProblemException(429, "too-many-streams", "Too many requests", "the tenant has " + maxStreams
                    + " event streams open on this instance (EXAI_STORE_EVENTS_MAX_STREAMS_PER_TENANT); close one or retry later")
                    .withHeader("Retry-After", "5"));
            return;
        }
        Context context = vertx.getOrCreateContext();
        feed.start(after).subscribe().with(start -> context.runOnContext(v -> {
            if (after != null && after < start.purgedThrough()) {
                count.decrementAndGet();
                fail(ctx, new ProblemException(410, "events-gone", "Gone", "events up to id " + start.purgedThrough()
                        + " are past the retention (EXAI_STORE_EVENTS_RETENTION); the feed can be read after id " + start.purgedThrough()));
                return;
            }
            HttpServerResponse response = ctx.response().setChunked(true).setStatusCode(200)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").putHeader("X-Accel-Buffering", "no");
            // an id with no data moves an EventSource's last id without an event: a reconnect resumes from here
            response.write(": exai-store events\nid: " + start.id() + "\n\n");
            Stream stream = new Stream(vertx, context, response, filter, start.after(), count);
            streams.add(stream);
            response.closeHandler(closed -> stream.close());
            signals.onNewEvents(stream.waker);
            stream.wake();
        }), failure -> {
            count.decrementAndGet();
            fail(ctx, failure instanceof ProblemException p ? p : ProblemException.unavailable("PostgreSQL is unavailable; retry later"));
        });
    }

    /** One open stream: reads after its last place whenever woken, one page at a time, never while its client is behind. */
    private final class Stream {
        final Vertx vertx;
        final Context context;
        final HttpServerResponse response;
        final EventFeed.Filter filter;
        final AtomicInteger count;
        final Runnable waker;
        final long heartbeat;
        EventFeed.Place last;
        long lastWrite = System.currentTimeMillis();
        long behindSince;
        boolean reading;
        boolean pending;
        boolean closed;

        Stream(Vertx vertx, Context context, HttpServerResponse response, EventFeed.Filter filter, EventFeed.Place after, AtomicInteger count) {
            this.vertx = vertx;
            this.context = context;
            this.response = response;
            this.filter = filter;
            this.last = after;
            this.count = count;
            this.waker = () -> context.runOnContext(v -> wake());
            this.heartbeat = vertx.setPeriodic(heartbeatMs, id -> context.runOnContext(v -> beat()));
        }

        void wake() {
            if (closed) {
                return;
            }
            if (reading) {
                pending = true;
                return;
            }
            if (response.writeQueueFull()) {
                if (behindSince == 0) {
                    behindSince = System.currentTimeMillis();
                    response.drainHandler(v -> {
                        behindSince = 0;
                        wake();
                    });
                } else if (System.currentTimeMillis() - behindSince > BEHIND_LIMIT_MS) {
                    close(); // too far behind: it resumes by id
                }
                return;
            }
            reading = true;
            pending = false;
            feed.after(filter, last).subscribe().with(page -> context.runOnContext(v -> {
                reading = false;
                if (closed) {
                    return;
                }
                StringBuilder frames = new StringBuilder();
                for (EventFeed.FeedEvent event : page) {
                    frames.append("id: ").append(event.id()).append("\nevent: ").append(event.type()).append("\ndata: ")
                            .append(event.data()).append("\n\n");
                    last = event.place();
                }
                if (!page.isEmpty()) {
                    response.write(frames.toString());
                    lastWrite = System.currentTimeMillis();
                }
                if (page.size() == EventFeed.PAGE || pending) {
                    wake();
                }
            }), failure -> context.runOnContext(v -> {
                reading = false;
                vertx.setTimer(1000, id -> context.runOnContext(w -> wake())); // PostgreSQL away: try again shortly
            }));
        }

        void beat() {
            if (!closed && System.currentTimeMillis() - lastWrite >= heartbeatMs) {
                response.write(": keep-alive\n\n");
                lastWrite = System.currentTimeMillis();
                wake(); // also the safety net should a notification have been missed
            }
        }

        void close() {
            context.runOnContext(v -> {
                if (closed) {
                    return;
                }
                closed = true;
                vertx.cancelTimer(heartbeat);
                signals.removeListener(waker);
                streams.remove(this);
                count.decrementAndGet();
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            });
        }
    }

    /** The id to read after: Last-Event-ID, else ?after=, else none (start at the newest). */
    private static Long after(String lastEventId, String after) {
        String given = lastEventId != null ? lastEventId : after;
        if (given == null) {
            return null;
        }
        try {
            long id = Long.parseLong(given.trim());
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.badRequest((lastEventId != null ? "Last-Event-ID" : "after") + " must be an event id (a whole number, 0 or more)");
    }

    private static List<String> types(String types) {
        if (types == null) {
            return null;
        }
        List<String> list = Arrays.stream(types.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        for (String type : list) {
            if (!TYPES.contains(type)) {
                throw ProblemException.badRequest("unknown event type " + type + "; the types are " + TYPES.stream().sorted().toList());
            }
        }
        return list.isEmpty() ? null : list;
    }

    private void fail(RoutingContext ctx, ProblemException problem) {
        if (ctx.response().ended()) {
            return;
        }
        problem.headers().forEach(ctx.response()::putHeader);
        try {
            ctx.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(json.writeValueAsString(problem.toProblem()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
