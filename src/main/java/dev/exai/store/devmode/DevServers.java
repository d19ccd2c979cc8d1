package dev.exai.store.devmode;

import java.util.Map;

/**
 * The PostgreSQL and Redis a dev-mode run should use, as configuration properties. Its one implementation,
 * {@link EmbeddedDevServers}, may start embedded servers, so it lives only on the dev-mode classpath:
 * {@link DevServersConfigSource} finds it through {@link java.util.ServiceLoader} and never names it.
 */
public interface DevServers {

    Map<String, String> config();
}
