package dev.exai.store.security;

import static dev.exai.store.testing.Api.alpha;
import static dev.exai.store.testing.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.Test;

/**
 * JWT bearers against the test profile's keys (an HS256 secret, and a JWKS with an RSA and an EC public key, from
 * src/test/resources/jwt): valid HS256, RS256 and ES256 tokens name their tenant; expired, not yet valid, wrongly
 * signed, unsigned ({@code alg: none}), HS256 signed with the RSA public key, and tenantless tokens are 401s with
 * {@code WWW-Authenticate: Bearer error="invalid_token"} that say only "expired" or "not valid".
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class JwtTest {

    private static final String SECRET = "jwt-test-secret-0123456789-0123456789";

    @Test
    void validTokensOfEachAlgorithmNameTheirTenant() throws Exception {
        String cid = "jwt-" + UUID.randomUUID();
        as(sign("HS256", hmac(SECRET), null, claims("alpha", 300))).put("/sessions/" + cid).then().statusCode(201);
        alpha().get("/sessions/" + cid).then().statusCode(200); // the token's tenant is alpha's
        as(sign("RS256", privateKey("rsa-private.pem", "RSA"), "test-rsa", claims("alpha", 300))).get("/sessions/" + cid)
                .then().statusCode(200);
        as(sign("ES256", privateKey("ec-private.pem", "EC"), "test-ec", claims("alpha", 300))).get("/sessions/" + cid)
                .then().statusCode(200);
        as(sign("HS256", hmac(SECRET), null, claims("beta", 300))).get("/sessions/" + cid).then().statusCode(404);
        // the Supabase door takes it as supabase-py sends a key: the apikey header
        io.restassured.RestAssured.given().header("apikey", sign("HS256", hmac(SECRET), null, claims("alpha", 300)))
                .get("/rest/v1/conversations?select=continuation_id&continuation_id=eq." + cid).then().statusCode(200)
                .body("[0].continuation_id", equalTo(cid));
        io.restassured.RestAssured.given().header("apikey", sign("HS256", hmac(SECRET), null, claims("alpha", -120)))
                .get("/rest/v1/conversations?select=continuation_id").then().statusCode(401);
    }

    @Test
    void everyBadTokenIsA401ThatSaysOnlyExpiredOrInvalid() throws Exception {
        refused(sign("HS256", hmac(SECRET), null, claims("alpha", -120)), "the token has expired");
        Map<String, Object> early = claims("alpha", 600);
        early.put("nbf", now() + 300);
        refused(sign("HS256", hmac(SECRET), null, early), "the token is not valid");
        refused(sign("HS256", hmac("another-secret-0123456789-0123456789"), null, claims("alpha", 300)), "the token is not valid");
        refused(sign("none", null, null, claims("alpha", 300)), "the token is not valid");
        // the swap: HS256 with the RSA public key's text as the shared secret
        refused(sign("HS256", hmac(resource("rsa-public.pem")), "test-rsa", claims("alpha", 300)), "the token is not valid");
        // RS256 signed with the EC key's kid, and a token without a tenant or without exp
        refused(sign("RS256", privateKey("rsa-private.pem", "RSA"), "test-ec", claims("alpha", 300)), "the token is not valid");
        Map<String, Object> tenantless = claims("alpha", 300);
        tenantless.remove("tenant");
        refused(sign("HS256", hmac(SECRET), null, tenantless), "the token is not valid");
        Map<String, Object> endless = claims("alpha", 300);
        endless.remove("exp");
        refused(sign("HS256", hmac(SECRET), null, endless), "the token is not valid");
        Map<String, Object> oddTenant = claims("alpha", 300);
        oddTenant.put("tenant", "not a tenant!");
        refused(sign("HS256", hmac(SECRET), null, oddTenant), "the token is not valid");
    }

    private static void refused(String token, String detail) {
        as(token).get("/sessions").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\"").body("detail", equalTo(detail))
                .body("detail", containsString("token"));
    }

    private static Map<String, Object> claims(String tenant, long expiresIn) {
        Map<String, Object> claims = new HashMap<>();
        claims.put("tenant", tenant);
        claims.put("role", "service_role");
        claims.put("iat", now());
        claims.put("exp", now() + expiresIn);
        return claims;
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static String sign(String alg, Key key, String kid, Map<String, Object> claims) throws Exception {
        JwtClaims body = new JwtClaims();
        claims.forEach(body::setClaim);
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(body.toJson());
        jws.setAlgorithmHeaderValue(alg);
        if (kid != null) {
            jws.setKeyIdHeaderValue(kid);
        }
        if (key == null) {
            jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
        } else {
            jws.setKey(key);
            jws.setDoKeyValidation(false);
        }
        return jws.getCompactSerialization();
    }

    private static Key hmac(String secret) {
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    private static Key privateKey(String name, String type) throws Exception {
        String pem = resource(name).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = JwtTest.class.getResourceAsStream("/jwt/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
