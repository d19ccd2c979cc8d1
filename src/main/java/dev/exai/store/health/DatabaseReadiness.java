package dev.exai.store.health;

import dev.exai.store.common.Database;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while PostgreSQL, the permanent store, answers and takes writes: without it no write can be
 * acknowledged. A read-only server (a standby not yet promoted, default_transaction_read_only) or one that refused
 * a write in the last {@link #REFUSAL_SHOWN} (a full disk) is DOWN, with the reason in the check's data.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadiness implements AsyncHealthCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration REFUSAL_SHOWN = Duration.ofSeconds(30);

    private final Pool pool;
    private final Database database;

    public DatabaseReadiness(Pool pool, Database database) {
        this.pool = pool;
        this.database = database;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return pool.query("SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') = 'on' AS read_only")
                .execute()
                .ifNoItem().after(TIMEOUT).fail()
                .map(rows -> answer(rows.iterator().next()))
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("postgresql").down()
                        .withData("error", e.getClass().getSimpleName()).build());
    }

    private HealthCheckResponse answer(Row row) {
        if (row.getBoolean("standby")) {
            return down("PostgreSQL is a standby (in recovery) and refuses writes");
        }
        if (row.getBoolean("read_only")) {
            return down("PostgreSQL is read-only (default_transaction_read_only is on) and refuses writes");
        }
        Database.Refusal refusal = database.lastRefusal();
        if (refusal != null && refusal.at().isAfter(Instant.now().minus(REFUSAL_SHOWN))) {
            return HealthCheckResponse.named("postgresql").down().withData("reason", refusal.detail())
                    .withData("refused_at", refusal.at().toString()).build();
        }
        return HealthCheckResponse.named("postgresql").up().build();
    }

    private static HealthCheckResponse down(String reason) {
        return HealthCheckResponse.named("postgresql").down().withData("reason", reason).build();
    }
}
