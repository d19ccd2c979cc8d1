package dev.exai.store;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Probes, metrics and the OpenAPI document answer without a key and say what the contract promises. */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class OperationsTest {

    @Test
    void probesAnswerWithoutAKey() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void everyAnswerCarriesARequestId() {
        given().header("X-Request-Id", "req-123").get("/q/health/live").then().header("X-Request-Id", "req-123");
        Api.alpha().get("/sessions/" + Api.newId()).then().statusCode(404)
                .header("X-Request-Id", org.hamcrest.Matchers.matchesPattern("[0-9a-f-]{36}"));
        Api.alpha().header("X-Request-Id", "bad id with spaces").get("/sessions").then()
                .header("X-Request-Id", org.hamcrest.Matchers.not("bad id with spaces"));
    }

    @Test
    void metricsCountCacheUse() throws InterruptedException {
        Api.awaitRedis("up");
        String cid = Api.newId();
        Api.alpha().body(Map.of("role", "user", "content", "x")).queryParam("create", true).post("/sessions/" + cid + "/messages").then().statusCode(201);
        Api.alpha().get("/sessions/" + cid + "/messages").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("exai_store_cache_hits_total", "exai_store_cache_misses_total",
                "exai_store_cache_fallbacks_total", "exai_store_redis_errors_total");
        assertThat(metrics.lines().filter(l -> l.startsWith("exai_store_cache_hits_total")).findFirst().orElseThrow())
                .doesNotEndWith(" 0.0");
    }

    @Test
    void openApiDocumentsEveryRoute() {
        String document = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().asString();
        assertThat(document).contains("\"/sessions\"", "\"/sessions/{cid}\"", "\"/sessions/{cid}/messages\"", "\"/messages/search\"",
                        "\"/files\"", "\"/files/{id}\"", "\"/files/{id}/content\"", "\"/files/{id}/providers/{provider}\"",
                        "\"/files/{id}/providers/{provider}/content\"", "multipart/form-data")
                .contains("\"post\"", "\"put\"", "\"patch\"", "\"delete\"", "bearer")
                // every operation needs the key, which is opaque (not a JWT), and has a stable id
                .contains("\"security\"", "\"operationId\" : \"SessionResource_context\"", "\"operationId\" : \"UploadRoute_upload\"")
                .doesNotContain("bearerFormat");
    }
}
