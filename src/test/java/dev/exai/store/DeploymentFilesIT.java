package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.exai.store.common.StoreConfig;
import io.smallrye.config.ConfigMappings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The deployment files agree with the service: the generated Kubernetes manifest probes the health endpoints on
 * the HTTP port, takes keys from a Secret and keeps files on a PersistentVolumeClaim; the compose file keeps what
 * its real run in .ci/containers/run cannot check; and every variable the service reads is listed in
 * .env.docker.example (derived from the configuration mapping, not kept by hand).
 */
class DeploymentFilesIT {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<String> QUARKUS_VARIABLES = List.of("QUARKUS_DATASOURCE_REACTIVE_URL", "QUARKUS_DATASOURCE_USERNAME",
            "QUARKUS_DATASOURCE_PASSWORD", "QUARKUS_REDIS_HOSTS", "QUARKUS_HTTP_PORT");

    @Test
    void kubernetesManifestProbesHealthAndReadsTheSecret() throws Exception {
        List<JsonNode> documents = new ArrayList<>();
        YAML.readerFor(JsonNode.class).readValues(Path.of("target", "kubernetes", "kubernetes.yml").toFile())
                .forEachRemaining(d -> documents.add((JsonNode) d));
        JsonNode deployment = documents.stream().filter(d -> d.path("kind").asText().equals("Deployment")).findFirst().orElseThrow();
        JsonNode container = deployment.at("/spec/template/spec/containers/0");
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/q/health/started");
        assertThat(container.at("/readinessProbe/httpGet/port").asInt()).isEqualTo(8080);
        assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
        assertThat(container.at("/resources/limits/memory").asText()).isNotEmpty();
        assertThat(container.path("envFrom").toString()).contains("secretRef").contains("exai-store");
        assertThat(deployment.at("/spec/template/spec/initContainers").isMissingNode()).as("migrations run in the service").isTrue();
        // uploaded files outlive the pod: the files directory is a mounted PersistentVolumeClaim that the manifest declares
        JsonNode mount = container.path("volumeMounts").get(0);
        assertThat(mount.path("mountPath").asText()).isEqualTo("/data/files");
        assertThat(container.path("env").toString()).contains("EXAI_STORE_FILES_DIR").contains("/data/files");
        JsonNode volume = deployment.at("/spec/template/spec/volumes/0");
        assertThat(volume.path("name").asText()).isEqualTo(mount.path("name").asText());
        String claim = volume.at("/persistentVolumeClaim/claimName").asText();
        assertThat(documents).anySatisfy(d -> {
            assertThat(d.path("kind").asText()).isEqualTo("PersistentVolumeClaim");
            assertThat(d.at("/metadata/name").asText()).isEqualTo(claim);
        });
        assertThat(deployment.at("/spec/template/spec/securityContext/fsGroup").asInt()).as("the claim is writable to the non-root user").isEqualTo(185);
        assertThat(deployment.at("/spec/strategy/type").asText()).as("a ReadWriteOnce claim needs Recreate").isEqualTo("Recreate");
        JsonNode service = documents.stream().filter(d -> d.path("kind").asText().equals("Service")).findFirst().orElseThrow();
        assertThat(service.at("/spec/ports/0/targetPort").asInt()).isEqualTo(8080);
    }

    /**
     * What the real compose run (.ci/containers/run) cannot see: podman-compose ignores the health conditions of
     * depends_on and the memory limits, and Redis's fsync and snapshot settings only show after a crash.
     */
    @Test
    void composeKeepsWhatTheRealRunCannotCheck() throws Exception {
        JsonNode compose = YAML.readTree(Path.of("docker", "docker-compose.yml").toFile());
        JsonNode store = compose.at("/services/exai-store");
        assertThat(store.at("/depends_on/postgres/condition").asText()).isEqualTo("service_healthy");
        assertThat(store.at("/depends_on/redis/condition").asText()).isEqualTo("service_healthy");
        compose.path("services").forEach(service -> assertThat(service.path("mem_limit").asText()).isNotEmpty());
        assertThat(Files.readString(Path.of("docker", "redis.conf"))).contains("appendfsync everysec").contains("save ");
        Set<String> example = exampleVariables();
        store.path("environment").fieldNames().forEachRemaining(name -> assertThat(example).as("compose sets " + name).contains(name));
    }

    @Test
    void everyVariableTheServiceReadsIsInTheExample() throws Exception {
        Set<String> read = new TreeSet<>(QUARKUS_VARIABLES);
        ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(StoreConfig.class, "exai-store"))
                .keySet().stream().filter(property -> !property.contains(".*.")) // per-tenant maps: docs/configuration.md
                .forEach(property -> read.add(property.replace("[*]", "").toUpperCase().replaceAll("[^A-Z0-9]", "_")));
        Set<String> missing = read.stream().filter(v -> !exampleVariables().contains(v)).collect(Collectors.toCollection(TreeSet::new));
        assertThat(missing).as("variables the service reads that .env.docker.example does not list").isEmpty();
    }

    private static Set<String> exampleVariables() {
        try {
            return Files.readAllLines(Path.of(".env.docker.example")).stream()
                    .filter(l -> l.matches("[A-Z0-9_]+=.*"))
                    .map(l -> l.substring(0, l.indexOf('=')))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
