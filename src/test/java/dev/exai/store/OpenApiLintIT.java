package dev.exai.store;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document the packaged service serves passes {@code @redocly/cli lint} with the recommended rules and
 * no error (the warnings kept are listed, each with its reason, in .ci/redocly.yaml). The linter is found through
 * EXAI_TEST_REDOCLY, which .ci/run sets after installing it from npm; without it the test is skipped, saying so.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(StoreTestResource.class)
class OpenApiLintIT {

    @Test
    void theServedDocumentLintsWithoutErrors() throws Exception {
        String redocly = System.getenv("EXAI_TEST_REDOCLY");
        assumeTrue(redocly != null && Files.isExecutable(Path.of(redocly)), "EXAI_TEST_REDOCLY (@redocly/cli) is not installed");
        Path document = Path.of("target", "openapi-served.json");
        Files.writeString(document, given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().asString());
        Process lint = new ProcessBuilder(redocly, "lint", document.toString(), "--config", ".ci/redocly.yaml", "--format", "summary")
                .redirectErrorStream(true).start();
        String output = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lint.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(lint.exitValue()).as("redocly lint of /q/openapi:%n%s", output).isZero();
        assertThat(output).contains("Your API description is valid").doesNotContainPattern("(?m)^error ");
    }
}
