package dev.exai.store.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A pg_auto_failover formation on local ports, made with Debian's {@code postgresql-15-auto-failover}: a monitor, a
 * primary and a standby (the standby is a {@code pg_basebackup} of the primary, streaming, synchronous: pg_auto_failover
 * sets {@code synchronous_standby_names} once a secondary has caught up). The monitor promotes the standby when the
 * primary stops answering its health checks. Runs as the {@code postgres} user (PostgreSQL refuses root), so it needs
 * root to start; logs go to {@code target/it-logs/failover-*.log}.
 */
public final class AutoFailover implements AutoCloseable {

    public static final String DATABASE = "exai";
    private static final String PG_BIN = "/usr/lib/postgresql/15/bin";

    private final Path dir;
    private final int monitorPort = TestServers.freePort();
    private final List<Process> processes = new ArrayList<>();
    private final int[] nodePorts = {TestServers.freePort(), TestServers.freePort()};
    private final Process[] nodes = new Process[2];

    private AutoFailover(Path dir) {
        this.dir = dir;
    }

    /** Whether this machine can run it: pg_autoctl installed and the tests running as root. */
    public static boolean available() {
        return new File("/usr/bin/pg_autoctl").canExecute() && new File(PG_BIN, "pg_basebackup").canExecute()
                && "root".equals(System.getProperty("user.name"));
    }

    /**
     * Starts the monitor (with health checks every second and a 5 s demote timeout instead of 30 s, so a test fails
     * over in about 10 s), then node 1, which becomes the primary, then node 2, which becomes its synchronous standby.
     */
    public static AutoFailover start(Duration limit) throws Exception {
        Path dir = Files.createTempDirectory("exai-failover-");
        run("chown", "postgres", dir.toString());
        AutoFailover formation = new AutoFailover(dir);
        try {
            formation.processes.add(formation.autoctl("monitor", "create", "monitor", "--pgdata", dir.resolve("monitor").toString(),
                    "--pgport", Integer.toString(formation.monitorPort), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run"));
            long deadline = System.nanoTime() + limit.toNanos();
            formation.awaitMonitor(deadline);
            formation.monitorSql("ALTER SYSTEM SET pgautofailover.health_check_period = 1000",
                    "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000",
                    "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1",
                    "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500",
                    "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 2000",
                    "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000",
                    "SELECT pg_reload_conf()");
            formation.startNode(1);
            formation.awaitState(1, deadline, "single");
            formation.startNode(2);
            // pg_basebackup asks for a spread checkpoint, which takes minutes on an idle server; an explicit CHECKPOINT
            // on the primary completes it at once
            while (!formation.state(2).equals("secondary") || !formation.state(1).equals("primary")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the standby did not catch up: node 1 " + formation.state(1) + ", node 2 " + formation.state(2));
                }
                formation.nodeSql(1, "CHECKPOINT");
                Thread.sleep(1000);
            }
            return formation;
        } catch (Exception | Error e) {
            formation.close();
            throw e;
        }
    }

    /** The port node 1 or 2 listens on. */
    public int port(int node) {
        return nodePorts[node - 1];
    }

    /** The state the monitor last heard from a node (single, primary, secondary, wait_primary, ...). */
    public String state(int node) throws SQLException {
        try (Connection connection = connect(monitorPort, "pg_auto_failover"); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT reportedstate FROM pgautofailover.node WHERE nodename = 'node" + node + "'")) {
            return rows.next() ? rows.getString(1) : "absent";
        }
    }

    /** Kills a node's pg_autoctl and its PostgreSQL with SIGKILL, as a crashed machine would stop. */
    public void kill(int node) {
        Process process = nodes[node - 1];
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until the monitor reports the node as the primary (wait_primary: one without a standby yet). */
    public void awaitPrimary(int node, Duration limit) throws Exception {
        awaitState(node, System.nanoTime() + limit.toNanos(), "primary", "wait_primary");
    }

    /** A JDBC connection to a node's database. */
    public Connection connect(int node) throws SQLException {
        return connect(port(node), DATABASE);
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        for (Process process : processes) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            run("rm", "-rf", dir.toString());
        } catch (Exception e) {
            // a temporary directory left behind is not a test failure
        }
    }

    private void startNode(int node) {
        nodes[node - 1] = autoctl("node" + node, "create", "postgres", "--pgdata", dir.resolve("node" + node).toString(),
                "--pgport", Integer.toString(port(node)), "--hostname", "127.0.0.1", "--name", "node" + node,
                "--auth", "trust", "--no-ssl", "--dbname", DATABASE,
                "--monitor", "postgres://autoctl_node@127.0.0.1:" + monitorPort + "/pg_auto_failover?sslmode=disable", "--run");
        processes.add(nodes[node - 1]);
    }

    private void awaitMonitor(long deadline) throws Exception {
        while (true) {
            try (Connection connection = connect(monitorPort, "pg_auto_failover"); Statement statement = connection.createStatement()) {
                statement.executeQuery("SELECT count(*) FROM pgautofailover.node").close();
                return;
            } catch (SQLException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the pg_auto_failover monitor did not start; see target/it-logs/failover-monitor.log", notYet);
                }
                Thread.sleep(300);
            }
        }
    }

    private void awaitState(int node, long deadline, String... states) throws Exception {
        String state = "absent";
        while (System.nanoTime() < deadline) {
            try {
                state = state(node);
                if (List.of(states).contains(state)) {
                    return;
                }
            } catch (SQLException notYet) {
                state = notYet.getMessage();
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException("node " + node + " did not reach " + List.of(states) + "; it is " + state
                + "; see target/it-logs/failover-node" + node + ".log");
    }

    private void monitorSql(String... statements) throws SQLException {
        execute(monitorPort, "pg_auto_failover", statements);
    }

    private void nodeSql(int node, String... statements) throws SQLException {
        execute(port(node), DATABASE, statements);
    }

    private static void execute(int port, String database, String... statements) throws SQLException {
        try (Connection connection = connect(port, database); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static Connection connect(int port, String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?connectTimeout=2", "postgres", "");
    }

    /** Runs {@code pg_autoctl} as the postgres user with its configuration kept under this formation's directory. */
    private Process autoctl(String log, String... arguments) {
        List<String> command = new ArrayList<>(List.of("runuser", "-u", "postgres", "--", "/usr/bin/pg_autoctl"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(Map.of("HOME", dir.toString(), "XDG_CONFIG_HOME", dir.resolve("config").toString(),
                "XDG_DATA_HOME", dir.resolve("share").toString(), "XDG_RUNTIME_DIR", dir.resolve("run").toString(),
                "PG_CONFIG", PG_BIN + "/pg_config", "PATH", PG_BIN + ":/usr/bin:/bin"));
        try {
            Files.createDirectories(Path.of("target", "it-logs"));
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", "it-logs", "failover-" + log + ".log").toFile()));
            return builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start pg_autoctl", e);
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue());
        }
    }
}
