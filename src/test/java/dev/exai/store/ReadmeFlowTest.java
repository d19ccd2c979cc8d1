package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.ReadmeFlow;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the README's curl flow exactly as written (between the readme-flow markers) against the service. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class ReadmeFlowTest {

    @Test
    void theReadmeCurlFlowWorksAsWritten() throws Exception {
        String script = ReadmeFlow.script();

        String first = run(script);
        assertThat(first).contains("\"continuation_id\":\"demo-chat-1\"")
                .contains("\"seq\":1").contains("\"seq\":2")
                .containsIgnoringCase("x-cache: ")
                .contains("\"content\":\"What is 2 + 2?\"")
                .contains("\"token_count\":1");
        // run again: PUT answers the existing session and the keyed append replays instead of storing twice
        String second = run(script);
        assertThat(second).doesNotContain("\"seq\":3");
        Api.alpha().get("/sessions/demo-chat-1").then().statusCode(200).body("message_count", org.hamcrest.Matchers.equalTo(2));
    }

    private static String run(String script) throws Exception {
        ProcessBuilder bash = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).redirectErrorStream(true);
        bash.environment().put("EXAI", "http://localhost:" + RestAssured.port);
        bash.environment().put("KEY", Api.ALPHA_KEY);
        Process process = bash.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("the README flow failed:%n%s", output).isZero();
        return output;
    }
}
