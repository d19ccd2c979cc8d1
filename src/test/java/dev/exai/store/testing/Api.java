package dev.exai.store.testing;

import static io.restassured.RestAssured.given;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.OpenApiValidationFilter;

import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.UUID;

/** Requests as a tenant of the test profile (alpha and beta, see application.properties). */
public final class Api {

    public static final String ALPHA_KEY = "alpha-test-key";
    public static final String BETA_KEY = "beta-test-key";
    /** The test profile's admin key (exai-store.admin-key), the only key /admin routes take. */
    public static final String ADMIN_KEY = "admin-test-key-0123456789";

    static {
        io.restassured.RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
    }

    private Api() {
    }

    public static RequestSpecification alpha() {
        return as(ALPHA_KEY);
    }

    public static RequestSpecification beta() {
        return as(BETA_KEY);
    }

    public static RequestSpecification as(String key) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).filter(contract());
    }

    private static OpenApiValidationFilter contract;

    /**
     * Checks every answer these requests get against the OpenAPI document the service under test serves: a status,
     * content type or body the document does not describe fails the test that got it. Requests are checked too, but
     * only reported (logged): the suites send invalid requests on purpose, to see the service refuse them.
     */
    private static synchronized OpenApiValidationFilter contract() {
        if (contract == null) {
            String document = given().get("/q/openapi").then().statusCode(200).extract().asString();
            contract = new OpenApiValidationFilter(OpenApiInteractionValidator.createForInlineApiSpecification(document)
                    .withLevelResolver(LevelResolver.create()
                            .withLevel("validation.request", ValidationReport.Level.INFO)
                            .withLevel("validation.response", ValidationReport.Level.ERROR)
                            .build())
                    .build());
        }
        return contract;
    }

    /** A client that gives up after {@code millis}: a service that hangs fails the request, not the test run. */
    public static RestAssuredConfig bounded(int millis) {
        return RestAssuredConfig.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.socket.timeout", millis).setParam("http.connection.timeout", millis));
    }

    /**
     * Waits until readiness reports Redis as {@code status} ({@code up} or {@code degraded}). A started service
     * reads Redis only after its first cache lease, so a test that expects cache hits waits for {@code up}.
     */
    public static void awaitRedis(String status) throws InterruptedException {
        awaitRedis(given(), status, Duration.ofSeconds(10));
    }

    /** The same against the service {@code service} points at (a base URI), within {@code limit}. */
    public static void awaitRedis(RequestSpecification service, String status, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String now = given().spec(service).get("/q/health/ready").then().extract().path("checks.find { it.name == 'redis' }.data.status");
            if (status.equals(now)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Redis never reported " + status + " within " + limit);
    }

    public static String newId() {
        return "cid-" + UUID.randomUUID();
    }
}
