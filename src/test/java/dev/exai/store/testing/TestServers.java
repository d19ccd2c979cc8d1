package dev.exai.store.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;

/**
 * The real PostgreSQL and Redis the tests talk to: the servers named by EXAI_TEST_POSTGRES and EXAI_TEST_REDIS
 * ({@code host:port}; PostgreSQL as user postgres with trust auth), as .ci/run sets them, or else embedded
 * servers started once per JVM, so the tests also pass on a machine with only a JDK. Every test class
 * gets a fresh database, so suites never see each other's rows.
 */
public final class TestServers {

    private static String postgres;
    private static String redis;

    private TestServers() {
    }

    /** {@code host:port} of a PostgreSQL server the tests may create databases on. */
    public static synchronized String postgres() {
        if (postgres == null) {
            String given = System.getenv("EXAI_TEST_POSTGRES");
            if (given != null && !given.isBlank()) {
                postgres = given;
            } else {
                try {
                    EmbeddedPostgres server = EmbeddedPostgres.builder().start();
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> close(server)));
                    postgres = "127.0.0.1:" + server.getPort();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not start embedded PostgreSQL", e);
                }
            }
        }
        return postgres;
    }

    /** {@code host:port} of a Redis server. */
    public static synchronized String redis() {
        if (redis == null) {
            String given = System.getenv("EXAI_TEST_REDIS");
            if (given != null && !given.isBlank()) {
                redis = given;
            } else {
                redis = "127.0.0.1:" + startRedis(freePort()).port();
            }
        }
        return redis;
    }

    /** Starts a private embedded Redis (for tests that stop and start one). */
    public static EmbeddedRedis startRedis(int port) {
        try {
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no").build();
            server.start();
            EmbeddedRedis handle = new EmbeddedRedis(server, port);
            Runtime.getRuntime().addShutdownHook(new Thread(handle::stop));
            return handle;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Redis", e);
        }
    }

    /** Creates an empty database and answers its name. */
    public static String createDatabase(String prefix) {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        execute("postgres", "CREATE DATABASE " + name);
        return name;
    }

    /** Runs statements on a database as the superuser. */
    public static void execute(String database, String... statements) {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + postgres() + "/" + database, "postgres", "");
    }

    public static Jedis jedis() {
        String[] hostPort = redis().split(":");
        return new Jedis(hostPort[0], Integer.parseInt(hostPort[1]));
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void close(EmbeddedPostgres server) {
        try {
            server.close();
        } catch (IOException ignored) {
            // the JVM is exiting; the directory is temporary
        }
    }

    /** A Redis this test owns and may stop and start again on the same port. */
    public record EmbeddedRedis(RedisServer server, int port) {
        public void stop() {
            try {
                server.stop();
            } catch (IOException ignored) {
                // already stopped
            }
        }

        public void start() {
            try {
                server.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
