package dev.exai.store.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client of {@code GET /events} as a browser's EventSource reads it: the frames (id, event, data) and comment lines
 * of one stream, parsed as they arrive on a thread of its own.
 */
public final class EventStream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its id, its type and its data. */
    public record Event(long id, String type, JsonNode data) {
    }

    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final HttpResponse<java.io.InputStream> response;
    private final Thread reader;
    private volatile Exception failure;
    private volatile long lastId = -1;

    private EventStream(HttpResponse<java.io.InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "event-stream");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens a stream with the key; {@code query} is the query string (may be empty), {@code lastEventId} may be null. */
    public static HttpResponse<java.io.InputStream> request(String key, String query, String lastEventId) throws Exception {
        return request("http://localhost:" + RestAssured.port, key, query, lastEventId);
    }

    /** Opens a stream of the service at {@code baseUrl}. */
    public static HttpResponse<java.io.InputStream> request(String baseUrl, String key, String query, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/events" + query))
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    public static EventStream open(String key, String query, String lastEventId) throws Exception {
        return open("http://localhost:" + RestAssured.port, key, query, lastEventId);
    }

    public static EventStream open(String baseUrl, String key, String query, String lastEventId) throws Exception {
        HttpResponse<java.io.InputStream> response = request(baseUrl, key, query, lastEventId);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /events" + query + " answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        return new EventStream(response);
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            long id = -1;
            String type = null;
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith(":")) {
                    received.add(line);
                } else if (line.startsWith("id: ")) {
                    id = Long.parseLong(line.substring(4));
                    lastId = id;
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    received.add(new Event(id, type, JSON.readTree(line.substring(6))));
                }
            }
        } catch (Exception e) {
            failure = e; // the stream closed, or a frame was not JSON: next() reports it
        }
    }

    /** The next {@code n} events (comments skipped), failing if they do not all come within the time. */
    public List<Event> next(int n, Duration within) throws InterruptedException {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (events.size() < n) {
            Object item = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new AssertionError("got " + events.size() + " of " + n + " events: " + events
                        + (failure == null ? "" : "; the stream ended: " + failure));
            }
            if (item instanceof Event event) {
                events.add(event);
            }
        }
        return events;
    }

    /** Whether a comment line arrives within the time (events before it are dropped). */
    public boolean commentWithin(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Object item = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (item instanceof String comment && comment.startsWith(": keep-alive")) {
                return true;
            }
        }
        return false;
    }

    /** Events that arrived within the time, however many. */
    public List<Event> drain(Duration within) throws InterruptedException {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Object item = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (item instanceof Event event) {
                events.add(event);
            }
        }
        return events;
    }

    /** The last id the stream sent, with an event or alone (where the stream started); -1 before any. */
    public long lastId() {
        return lastId;
    }

    @Override
    public void close() throws Exception {
        response.body().close();
    }
}
