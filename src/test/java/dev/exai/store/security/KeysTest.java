package dev.exai.store.security;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Tenant keys made at run time against real PostgreSQL: made by the admin key and shown once, used at once, listed
 * without the key, two live side by side during a rotation, revoked and refused at once, expired and refused; the
 * admin key refused on tenant routes and tenant keys on admin routes (403); bad requests.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class KeysTest {

    static RequestSpecification admin() {
        return as(Api.ADMIN_KEY);
    }

    @Test
    void aKeyIsMadeUsedListedRotatedAndRevoked() {
        String tenant = "gamma-" + UUID.randomUUID().toString().substring(0, 8);
        JsonPath first = admin().body(Map.of("name", "exai prod")).post("/admin/tenants/" + tenant + "/keys").then().statusCode(201)
                .body("tenant", equalTo(tenant)).body("name", equalTo("exai prod")).body("expires_at", nullValue())
                .extract().jsonPath();
        String key = first.getString("key");
        assertThat(key).startsWith("exai_").hasSize(48);
        assertThat(first.getString("prefix")).isEqualTo(key.substring(0, 12));
        // it works at once, as its own tenant
        String cid = "keyed-" + UUID.randomUUID();
        as(key).put("/sessions/" + cid).then().statusCode(201);
        as(key).get("/sessions/" + cid).then().statusCode(200);
        alpha().get("/sessions/" + cid).then().statusCode(404);
        // listed without the key; stored as a hash only
        admin().get("/admin/tenants/" + tenant + "/keys").then().statusCode(200)
                .body("items.id", equalTo(List.of(first.getString("id")))).body("items[0].prefix", equalTo(key.substring(0, 12)))
                .body("items[0]", not(hasKey("key"))).body("items[0].revoked_at", nullValue());
        // a rotation: a second key works beside the first, then the first is revoked and refused at once
        String second = admin().post("/admin/tenants/" + tenant + "/keys").then().statusCode(201).extract().path("key");
        as(second).get("/sessions/" + cid).then().statusCode(200);
        as(key).get("/sessions/" + cid).then().statusCode(200);
        admin().delete("/admin/tenants/" + tenant + "/keys/" + first.getString("id")).then().statusCode(204);
        as(key).get("/sessions/" + cid).then().statusCode(401).contentType("application/problem+json");
        as(second).get("/sessions/" + cid).then().statusCode(200);
        admin().delete("/admin/tenants/" + tenant + "/keys/" + first.getString("id")).then().statusCode(404);
        admin().get("/admin/tenants/" + tenant + "/keys").then().body("items.size()", equalTo(2))
                .body("items.find { it.id == '" + first.getString("id") + "' }.revoked_at", notNullValue());
    }

    @Test
    void anExpiredKeyIsRefusedAndWhenAKeyWasLastUsedIsRecorded() throws Exception {
        String tenant = "delta-" + UUID.randomUUID().toString().substring(0, 8);
        JsonPath made = admin().body(Map.of("expires_at", Instant.now().plusSeconds(2).toString()))
                .post("/admin/tenants/" + tenant + "/keys").then().statusCode(201).body("expires_at", notNullValue()).extract().jsonPath();
        String key = made.getString("key");
        as(key).get("/sessions").then().statusCode(200);
        long deadline = System.nanoTime() + 10_000_000_000L;
        String lastUsed = null;
        while (lastUsed == null && System.nanoTime() < deadline) { // written in batches every 20 checks (2 s here)
            Thread.sleep(200);
            lastUsed = admin().get("/admin/tenants/" + tenant + "/keys").then().extract().path("items[0].last_used_at");
        }
        assertThat(lastUsed).as("last_used_at").isNotNull();
        while (Instant.parse(made.getString("expires_at")).isAfter(Instant.now())) {
            Thread.sleep(100);
        }
        as(key).get("/sessions").then().statusCode(401);
    }

    @Test
    void eachKindOfKeyIsRefusedOnTheOtherKindOfRoute() {
        admin().get("/sessions").then().statusCode(403).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("/admin"));
        admin().body(Map.of("role", "user", "content", "x")).post("/sessions/x/messages?create=true").then().statusCode(403);
        alpha().get("/admin/tenants/alpha/keys").then().statusCode(403).contentType("application/problem+json");
        given().get("/admin/tenants/alpha/keys").then().statusCode(401).header("WWW-Authenticate", "Bearer");
        as("admin-test-key-wrong-one").get("/admin/tenants/alpha/keys").then().statusCode(401);
    }

    @Test
    void badKeyRequestsAreRefusedAndMakeNothing() {
        String tenant = "eps-" + UUID.randomUUID().toString().substring(0, 8);
        for (Object body : List.of(Map.of("name", "x".repeat(129)), Map.of("name", ""), Map.of("colour", "blue"), List.of(), "text",
                Map.of("expires_at", "2020-01-01T00:00:00Z"), Map.of("expires_at", "tomorrow"), Map.of("expires_at", 5),
                Map.of("name", 7))) {
            admin().body(body).post("/admin/tenants/" + tenant + "/keys").then().statusCode(400).contentType("application/problem+json");
        }
        admin().body(Map.of()).post("/admin/tenants/bad%20tenant/keys").then().statusCode(400);
        admin().get("/admin/tenants/" + tenant + "/keys").then().statusCode(200).body("items.size()", equalTo(0));
        admin().delete("/admin/tenants/" + tenant + "/keys/" + UUID.randomUUID()).then().statusCode(404);
        admin().delete("/admin/tenants/" + tenant + "/keys/not-a-uuid").then().statusCode(404);
    }
}
