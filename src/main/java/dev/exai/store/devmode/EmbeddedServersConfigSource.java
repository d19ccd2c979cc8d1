package dev.exai.store.devmode;

import io.quarkus.runtime.LaunchMode;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Dev mode only: when no PostgreSQL or Redis URL is configured, {@code ./mvnw quarkus:dev} starts embedded ones
 * (Quarkus Dev Services would need Docker). The servers come from {@code provided}-scope dependencies, which dev
 * mode puts on the classpath and the production build leaves out; in any other launch mode this source is empty
 * and {@link EmbeddedServers} is never loaded.
 */
public class EmbeddedServersConfigSource implements ConfigSource {

    private static final String PG_URL = "quarkus.datasource.reactive.url";
    private static final String REDIS_HOSTS = "quarkus.redis.hosts";

    private volatile Map<String, String> properties;

    @Override
    public Map<String, String> getProperties() {
        if (properties == null) {
            synchronized (this) {
                if (properties == null) {
                    properties = LaunchMode.current() == LaunchMode.DEVELOPMENT
                            ? EmbeddedServers.configFor(!configured("QUARKUS_DATASOURCE_REACTIVE_URL", PG_URL),
                                    !configured("QUARKUS_REDIS_HOSTS", REDIS_HOSTS))
                            : Map.of();
                }
            }
        }
        return properties;
    }

    @Override
    public Set<String> getPropertyNames() {
        return getProperties().keySet();
    }

    @Override
    public String getValue(String name) {
        return getProperties().get(name);
    }

    @Override
    public String getName() {
        return "exai-store dev-mode embedded servers";
    }

    /** Above application.properties (250), below environment variables (300) and system properties (400). */
    @Override
    public int getOrdinal() {
        return 275;
    }

    private static boolean configured(String env, String property) {
        return System.getenv(env) != null || System.getProperty(property) != null;
    }
}
