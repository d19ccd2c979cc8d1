package dev.exai.store.devmode;

import io.quarkus.runtime.LaunchMode;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Dev mode only: points the service at the PostgreSQL and Redis that the {@link DevServers} on the classpath chose
 * (local ones when they answer, embedded ones otherwise), so {@code ./mvnw quarkus:dev} serves on a machine with
 * nothing but a JDK. Quarkus Dev Services would do this with Docker, which this project cannot assume.
 *
 * <p>This source is in the packaged application (Quarkus instantiates config sources from generated code), but it
 * is empty there: outside dev mode it looks for nothing, and the packaged application has no {@link DevServers}
 * anyway ({@code quarkus.package.jar.user-configured-ignored-entries} leaves {@link EmbeddedDevServers} and its
 * registration out, and the embedded servers are {@code provided}-scope jars that packaging never copies).
 */
public class DevServersConfigSource implements ConfigSource {

    private volatile Map<String, String> properties;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> answer = properties;
        if (answer == null) {
            synchronized (this) {
                if (properties == null) {
                    properties = LaunchMode.current() == LaunchMode.DEVELOPMENT
                            ? ServiceLoader.load(DevServers.class, DevServers.class.getClassLoader()).findFirst()
                                    .map(DevServers::config).orElse(Map.of())
                            : Map.of();
                }
                answer = properties;
            }
        }
        return answer;
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
        return "exai-store dev-mode servers";
    }

    /** Above application.properties (250), below environment variables (300) and system properties (400). */
    @Override
    public int getOrdinal() {
        return 275;
    }
}
