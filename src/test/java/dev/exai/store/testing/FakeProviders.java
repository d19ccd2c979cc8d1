package dev.exai.store.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kimi and GLM file APIs as the service sees them, on a loopback port: {@code POST /<provider>/files} must be
 * multipart with a {@code file} part (with a filename) and {@code purpose=file-extract} and the provider's
 * Bearer key; it answers the OpenAI-style file object. {@code GET /<provider>/files/{id}/content} answers
 * {@code {"content": ...}}. {@code POST /<provider>/chat/completions} takes an OpenAI-style chat request (model,
 * messages of role and content) and answers a chat completion ("A summary of N messages.", N the messages it was sent)
 * with its usage (prompt tokens: a quarter of the characters sent; completion tokens: 7). Tests can make the next calls fail with a status, hang, or count what arrived.
 */
public final class FakeProviders {

    public static final String KIMI_KEY = "kimi-fake-key";
    public static final String GLM_KEY = "glm-fake-key";
    private static final Pattern FILENAME = Pattern.compile("name=\"file\"; filename=\"([^\"]*)\"");

    private static FakeProviders instance;

    private final HttpServer server;
    public final AtomicInteger uploads = new AtomicInteger();
    /** Uploads received, counted before a slowed upload starts waiting. */
    public final AtomicInteger uploadsStarted = new AtomicInteger();
    public final AtomicInteger contentFetches = new AtomicInteger();
    public final AtomicInteger badRequests = new AtomicInteger();
    public final AtomicInteger completions = new AtomicInteger();
    /** The body of the last chat completion request. */
    public volatile com.fasterxml.jackson.databind.JsonNode lastChat;
    /** The whole multipart body of the last upload, for tests that check which bytes reached the provider. */
    public volatile byte[] lastUpload;
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failureStatus = 500;
    private volatile boolean hang;
    private volatile long uploadMillis;
    private final ConcurrentHashMap<String, String> names = new ConcurrentHashMap<>();

    private FakeProviders() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/kimi/files", exchange -> handle(exchange, KIMI_KEY));
        server.createContext("/glm/files", exchange -> handle(exchange, GLM_KEY));
        server.createContext("/kimi/chat/completions", exchange -> handle(exchange, KIMI_KEY));
        server.createContext("/glm/chat/completions", exchange -> handle(exchange, GLM_KEY));
        server.start();
    }

    public static synchronized FakeProviders get() {
        if (instance == null) {
            try {
                instance = new FakeProviders();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    public String url(String provider) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + provider;
    }

    /** The next {@code count} calls answer {@code status} (with Retry-After: 0 for 429). */
    public void failNext(int count, int status) {
        failureStatus = status;
        failuresLeft.set(count);
    }

    public void hang(boolean hang) {
        this.hang = hang;
    }

    /** Each upload takes this long, so that calls from several replicas overlap. */
    public void slowUploads(long millis) {
        this.uploadMillis = millis;
    }

    /** Forgets every file it was given, as a provider does when its files expire: their content answers 404. */
    public void forgetAll() {
        names.clear();
    }

    public void reset() {
        uploadMillis = 0;
        uploads.set(0);
        uploadsStarted.set(0);
        contentFetches.set(0);
        badRequests.set(0);
        completions.set(0);
        lastChat = null;
        failuresLeft.set(0);
        hang = false;
    }

    private void handle(HttpExchange exchange, String key) throws IOException {
        try (exchange) {
            if (hang) {
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                if (failureStatus == 429) {
                    exchange.getResponseHeaders().add("Retry-After", "0");
                }
                send(exchange, failureStatus, "{\"error\":{\"message\":\"fake failure\"}}");
                return;
            }
            if (!("Bearer " + key).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"error\":{\"message\":\"invalid api key\"}}");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("POST") && path.endsWith("/chat/completions")) {
                complete(exchange);
            } else if (exchange.getRequestMethod().equals("POST") && path.endsWith("/files")) {
                upload(exchange);
            } else if (exchange.getRequestMethod().equals("GET") && path.endsWith("/content")) {
                String id = path.substring(path.indexOf("/files/") + 7, path.length() - "/content".length());
                String name = names.get(id);
                if (name == null) {
                    send(exchange, 404, "{\"error\":{\"message\":\"no such file\"}}");
                    return;
                }
                contentFetches.incrementAndGet();
                send(exchange, 200, "{\"content\":\"text extracted from " + name + "\",\"file_type\":\"application/pdf\",\"filename\":\""
                        + name + "\",\"title\":\"\",\"type\":\"file\"}");
            } else {
                send(exchange, 404, "{}");
            }
        }
    }

    private void complete(HttpExchange exchange) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode request;
        try {
            request = mapper.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            request = null;
        }
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (request == null || type == null || !type.startsWith("application/json") || !request.path("model").isTextual()
                || !request.path("messages").isArray() || request.path("messages").isEmpty()) {
            badRequests.incrementAndGet();
            send(exchange, 400, "{\"error\":{\"message\":\"expected model and messages\"}}");
            return;
        }
        int promptChars = 0;
        for (com.fasterxml.jackson.databind.JsonNode m : request.get("messages")) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                badRequests.incrementAndGet();
                send(exchange, 400, "{\"error\":{\"message\":\"each message needs role and content\"}}");
                return;
            }
            promptChars += m.get("content").asText().length();
        }
        lastChat = request;
        completions.incrementAndGet();
        com.fasterxml.jackson.databind.node.ObjectNode answer = mapper.createObjectNode().put("id", "chatcmpl-" + System.nanoTime())
                .put("object", "chat.completion").put("created", System.currentTimeMillis() / 1000).put("model", request.get("model").asText());
        answer.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "A summary of " + request.get("messages").size() + " messages.");
        answer.putObject("usage").put("prompt_tokens", promptChars / 4).put("completion_tokens", 7).put("total_tokens", promptChars / 4 + 7);
        send(exchange, 200, answer.toString());
    }

    private void upload(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        byte[] body = exchange.getRequestBody().readAllBytes();
        uploadsStarted.incrementAndGet();
        if (uploadMillis > 0) {
            try {
                Thread.sleep(uploadMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String text = new String(body, StandardCharsets.ISO_8859_1);
        Matcher filename = FILENAME.matcher(text);
        boolean purpose = text.matches("(?s).*name=\"purpose\"\\r\\n(?:[^\\r\\n]*\\r\\n)*\\r\\nfile-extract\\r\\n.*");
        if (type == null || !type.startsWith("multipart/form-data") || !filename.find() || !purpose) {
            badRequests.incrementAndGet();
            send(exchange, 400, "{\"error\":{\"message\":\"expected multipart file and purpose=file-extract\"}}");
            return;
        }
        int n = uploads.incrementAndGet();
        String id = "file-" + n + "-" + System.nanoTime();
        names.put(id, filename.group(1));
        lastUpload = body;
        send(exchange, 200, "{\"id\":\"" + id + "\",\"object\":\"file\",\"bytes\":" + body.length + ",\"created_at\":"
                + (System.currentTimeMillis() / 1000) + ",\"filename\":\"" + filename.group(1) + "\",\"purpose\":\"file-extract\"}");
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
