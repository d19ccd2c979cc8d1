package dev.exai.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exai.store.common.Database;
import dev.exai.store.common.ProblemException;
import dev.exai.store.security.Principal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens of Storage's signed URLs: a JWT (HS256, as Supabase's are) whose claims name the object
 * ({@code url}: bucket/name), the tenant it belongs to, what it allows (a download, or an upload and whether that
 * may replace) and when it expires. The key is made once and kept in PostgreSQL (migration V16), so every replica
 * checks what another signed and tokens outlive restarts. A token is refused as Supabase refuses one: altered or
 * expired is {@code InvalidJWT}, for another object {@code InvalidSignature}.
 */
@ApplicationScoped
class SignedUrls {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final Database db;
    private final ObjectMapper json;
    private volatile Uni<byte[]> key;

    SignedUrls(Database db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /** What a valid token grants. */
    record Grant(Principal principal, String bucket, String name, boolean upload, boolean upsert) {
    }

    /** A token for {@code bucket/name} of the caller's tenant, valid for {@code seconds}. */
    Uni<String> sign(Principal caller, String bucket, String name, long seconds, boolean upload, boolean upsert) {
        ObjectNode claims = json.createObjectNode();
        claims.put("url", bucket + "/" + name);
        claims.put("tenant", caller.tenant());
        claims.put("iat", Instant.now().getEpochSecond());
        claims.put("exp", Instant.now().getEpochSecond() + seconds);
        if (upload) {
            claims.put("upload", true);
            claims.put("upsert", upsert);
        }
        String unsigned = HEADER + "." + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        return key().map(secret -> unsigned + "." + B64.encodeToString(mac(secret, unsigned)));
    }

    /** The grant of a token presented for {@code bucket/name}, or the Storage refusal. */
    Uni<Grant> check(String token, String bucket, String name, boolean upload) {
        if (token == null || token.isEmpty()) {
            return Uni.createFrom().failure(invalidJwt("token is required"));
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return Uni.createFrom().failure(invalidJwt("jwt malformed"));
        }
        return key().map(secret -> {
            byte[] expected = mac(secret, parts[0] + "." + parts[1]);
            byte[] given;
            JsonNode claims;
            try {
                given = Base64.getUrlDecoder().decode(parts[2]);
                claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw invalidJwt("jwt malformed");
            }
            if (!MessageDigest.isEqual(expected, given) || !parts[0].equals(HEADER)) {
                throw invalidJwt("invalid signature");
            }
            if (claims.path("exp").asLong() <= Instant.now().getEpochSecond()) {
                throw invalidJwt("jwt expired");
            }
            if (!claims.path("url").asText().equals(bucket + "/" + name) || claims.path("upload").asBoolean() != upload) {
                throw new ProblemException(400, "invalid-signature", "Bad Request", "The url do not match the signature");
            }
            return new Grant(new Principal(claims.path("tenant").asText(), "signed-url"), bucket, name, upload,
                    claims.path("upsert").asBoolean());
        });
    }

    /** The signing key: read once, made by the first replica that needs it; a failed read is tried again next time. */
    private Uni<byte[]> key() {
        Uni<byte[]> known = key;
        if (known == null) {
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            known = db.run(pool -> pool.preparedQuery("INSERT INTO door_signing_keys (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                            .execute(Tuple.of(Buffer.buffer(fresh)))
                            .chain(() -> pool.query("SELECT secret FROM door_signing_keys WHERE id = 1").execute()))
                    .map(rows -> rows.iterator().next().getBuffer("secret").getBytes())
                    .memoize().indefinitely();
            key = known;
        }
        Uni<byte[]> used = known;
        return used.onFailure().invoke(e -> {
            if (key == used) {
                key = null;
            }
        });
    }

    private static byte[] mac(byte[] secret, String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(content.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static ProblemException invalidJwt(String message) {
        return new ProblemException(400, "invalid-jwt", "Bad Request", message);
    }
}
