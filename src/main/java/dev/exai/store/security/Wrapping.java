package dev.exai.store.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The configured key (and the previous ones, during a rotation) wrapping data keys: AES-256-GCM with the tenant as
 * associated data, so a wrapped key moved to another tenant's row does not unwrap. A key is named by its fingerprint
 * (the first 8 bytes of SHA-256 over a label and the key, in hex): stored beside each wrapped key, it says which
 * configured key a data key needs without revealing anything of it.
 */
final class Wrapping {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE = 12;

    private final String currentId;
    private final Map<String, SecretKeySpec> keys;

    private Wrapping(String currentId, Map<String, SecretKeySpec> keys) {
        this.currentId = currentId;
        this.keys = keys;
    }

    /** The keys as configured (base64 of 32 bytes each); {@code current} null: encryption off, previous keys still open. */
    static Wrapping of(String current, List<String> previous) {
        Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        String currentId = null;
        if (current != null && !current.isBlank()) {
            byte[] key = decode(current, "EXAI_STORE_ENCRYPTION_KEY");
            currentId = fingerprint(key);
            keys.put(currentId, new SecretKeySpec(key, "AES"));
        }
        for (String old : previous) {
            if (!old.isBlank()) {
                byte[] key = decode(old.strip(), "EXAI_STORE_ENCRYPTION_PREVIOUS_KEYS");
                keys.putIfAbsent(fingerprint(key), new SecretKeySpec(key, "AES"));
            }
        }
        return new Wrapping(currentId, Map.copyOf(keys));
    }

    private static byte[] decode(String value, String name) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(name + " must be base64 (make one with: openssl rand -base64 32)");
        }
        if (key.length != 32) {
            throw new IllegalStateException(name + " must be 32 bytes in base64 (it is " + key.length + "; openssl rand -base64 32)");
        }
        return key;
    }

    static String fingerprint(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("exai-store key-encryption key".getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(Arrays.copyOf(sha.digest(key), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean enabled() {
        return currentId != null;
    }

    String currentId() {
        return currentId;
    }

    byte[] wrap(String tenant, byte[] dataKey) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(javax.crypto.Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(tenant.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = gcm.doFinal(dataKey);
            byte[] out = Arrays.copyOf(nonce, NONCE + sealed.length);
            System.arraycopy(sealed, 0, out, NONCE, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The data key of a stored row; a 500 saying which key it needs when that key is not configured (or is wrong). */
    byte[] unwrap(DataKeyRows.Stored stored) {
        SecretKeySpec key = keys.get(stored.wrappedBy());
        if (key == null) {
            throw Cipher.unusable("the data key of tenant " + stored.tenant() + " is wrapped by key " + stored.wrappedBy()
                    + ", which is neither EXAI_STORE_ENCRYPTION_KEY (" + (currentId == null ? "not set" : currentId)
                    + ") nor one of EXAI_STORE_ENCRYPTION_PREVIOUS_KEYS");
        }
        try {
            javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(javax.crypto.Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, stored.wrapped(), 0, NONCE));
            gcm.updateAAD(stored.tenant().getBytes(StandardCharsets.UTF_8));
            return gcm.doFinal(stored.wrapped(), NONCE, stored.wrapped().length - NONCE);
        } catch (GeneralSecurityException e) {
            throw Cipher.unusable("the data key of tenant " + stored.tenant() + " does not unwrap with key " + stored.wrappedBy()
                    + " (the row was altered)");
        }
    }
}
