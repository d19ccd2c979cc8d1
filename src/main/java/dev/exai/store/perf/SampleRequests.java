package dev.exai.store.perf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.ServiceClock;
import dev.exai.store.common.StoreConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates sample batches: one bad sample rejects the whole batch with a 400 naming its index, before anything
 * is written. A sample older than the raw retention is refused (its raw partition may already be gone, and
 * aggregates are only ever built from raw samples); one more than {@code max-future} ahead is refused too.
 */
@ApplicationScoped
public class SampleRequests {

    /** The longest duration a sample may report, in milliseconds: one day. */
    static final long MAX_MS = 86_400_000L;

    static final int MAX_BATCH = 10_000;
    private static final int MAX_NAME = 200;
    private static final int MAX_ERROR = 4000;
    private static final int MAX_ERROR_TYPE = 64;

    private final ParamsHash params;
    private final ServiceClock clock;
    private final Duration rawRetention;
    private final Duration maxFuture;

    public SampleRequests(ParamsHash params, ServiceClock clock, StoreConfig config) {
        this.params = params;
        this.clock = clock;
        this.rawRetention = config.perf().rawRetention();
        this.maxFuture = config.perf().maxFuture();
    }

    List<NewSample> samples(JsonNode body) {
        if (body == null || !(body.isObject() || body.isArray())) {
            throw ProblemException.badRequest("the body must be a sample object or an array of 1 to " + MAX_BATCH + " of them");
        }
        if (body.isArray() && (body.isEmpty() || body.size() > MAX_BATCH)) {
            throw ProblemException.badRequest("a batch holds 1 to " + MAX_BATCH + " samples; this one has " + body.size());
        }
        OffsetDateTime now = clock.now();
        List<NewSample> samples = new ArrayList<>(body.isArray() ? body.size() : 1);
        if (body.isObject()) {
            samples.add(sample(body, "sample", now));
        } else {
            for (int i = 0; i < body.size(); i++) {
                samples.add(sample(body.get(i), "samples[" + i + "]", now));
            }
        }
        return samples;
    }

    private NewSample sample(JsonNode node, String name, OffsetDateTime now) {
        if (!node.isObject()) {
            throw ProblemException.badRequest(name + " must be a JSON object");
        }
        String tool = text(node, "tool", name, true, MAX_NAME);
        String model = text(node, "model", name, false, MAX_NAME);
        String provider = text(node, "provider", name, false, MAX_NAME);
        JsonNode latency = node.get("latency_ms");
        if (latency == null || !milliseconds(latency)) {
            throw ProblemException.badRequest(name + ".latency_ms is required and must be a number from 0 to " + MAX_MS
                    + " (one day)");
        }
        String error = text(node, "error", name, false, MAX_ERROR);
        String errorType = text(node, "error_type", name, false, MAX_ERROR_TYPE);
        JsonNode ttft = node.get("ttft_ms");
        if (ttft != null && !ttft.isNull() && !milliseconds(ttft)) {
            throw ProblemException.badRequest(name + ".ttft_ms must be a number from 0 to " + MAX_MS + " (one day)");
        }
        JsonNode ok = node.get("ok");
        if (ok != null && !ok.isNull() && !ok.isBoolean()) {
            throw ProblemException.badRequest(name + ".ok must be true or false");
        }
        JsonNode paramsNode = node.get("params");
        if (paramsNode != null && !paramsNode.isNull() && !paramsNode.isObject()) {
            throw ProblemException.badRequest(name + ".params must be a JSON object");
        }
        OffsetDateTime at = now;
        JsonNode atNode = node.get("at");
        if (atNode != null && !atNode.isNull()) {
            try {
                at = OffsetDateTime.parse(atNode.asText()).withOffsetSameInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                throw ProblemException.badRequest(name + ".at must be an RFC 3339 timestamp such as 2026-11-26T14:18:50Z");
            }
            if (!atNode.isTextual()) {
                throw ProblemException.badRequest(name + ".at must be an RFC 3339 timestamp string");
            }
        }
        if (at.isBefore(now.minus(rawRetention))) {
            throw ProblemException.badRequest(name + ".at is older than the raw retention (" + rawRetention.toDays()
                    + " days); such samples are not accepted");
        }
        if (at.isAfter(now.plus(maxFuture))) {
            throw ProblemException.badRequest(name + ".at is more than " + maxFuture.toMinutes() + " minutes in the future");
        }
        String canonical = params.canonical(paramsNode);
        return new NewSample(at, tool, model == null ? "" : model, provider == null ? "" : provider, ParamsHash.hash(canonical),
                canonical, latency.asDouble(), ok == null || ok.isNull() ? error == null && errorType == null : ok.asBoolean(), error,
                count(node, "tokens_in", name), count(node, "tokens_out", name), errorType,
                ttft == null || ttft.isNull() ? null : ttft.asDouble());
    }

    /**
     * A duration a real call can have: 0 to one day. Larger values (1e300 passes as a finite double) would swamp every
     * average and sum of the buckets they land in.
     */
    private static boolean milliseconds(JsonNode node) {
        return node.isNumber() && node.asDouble() >= 0 && node.asDouble() <= MAX_MS;
    }

    private static String text(JsonNode node, String field, String name, boolean required, int max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw ProblemException.badRequest(name + "." + field + " is required");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().length() > max || (required && value.asText().isBlank())) {
            throw ProblemException.badRequest(name + "." + field + " must be a string of at most " + max + " characters");
        }
        return value.asText();
    }

    private static Integer count(JsonNode node, String field, String name) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
            throw ProblemException.badRequest(name + "." + field + " must be a whole number of 0 or more");
        }
        return value.asInt();
    }
}
