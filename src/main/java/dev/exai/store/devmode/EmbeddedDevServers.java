package dev.exai.store.devmode;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.jboss.logging.Logger;
import redis.embedded.RedisServer;

/**
 * Dev mode's {@link DevServers}: chooses the PostgreSQL and Redis of a dev-mode run, once per dev-mode JVM: a URL the developer set wins; else a
 * local server that answers on 127.0.0.1:5432 / 6379 is used (the {@code exai} database is created on it when
 * missing); else an embedded server is started with its data under {@code target/dev-data/}, so stopping and
 * starting dev mode keeps the sessions. Live reload loads this class anew, so what was chosen is remembered in
 * system properties, and the servers outlive reloads until the JVM exits.
 *
 * <p>Found by {@link java.util.ServiceLoader} in dev mode only; the packaged application leaves this class and its
 * registration out, and the embedded servers' {@code provided}-scope jars with it.
 */
public final class EmbeddedDevServers implements DevServers {

    private static final Logger LOG = Logger.getLogger(EmbeddedDevServers.class);
    private static final String PG_URL = "quarkus.datasource.reactive.url";
    private static final String REDIS_HOSTS = "quarkus.redis.hosts";
    private static final String CHOSEN_PG = "exaistore.devmode.postgres-url";
    private static final String CHOSEN_REDIS = "exaistore.devmode.redis-hosts";
    private static final String DATABASE = "exai";
    private static final Path DATA = Path.of("target", "dev-data").toAbsolutePath();

    @Override
    public Map<String, String> config() {
        synchronized (System.getProperties()) {
            return chosen();
        }
    }

    private static Map<String, String> chosen() {
        Map<String, String> config = new HashMap<>();
        if (System.getProperty(CHOSEN_PG) == null) {
            choose();
        }
        if (!System.getProperty(CHOSEN_PG).isEmpty()) {
            config.put(PG_URL, System.getProperty(CHOSEN_PG));
            config.put("quarkus.datasource.username", "postgres");
            config.put("quarkus.datasource.password", "");
        }
        if (!System.getProperty(CHOSEN_REDIS).isEmpty()) {
            config.put(REDIS_HOSTS, System.getProperty(CHOSEN_REDIS));
        }
        return config;
    }

    /** Picks both servers, starts what is missing, and says in one line what dev mode uses. */
    private static void choose() {
        String postgres;
        String pgUrl = "";
        if (configured("QUARKUS_DATASOURCE_REACTIVE_URL", PG_URL)) {
            postgres = "PostgreSQL as configured";
        } else if (answers(5432)) {
            createDatabaseIfMissing(5432);
            postgres = "local PostgreSQL at 127.0.0.1:5432 (database " + DATABASE + ")";
        } else {
            int port = startPostgres();
            pgUrl = "postgresql://127.0.0.1:" + port + "/" + DATABASE;
            postgres = "embedded PostgreSQL at 127.0.0.1:" + port + " (data in " + DATA.resolve("postgres") + ")";
        }
        String redis;
        String redisHosts = "";
        if (configured("QUARKUS_REDIS_HOSTS", REDIS_HOSTS)) {
            redis = "Redis as configured";
        } else if (answers(6379)) {
            redis = "local Redis at 127.0.0.1:6379";
        } else {
            int port = startRedis();
            redisHosts = "redis://127.0.0.1:" + port + "/0";
            redis = "embedded Redis at 127.0.0.1:" + port + " (data in " + DATA.resolve("redis") + ")";
        }
        System.setProperty(CHOSEN_PG, pgUrl);
        System.setProperty(CHOSEN_REDIS, redisHosts);
        LOG.infof("dev mode uses %s and %s; files in target/dev-files", postgres, redis);
    }

    private static boolean configured(String env, String property) {
        return System.getenv(env) != null || System.getProperty(property) != null;
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int startPostgres() {
        try {
            Path dir = Files.createDirectories(DATA.resolve("postgres"));
            EmbeddedPostgres server = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException e) {
                    LOG.warn("embedded PostgreSQL did not stop cleanly", e);
                }
            }));
            try (Connection c = server.getPostgresDatabase().getConnection()) {
                createIfMissing(c);
            }
            return server.getPort();
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("dev mode could not start an embedded PostgreSQL in " + DATA.resolve("postgres")
                    + "; start one on 127.0.0.1:5432 or set QUARKUS_DATASOURCE_REACTIVE_URL", e);
        }
    }

    private static void createDatabaseIfMissing(int port) {
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        try (Connection c = new org.postgresql.Driver().connect("jdbc:postgresql://127.0.0.1:" + port + "/postgres", login)) {
            createIfMissing(c);
        } catch (SQLException e) {
            LOG.warnf("dev mode could not check for the %s database on 127.0.0.1:%d as postgres (%s); create it yourself",
                    DATABASE, port, e.getMessage());
        }
    }

    private static void createIfMissing(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (!s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'").next()) {
                s.execute("CREATE DATABASE " + DATABASE);
            }
        }
    }

    private static int startRedis() {
        try (ServerSocket probe = new ServerSocket(0)) {
            int port = probe.getLocalPort();
            probe.close();
            Path dir = Files.createDirectories(DATA.resolve("redis"));
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("dir " + dir).setting("appendonly yes").setting("save \"\"").build();
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.stop();
                } catch (IOException e) {
                    LOG.warn("embedded Redis did not stop cleanly", e);
                }
            }));
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException("dev mode could not start an embedded Redis; start one on 127.0.0.1:6379 "
                    + "or set QUARKUS_REDIS_HOSTS", e);
        }
    }
}
