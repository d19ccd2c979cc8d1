package dev.exai.store.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.ws.rs.WebApplicationException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.client.api.ClientMultipartForm;

/**
 * Calls to the model providers (the provider room: file uploads and extracted text, and chat completions for
 * summaries) with the service's failure policy: each attempt bounded by
 * {@code exai-store.providers.timeout}, 429 and 5xx (and no answer) retried with doubling back-off that
 * honours {@code Retry-After}, a circuit breaker per provider (SmallRye Fault Tolerance) so a provider that keeps
 * failing is not hammered, and every final failure turned into a 502 problem naming the provider and its status.
 */
@ApplicationScoped
public class ModelProviders {

    private static final Logger LOG = Logger.getLogger(ModelProviders.class);
    private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);
    private static final TypeLiteral<Uni<ProviderFilesApi.UploadedFile>> UPLOADED = new TypeLiteral<>() {
    };
    private static final TypeLiteral<Uni<String>> TEXT = new TypeLiteral<>() {
    };
    private static final TypeLiteral<Uni<JsonNode>> ANSWER = new TypeLiteral<>() {
    };

    private final Map<String, Provider> providers;
    private final Duration timeout;
    private final int retries;
    private final Duration backoff;
    private final ObjectMapper json;

    public ModelProviders(StoreConfig config, ObjectMapper json) {
        this.timeout = config.providers().timeout();
        this.retries = config.providers().retries();
        this.backoff = config.providers().backoff();
        this.json = json;
        this.providers = Map.of("kimi", provider("kimi", config.providers().kimi()), "glm", provider("glm", config.providers().glm()));
    }

    /** The longest one call (upload or text) can take with every attempt and back-off, to bound work that waits on it. */
    public Duration longestCall() {
        return timeout.multipliedBy(retries + 1L).plus(MAX_RETRY_AFTER.multipliedBy(retries)).plusSeconds(5);
    }

    /** The provider of that name, or a 404 for a name this service does not know. */
    public Provider named(String name) {
        Provider provider = providers.get(name);
        if (provider == null) {
            throw new ProblemException(404, "unknown-provider", "Not found", "provider " + name + " does not exist; use kimi or glm");
        }
        return provider;
    }

    /** Uploads a file for text extraction; answers the provider's file id. */
    public Uni<String> upload(Provider provider, Path file, String filename, String contentType) {
        Supplier<Uni<ProviderFilesApi.UploadedFile>> call = () -> provider.api().upload(provider.authorization(),
                ClientMultipartForm.create().attribute("purpose", "file-extract", null)
                        .binaryFileUpload("file", filename, file.toString(), contentType));
        return guarded(provider, call, UPLOADED).map(uploaded -> {
            if (uploaded == null || uploaded.id() == null || uploaded.id().isBlank()) {
                throw badGateway(provider, "answered an upload without a file id");
            }
            return uploaded.id();
        });
    }

    /**
     * The provider's extracted text of a file it holds: the {@code content} field of its JSON answer, or the raw body.
     * A provider that answers 404 no longer knows the file (providers expire files): {@link ForgottenFile}.
     */
    public Uni<String> extractedText(Provider provider, String providerFileId) {
        return guarded(provider, () -> provider.api().content(provider.authorization(), providerFileId)
                .onFailure(e -> e instanceof WebApplicationException web && web.getResponse().getStatus() == 404)
                .transform(e -> new ForgottenFile(provider, providerFileId)), TEXT).map(body -> {
            try {
                JsonNode node = json.readTree(body);
                return node.has("content") ? node.get("content").asText() : body;
            } catch (Exception notJson) {
                return body;
            }
        });
    }

    /** A chat message sent to a provider. */
    public record ChatMessage(String role, String content) {
    }

    /** A provider's chat completion: its text and the usage it reported (null where it reported none). */
    public record Completion(String content, Integer inputTokens, Integer outputTokens) {
    }

    /** One chat completion of {@code messages} by {@code model}, at most {@code maxTokens} long (null: the provider's default). */
    public Uni<Completion> complete(Provider provider, String model, List<ChatMessage> messages, Integer maxTokens) {
        ObjectNode request = json.createObjectNode().put("model", model);
        ArrayNode sent = request.putArray("messages");
        messages.forEach(m -> sent.addObject().put("role", m.role()).put("content", m.content()));
        if (maxTokens != null) {
            request.put("max_tokens", maxTokens);
        }
        return guarded(provider, () -> provider.chat().complete(provider.authorization(), request), ANSWER).map(answer -> {
            JsonNode content = answer == null ? null : answer.path("choices").path(0).path("message").path("content");
            if (content == null || !content.isTextual() || content.asText().isBlank()) {
                throw badGateway(provider, "answered a chat completion without content");
            }
            JsonNode usage = answer.path("usage");
            return new Completion(content.asText(), usage.path("prompt_tokens").isInt() ? usage.get("prompt_tokens").asInt() : null,
                    usage.path("completion_tokens").isInt() ? usage.get("completion_tokens").asInt() : null);
        });
    }

    private <T> Uni<T> guarded(Provider provider, Supplier<Uni<T>> call, TypeLiteral<Uni<T>> type) {
        if (provider.apiKey() == null || provider.url() == null) {
            return Uni.createFrom().failure(badGateway(provider, "is not configured (set EXAI_STORE_PROVIDERS_"
                    + provider.name().toUpperCase() + "_URL and _API_KEY)"));
        }
        Uni<T> attempt = Uni.createFrom().deferred(call::get)
                .ifNoItem().after(timeout).failWith(() -> new ProviderTimeout());
        Uni<T> retried = attempt.onFailure(ModelProviders::retryable)
                .recoverWithUni(first -> retry(attempt, first, 1));
        return provider.guard().get(() -> retried, type)
                .onFailure().transform(e -> toProblem(provider, e));
    }

    private <T> Uni<T> retry(Uni<T> attempt, Throwable failure, int number) {
        if (number > retries) {
            return Uni.createFrom().failure(failure);
        }
        Duration delay = retryAfter(failure);
        if (delay == null) {
            delay = backoff.multipliedBy(1L << (number - 1));
        }
        LOG.debugf("provider call failed (%s), retry %d in %d ms", failure, number, delay.toMillis());
        return Uni.createFrom().voidItem().onItem().delayIt().by(delay.isZero() ? Duration.ofMillis(1) : delay)
                .chain(() -> attempt)
                .onFailure(ModelProviders::retryable).recoverWithUni(next -> retry(attempt, next, number + 1));
    }

    private static boolean retryable(Throwable e) {
        if (e instanceof WebApplicationException web) {
            int status = web.getResponse().getStatus();
            return status == 429 || status >= 500;
        }
        return timedOut(e) || e instanceof java.net.ConnectException
                || e instanceof io.vertx.core.VertxException;
    }

    /**
     * An attempt that ran out of time: our bound on it, or the HTTP client's own read timeout (the same length, so
     * either may fire first; Vert.x's is a {@link java.util.concurrent.TimeoutException}).
     */
    private static boolean timedOut(Throwable e) {
        return e instanceof ProviderTimeout || e instanceof java.util.concurrent.TimeoutException;
    }

    private static Duration retryAfter(Throwable e) {
        if (e instanceof WebApplicationException web) {
            String header = web.getResponse().getHeaderString("Retry-After");
            if (header != null) {
                try {
                    Duration asked = Duration.ofSeconds(Long.parseLong(header.trim()));
                    return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
                } catch (NumberFormatException httpDate) {
                    return null;
                }
            }
        }
        return null;
    }

    private ProblemException toProblem(Provider provider, Throwable e) {
        if (e instanceof ProblemException problem) {
            return problem;
        }
        if (e instanceof WebApplicationException web) {
            return badGateway(provider, "answered HTTP " + web.getResponse().getStatus());
        }
        if (timedOut(e)) {
            return badGateway(provider, "did not answer within " + timeout.toMillis() + " ms");
        }
        if (e instanceof CircuitBreakerOpenException) {
            return badGateway(provider, "failed repeatedly; calls are paused for a moment (circuit open)");
        }
        LOG.warnf("provider %s call failed: %s", provider.name(), e.toString());
        return badGateway(provider, "could not be reached (" + e.getClass().getSimpleName() + ")");
    }

    /** The provider answered 404 for a file id it gave us: it no longer holds the file. Not retried, not a breaker failure. */
    public static final class ForgottenFile extends ProblemException {
        ForgottenFile(Provider provider, String providerFileId) {
            super(502, "provider-failed", "Bad gateway", "provider " + provider.name() + " no longer knows file " + providerFileId
                    + " (it answered 404), even after the file was uploaded to it again");
        }
    }

    private static ProblemException badGateway(Provider provider, String what) {
        return new ProblemException(502, "provider-failed", "Bad gateway", "provider " + provider.name() + " " + what);
    }

    private Provider provider(String name, StoreConfig.Providers.Provider settings) {
        String url = settings.url().filter(u -> !u.isBlank()).orElse(null);
        String key = settings.apiKey().filter(k -> !k.isBlank()).orElse(null);
        ProviderFilesApi api = url == null ? null : client(url, ProviderFilesApi.class);
        ProviderChatApi chat = url == null ? null : client(url, ProviderChatApi.class);
        Guard guard = Guard.create()
                .withDescription("provider " + name)
                .withCircuitBreaker().name("provider-" + name).requestVolumeThreshold(10).failureRatio(0.5)
                .delay(10, ChronoUnit.SECONDS).skipOn(ProblemException.class).done()
                .build();
        return new Provider(name, url, key, settings.maxBytes(), api, chat, guard);
    }

    private <T> T client(String url, Class<T> api) {
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(url))
                .connectTimeout(Math.min(timeout.toMillis(), 10_000), TimeUnit.MILLISECONDS)
                .readTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .build(api);
    }

    /** One configured provider. */
    public record Provider(String name, String url, String apiKey, long maxBytes, ProviderFilesApi api, ProviderChatApi chat, Guard guard) {
        String authorization() {
            return "Bearer " + apiKey;
        }
    }

    /** An attempt that got no answer in time. */
    static final class ProviderTimeout extends RuntimeException {
        ProviderTimeout() {
            super("no answer in time", null, false, false);
        }
    }
}
