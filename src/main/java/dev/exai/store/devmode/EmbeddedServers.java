package dev.exai.store.devmode;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import redis.embedded.RedisServer;

/**
 * Starts embedded PostgreSQL and Redis once per dev-mode JVM (live reload keeps them) and answers the
 * configuration that points the service at them. Only {@link EmbeddedServersConfigSource} calls it, in dev mode.
 */
final class EmbeddedServers {

    private static final Logger LOG = Logger.getLogger(EmbeddedServers.class);
    private static String postgresUrl;
    private static String redisHosts;

    private EmbeddedServers() {
    }

    static synchronized Map<String, String> configFor(boolean postgres, boolean redis) {
        Map<String, String> config = new HashMap<>();
        if (postgres) {
            if (postgresUrl == null) {
                postgresUrl = startPostgres();
            }
            config.put("quarkus.datasource.reactive.url", postgresUrl);
            config.put("quarkus.datasource.username", "postgres");
            config.put("quarkus.datasource.password", "");
        }
        if (redis) {
            if (redisHosts == null) {
                redisHosts = startRedis();
            }
            config.put("quarkus.redis.hosts", redisHosts);
        }
        return config;
    }

    private static String startPostgres() {
        try {
            EmbeddedPostgres server = EmbeddedPostgres.builder().start();
            try (Connection c = server.getPostgresDatabase().getConnection();
                 ResultSet exists = c.createStatement().executeQuery("SELECT 1 FROM pg_database WHERE datname = 'exai'")) {
                if (!exists.next()) {
                    c.createStatement().execute("CREATE DATABASE exai");
                }
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // exiting
                }
            }));
            String url = "postgresql://127.0.0.1:" + server.getPort() + "/exai";
            LOG.infof("dev mode: no QUARKUS_DATASOURCE_REACTIVE_URL set, started embedded PostgreSQL at %s", url);
            return url;
        } catch (Exception e) {
            throw new IllegalStateException("dev mode could not start embedded PostgreSQL; set QUARKUS_DATASOURCE_REACTIVE_URL", e);
        }
    }

    private static String startRedis() {
        try (ServerSocket probe = new ServerSocket(0)) {
            int port = probe.getLocalPort();
            probe.close();
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").build();
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.stop();
                } catch (IOException ignored) {
                    // exiting
                }
            }));
            String hosts = "redis://127.0.0.1:" + port + "/0";
            LOG.infof("dev mode: no QUARKUS_REDIS_HOSTS set, started embedded Redis at %s", hosts);
            return hosts;
        } catch (IOException e) {
            throw new UncheckedIOException("dev mode could not start embedded Redis; set QUARKUS_REDIS_HOSTS", e);
        }
    }
}
