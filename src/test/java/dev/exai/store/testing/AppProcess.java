package dev.exai.store.testing;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The packaged service run as a real process, for tests that restart it, run two at once, or kill it: the jar
 * ({@code target/quarkus-app/quarkus-run.jar}), or the native executable when the build sets
 * {@code native.image.path} ({@code ./mvnw verify -Dnative}). Output goes to {@code target/it-logs/<name>.log}.
 */
public final class AppProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final String name;

    private AppProcess(Process process, int port, String name) {
        this.process = process;
        this.port = port;
        this.name = name;
    }

    /** Starts the jar on a free port against {@code database} and the test Redis, with tenant keys and extra env. */
    public static AppProcess start(String name, String database, String apiKeys, Map<String, String> extraEnv) {
        return start(name, database, apiKeys, extraEnv, "-Xmx256m");
    }

    /** The same with the JVM's heap option, for tests of memory use. */
    public static AppProcess start(String name, String database, String apiKeys, Map<String, String> extraEnv, String heap) {
        int port = TestServers.freePort();
        String nativeImage = System.getProperty("native.image.path", "");
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        List<String> command;
        if (!nativeImage.isBlank() && Files.isExecutable(Path.of(nativeImage))) {
            command = List.of(nativeImage, heap);
        } else if (Files.exists(jar)) {
            command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    heap, "-jar", jar.toString()));
        } else {
            throw new IllegalStateException("package the application first (./mvnw verify runs the ITs after packaging)");
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + TestServers.postgres() + "/" + database);
        env.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        env.put("QUARKUS_REDIS_HOSTS", "redis://" + TestServers.redis() + "/0");
        env.put("EXAI_STORE_API_KEYS", apiKeys);
        env.putAll(extraEnv);
        builder.environment().putAll(env);
        try {
            Files.createDirectories(Path.of("target", "it-logs"));
            File log = Path.of("target", "it-logs", name + ".log").toFile();
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
            return new AppProcess(builder.start(), port, name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
    }

    /** Waits until readiness answers 200, failing if the process dies or the time runs out. */
    public AppProcess awaitReady(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see target/it-logs/" + name + ".log");
            }
            try {
                if (given().baseUri(url()).get("/q/health/ready").statusCode() == 200) {
                    return this;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            sleep(200);
        }
        throw new IllegalStateException(name + " was not ready within " + limit);
    }

    /** Waits until readiness reports Redis in use ({@code "status": "up"}), not degraded. */
    public void awaitRedisInUse(Duration limit) throws InterruptedException {
        Api.awaitRedis(given().baseUri(url()), "up", limit);
    }

    /** The process's peak resident set size in KiB (VmHWM), on Linux. */
    public long peakRssKib() {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmHWM:")).map(l -> l.replaceAll("\\D", "")).mapToLong(Long::parseLong).findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public RequestSpecification as(String key) {
        return given().baseUri(url()).header("Authorization", "Bearer " + key).contentType(ContentType.JSON);
    }

    /** SIGTERM and wait for the process to end. */
    public void stop() {
        process.destroy();
        waitForExit();
    }

    /** SIGKILL: no shutdown hook runs. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private void waitForExit() {
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
