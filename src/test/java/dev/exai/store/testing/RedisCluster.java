package dev.exai.store.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import redis.clients.jedis.Jedis;

/**
 * A real Redis Cluster on loopback for the scale-out tests: {@code redis-server --cluster-enabled yes} per node
 * and {@code redis-cli --cluster create}, masters each with one replica, failover after
 * {@link #NODE_TIMEOUT_MS}. Needs {@code redis-server} and {@code redis-cli} on the PATH ({@code .ci/run} installs
 * them when missing); {@link #available()} tells.
 */
public final class RedisCluster implements AutoCloseable {

    /** How long a master may be unreachable before its replica takes over. */
    public static final int NODE_TIMEOUT_MS = 4000;

    private final Map<Integer, Process> nodes = new LinkedHashMap<>();
    private final Path dir;

    private RedisCluster(Path dir) {
        this.dir = dir;
    }

    public static boolean available() {
        return onPath("redis-server") && onPath("redis-cli");
    }

    /** Starts {@code masters} masters and as many replicas, and waits until the cluster serves every slot. */
    public static RedisCluster start(int masters) {
        try {
            RedisCluster cluster = new RedisCluster(Files.createTempDirectory("exai-redis-cluster"));
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < masters * 2; i++) {
                int port = freePortWithFreeBusPort();
                cluster.startNode(port);
                addresses.add("127.0.0.1:" + port);
            }
            for (int port : cluster.nodes.keySet()) {
                cluster.awaitPing(port);
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            create.addAll(addresses);
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process process = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(cluster.dir.resolve("create.log").toFile()).start();
            if (process.waitFor() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + Files.readString(cluster.dir.resolve("create.log")));
            }
            cluster.awaitHealthy(Duration.ofSeconds(30));
            return cluster;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The {@code quarkus.redis.hosts} value naming every node. */
    public String hosts() {
        return String.join(",", nodes.keySet().stream().map(p -> "redis://127.0.0.1:" + p).toList());
    }

    public Jedis node(int port) {
        return new Jedis("127.0.0.1", port, 2000);
    }

    /** The port of the master that serves {@code key} now. */
    public int masterOf(String key) {
        int live = liveNode();
        try (Jedis jedis = node(live)) {
            long slot = jedis.clusterKeySlot(key);
            for (String line : jedis.clusterNodes().split("\n")) {
                String[] f = line.split(" ");
                if (!f[2].contains("master") || f[2].contains("fail")) {
                    continue;
                }
                for (int i = 8; i < f.length; i++) {
                    String[] range = f[i].split("-");
                    if (range[0].startsWith("[")) {
                        continue;
                    }
                    long from = Long.parseLong(range[0]);
                    long to = range.length > 1 ? Long.parseLong(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        return port(f[1]);
                    }
                }
            }
        }
        throw new IllegalStateException("no master serves " + key);
    }

    /** The port of the replica of the master on {@code masterPort}. */
    public int replicaOf(int masterPort) {
        try (Jedis jedis = node(masterPort)) {
            String masterId = jedis.clusterMyId();
            for (String line : jedis.clusterNodes().split("\n")) {
                String[] f = line.split(" ");
                if (f[3].equals(masterId)) {
                    return port(f[1]);
                }
            }
        }
        throw new IllegalStateException("no replica of " + masterPort);
    }

    /** kill -9 of one node. */
    public void kill(int port) {
        Process process = nodes.remove(port);
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP: the node neither answers nor reads what its master sends; {@link #resume} undoes it. */
    public void pause(int port) {
        signal(port, "-STOP");
    }

    public void resume(int port) {
        signal(port, "-CONT");
    }

    private void signal(int port, String signal) {
        try {
            new ProcessBuilder("kill", signal, Long.toString(nodes.get(port).pid())).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the node on {@code port} is a master now. */
    public boolean isMaster(int port) {
        try (Jedis jedis = node(port)) {
            return jedis.info("replication").contains("role:master");
        }
    }

    /** Waits until every live node reports {@code cluster_state:ok}. */
    public void awaitHealthy(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (int port : nodes.keySet()) {
                try (Jedis jedis = node(port)) {
                    ok &= jedis.clusterInfo().contains("cluster_state:ok");
                } catch (RuntimeException e) {
                    ok = false;
                }
            }
            if (ok) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException("the Redis Cluster was not healthy within " + limit);
    }

    /** Every key on every live master. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (int port : nodes.keySet()) {
            if (isMaster(port)) {
                try (Jedis jedis = node(port)) {
                    keys.addAll(jedis.keys("*"));
                }
            }
        }
        return keys;
    }

    @Override
    public void close() {
        for (Process process : nodes.values()) {
            process.destroyForcibly();
        }
        nodes.clear();
    }

    private void startNode(int port) throws IOException {
        Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
        Process process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS), "--save", "", "--appendonly", "no",
                "--enable-debug-command", "local", "--dir", nodeDir.toString())
                .redirectErrorStream(true).redirectOutput(nodeDir.resolve("redis.log").toFile()).start();
        nodes.put(port, process);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    }

    /** A node also listens on its port + 10000 (the cluster bus): both must be free, or the node aborts at start. */
    private static int freePortWithFreeBusPort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = TestServers.freePort();
            if (port + 10000 <= 65535) {
                try (java.net.ServerSocket bus = new java.net.ServerSocket(port + 10000)) {
                    return port;
                } catch (IOException taken) {
                    // try another
                }
            }
        }
        throw new IllegalStateException("found no port whose cluster bus port is free too");
    }

    private void awaitPing(int port) {
        for (int i = 0; i < 50; i++) {
            try (Jedis jedis = node(port)) {
                if ("PONG".equals(jedis.ping())) {
                    return;
                }
            } catch (RuntimeException notYet) {
                sleep(100);
            }
        }
        throw new IllegalStateException("Redis on " + port + " did not start; see " + dir.resolve(Integer.toString(port)));
    }

    private int liveNode() {
        return nodes.keySet().iterator().next();
    }

    private static int port(String address) {
        // ip:port@cport
        return Integer.parseInt(address.substring(address.indexOf(':') + 1, address.indexOf('@')));
    }

    private static boolean onPath(String command) {
        return Optional.ofNullable(System.getenv("PATH")).stream()
                .flatMap(path -> Stream.of(path.split(File.pathSeparator)))
                .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
