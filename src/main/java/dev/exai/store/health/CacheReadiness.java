package dev.exai.store.health;

import dev.exai.store.common.CacheGeneration;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports Redis as in use or degraded. Always UP: Redis is only a cache and every request is served from
 * PostgreSQL while it is away, so taking the instance out of a load balancer would only lose capacity.
 */
@Readiness
@ApplicationScoped
public class CacheReadiness implements AsyncHealthCheck {

    private final CacheGeneration cache;

    public CacheReadiness(CacheGeneration cache) {
        this.cache = cache;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return Uni.createFrom().item(HealthCheckResponse.named("redis").up()
                .withData("status", cache.degraded() ? "degraded" : "up")
                .withData("generation", cache.current())
                .build());
    }
}
