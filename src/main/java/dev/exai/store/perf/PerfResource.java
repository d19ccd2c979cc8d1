package dev.exai.store.perf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.exai.store.common.Cursors;
import dev.exai.store.common.Page;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.ServiceClock;
import dev.exai.store.security.Principal;
import dev.exai.store.common.Times;
import io.smallrye.mutiny.Uni;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** HTTP routes of performance samples: ingest, stored buckets, summaries over any window, the rollup on demand. */
@Path("/perf")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "performance")
public class PerfResource {

    private final SampleRequests requests;
    private final SampleStore samples;
    private final PerfQueries queries;
    private final RollupJob rollup;
    private final ServiceClock clock;

    public PerfResource(SampleRequests requests, SampleStore samples, PerfQueries queries, RollupJob rollup, ServiceClock clock) {
        this.requests = requests;
        this.samples = samples;
        this.queries = queries;
        this.rollup = rollup;
        this.clock = clock;
    }

    @POST
    @Path("/samples")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ingest one sample (object) or a batch (array of 1..10000)",
            description = "202 {\"accepted\": n}. One bad sample rejects the batch (400 naming its index). Samples older than the raw "
                    + "retention are refused.")
    public Uni<Response> ingest(@Context ContainerRequestContext request, JsonNode body) {
        List<NewSample> batch = requests.samples(body);
        return samples.insert(Principal.of(request).tenant(), batch)
                .map(n -> Response.accepted(Map.of("accepted", n)).type(MediaType.APPLICATION_JSON_TYPE).build());
    }

    @GET
    @Path("/aggregates")
    @Operation(summary = "Rolled-up hourly or daily buckets in [from, to)")
    public Uni<Page<PerfQueries.Bucket>> aggregates(@Context ContainerRequestContext request,
                                                    @QueryParam("granularity") @DefaultValue("hour") String granularity,
                                                    @QueryParam("from") String from, @QueryParam("to") String to,
                                                    @QueryParam("tool") String tool, @QueryParam("model") String model,
                                                    @QueryParam("provider") String provider, @QueryParam("params_hash") String paramsHash,
                                                    @QueryParam("limit") @DefaultValue("1000")
                                                    @Min(value = 1, message = "limit must be between 1 and 10000")
                                                    @Max(value = 10000, message = "limit must be between 1 and 10000") int limit,
                                                    @QueryParam("cursor") String cursor) {
        if (!granularity.equals("hour") && !granularity.equals("day")) {
            throw ProblemException.badRequest("granularity must be hour or day");
        }
        OffsetDateTime[] window = window(from, to);
        int offset = Cursors.offset(cursor);
        return queries.buckets(Principal.of(request).tenant(), granularity, window[0], window[1], tool, model, provider, paramsHash, limit + 1, offset)
                .map(items -> items.size() > limit
                        ? new Page<>(items.subList(0, limit), Cursors.encode(Integer.toString(offset + limit)))
                        : new Page<>(items, null));
    }

    @GET
    @Path("/summary")
    @Operation(summary = "Statistics over any window [from, to), merged from hourly buckets and the raw samples at its edges",
            description = "group_by: a comma list of tool, model, provider, params_hash (default tool,model,provider).")
    public Uni<Page<PerfQueries.Summary>> summary(@Context ContainerRequestContext request,
                                                  @QueryParam("from") String from, @QueryParam("to") String to,
                                                  @QueryParam("group_by") @DefaultValue("tool,model,provider") String groupBy) {
        OffsetDateTime[] window = window(from, to);
        List<String> dims = Arrays.stream(groupBy.split(",")).map(String::trim).filter(d -> !d.isEmpty()).toList();
        if (!PerfQueries.DIMENSIONS.containsAll(dims)) {
            throw ProblemException.badRequest("group_by takes a comma list of tool, model, provider, params_hash");
        }
        return queries.summary(Principal.of(request).tenant(), window[0], window[1], dims).map(items -> new Page<>(items, null));
    }

    @POST
    @Path("/rollup")
    @Operation(summary = "Run the rollup and retention now (the scheduler runs them on its own)")
    public Uni<RollupJob.Report> runRollup() {
        return rollup.run();
    }

    @GET
    @Path("/params/{hash}")
    @Operation(summary = "The canonical parameters a params_hash stands for")
    public Uni<Response> params(@Context ContainerRequestContext request, @PathParam("hash") String hash) {
        return queries.params(Principal.of(request).tenant(), hash)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("params_hash " + hash.replaceAll("[^0-9a-f]", "?")))
                .map(params -> Response.ok("{\"params_hash\":\"" + hash + "\",\"params\":" + params + "}",
                        MediaType.APPLICATION_JSON_TYPE).build());
    }

    private OffsetDateTime[] window(String from, String to) {
        OffsetDateTime end = to == null ? clock.now() : Times.parse("to", to);
        OffsetDateTime start = from == null ? end.minusDays(1) : Times.parse("from", from);
        if (!start.isBefore(end)) {
            throw ProblemException.badRequest("from must be before to");
        }
        return new OffsetDateTime[] {start, end};
    }
}
