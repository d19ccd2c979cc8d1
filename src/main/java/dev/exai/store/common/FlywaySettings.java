package dev.exai.store.common;

import io.quarkus.flyway.FlywayConfigurationCustomizer;
import jakarta.inject.Singleton;
import java.util.Map;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * Lets migrations build indexes with {@code CREATE INDEX CONCURRENTLY}, which never blocks appends on a live table,
 * after a backfill committed in batches in the same migration (V8).
 * Flyway's default PostgreSQL lock is held inside a transaction that stays open through the migration, and a
 * concurrent index build waits for every open transaction to end: with that lock the migration waits for itself
 * forever (flyway/flyway#3497). The session-level advisory lock taken instead still lets one replica migrate at a time.
 * Quarkus has no property for it, hence this customizer.
 */
@Singleton
public class FlywaySettings implements FlywayConfigurationCustomizer {

    @Override
    public void customize(FluentConfiguration configuration) {
        configuration.configuration(Map.of("flyway.postgresql.transactional.lock", "false"))
                // a migration that builds an index concurrently runs wholly outside a transaction, so the batched
                // backfill before it (a DO block) can commit each batch
                .mixed(true);
    }
}
