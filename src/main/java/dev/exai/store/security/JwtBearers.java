package dev.exai.store.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.ProblemException;
import dev.exai.store.common.StoreConfig;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * JWT bearers, checked by SmallRye JWT (jose4j underneath): HS256 with {@code exai-store.jwt.secret}, RS256 or ES256
 * with the public keys at {@code exai-store.jwt.public-key-location} (PEM, JWK or JWKS). Each algorithm is checked only
 * with its own key, so {@code alg: none} and swaps (HS256 signed with the public key) fail; {@code exp} is required and
 * {@code exp}/{@code nbf} hold within the leeway; {@code iss} and {@code aud} when configured. The tenant is the
 * configured claim ({@code tenant}). A token that fails is a 401 that says only "expired" or "invalid".
 */
@ApplicationScoped
public class JwtBearers {

    private final JWTParser hmac;
    private final JWTParser publicKey;
    private final String tenantClaim;
    private final long leewaySeconds;
    private final ObjectMapper json;

    public JwtBearers(StoreConfig config, ObjectMapper json) {
        this.json = json;
        StoreConfig.Jwt jwt = config.jwt();
        this.tenantClaim = jwt.tenantClaim();
        this.leewaySeconds = jwt.leeway().toSeconds();
        this.hmac = jwt.secret().map(secret -> {
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 32) {
                throw new IllegalStateException("EXAI_STORE_JWT_SECRET must be at least 32 bytes (HS256)");
            }
            JWTAuthContextInfo info = context(jwt, SignatureAlgorithm.HS256);
            info.setSecretVerificationKey(new SecretKeySpec(bytes, "HmacSHA256"));
            return (JWTParser) new DefaultJWTParser(info);
        }).orElse(null);
        this.publicKey = jwt.publicKeyLocation().map(location -> {
            JWTAuthContextInfo info = context(jwt, SignatureAlgorithm.RS256, SignatureAlgorithm.ES256);
            info.setPublicKeyLocation(location);
            return (JWTParser) new DefaultJWTParser(info);
        }).orElse(null);
    }

    private static JWTAuthContextInfo context(StoreConfig.Jwt jwt, SignatureAlgorithm... algorithms) {
        JWTAuthContextInfo info = new JWTAuthContextInfo();
        info.setSignatureAlgorithm(Set.of(algorithms));
        info.setRequireNamedPrincipal(false); // service tokens (Supabase's service_role) carry no sub
        info.setClockSkew((int) jwt.leeway().toSeconds());
        info.setExpGracePeriodSecs((int) jwt.leeway().toSeconds());
        jwt.issuer().ifPresent(info::setIssuedBy);
        jwt.audience().ifPresent(audience -> info.setExpectedAudience(Set.of(audience)));
        return info;
    }

    /** Whether JWT bearers are accepted at all. */
    public boolean configured() {
        return hmac != null || publicKey != null;
    }

    /** Whether a bearer has the shape of a JWS (three base64url parts, a JSON header first). */
    static boolean looksLikeJwt(String token) {
        return token.startsWith("eyJ") && token.chars().filter(c -> c == '.').count() == 2;
    }

    /** The principal a JWT names; a 401 problem ({@code invalid_token}) when it is not valid. */
    Principal principalOf(String token) {
        JsonNode header = part(token, 0);
        String alg = header == null ? "" : header.path("alg").asText("");
        JWTParser parser = alg.equals("HS256") ? hmac : alg.equals("RS256") || alg.equals("ES256") ? publicKey : null;
        if (parser == null) {
            throw invalid("the token is not valid");
        }
        JsonWebToken verified;
        try {
            verified = parser.parse(token);
        } catch (ParseException e) {
            throw invalid(expired(token) ? "the token has expired" : "the token is not valid");
        }
        Object tenant = verified.getClaim(tenantClaim);
        String name = tenant == null ? null : tenant.toString().replace("\"", "");
        if (name == null || !ApiKeys.TENANT.matcher(name).matches()) {
            throw invalid("the token is not valid");
        }
        String subject = verified.getSubject();
        return new Principal(name, "jwt:" + (subject == null ? "-" : subject));
    }

    /** Whether the (unverified) payload says it expired: only to word the refusal. */
    private boolean expired(String token) {
        JsonNode payload = part(token, 1);
        return payload != null && payload.path("exp").canConvertToLong()
                && payload.path("exp").asLong() + leewaySeconds < System.currentTimeMillis() / 1000;
    }

    private JsonNode part(String token, int index) {
        try {
            return json.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[index]));
        } catch (RuntimeException | java.io.IOException e) {
            return null;
        }
    }

    private static ProblemException invalid(String detail) {
        return new ProblemException(401, "invalid-token", "Unauthorized", detail)
                .withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    }

    /** The principal of a JWT bearer when JWTs are accepted and the token is one; empty otherwise. */
    Optional<Principal> ifJwt(String token) {
        return configured() && token != null && looksLikeJwt(token) ? Optional.of(principalOf(token)) : Optional.empty();
    }
}
