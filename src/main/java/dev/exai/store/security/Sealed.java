package dev.exai.store.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One tenant's data key at work: AES-256-GCM through the JDK's own provider (hardware AES where the CPU has it), a
 * fresh 96-bit random nonce per value (random nonces are safe for far more values than one key will seal, 2^32 by
 * NIST's bound), the key id in front so a value names the key that opens it.
 */
final class Sealed {

    /** What every sealed value starts with; no text a client sends may start with it (common/TextInput). */
    static final String MARK = "\u0001E1:";
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<javax.crypto.Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    private final int id;
    private final SecretKeySpec key;
    private final byte[] blindKey;
    private final byte[] blobNameKey;

    Sealed(int id, byte[] key) {
        this.id = id;
        this.key = new SecretKeySpec(key, "AES");
        this.blindKey = hmac(key, "exai-store blind index v1".getBytes(StandardCharsets.UTF_8));
        this.blobNameKey = hmac(key, "exai-store blob name v1".getBytes(StandardCharsets.UTF_8));
    }

    int id() {
        return id;
    }

    static byte[] newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    String seal(String text) {
        byte[] plain = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + NONCE + plain.length + TAG_BITS / 8);
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        out.putInt(id).put(nonce);
        try {
            javax.crypto.Cipher gcm = GCM.get();
            gcm.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            gcm.doFinal(ByteBuffer.wrap(plain), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return MARK + Base64.getEncoder().encodeToString(out.array());
    }

    /** The text of a sealed value's bytes (id, nonce, ciphertext); a value altered or sealed by another key is a 500. */
    String open(byte[] bytes) {
        try {
            javax.crypto.Cipher gcm = GCM.get();
            gcm.init(javax.crypto.Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 4, NONCE));
            byte[] plain = gcm.doFinal(bytes, 4 + NONCE, bytes.length - 4 - NONCE);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw Cipher.unusable("a stored value does not open with data key " + id + " (it was altered)");
        }
    }

    /** Seals one segment of a blob ({@link SealedBlob}) with its own nonce into {@code out}. */
    void sealSegment(byte[] nonce, byte[] plain, int offset, int length, ByteBuffer out) {
        try {
            javax.crypto.Cipher gcm = GCM.get();
            gcm.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            gcm.doFinal(ByteBuffer.wrap(plain, offset, length), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plain bytes of one sealed segment; one altered, moved or cut short does not open (a 500). */
    byte[] openSegment(byte[] nonce, byte[] sealed, int length) {
        try {
            javax.crypto.Cipher gcm = GCM.get();
            gcm.init(javax.crypto.Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            return gcm.doFinal(sealed, 0, length);
        } catch (GeneralSecurityException e) {
            throw Cipher.unusable("a sealed blob's segment does not open with data key " + id + " (it was altered or cut short)");
        }
    }

    /** The name a blob of bytes with this sha256 is stored under: a keyed hash, so names say nothing of the content. */
    String blobName(String sha256) {
        return java.util.HexFormat.of().formatHex(hmac(blobNameKey, sha256.getBytes(StandardCharsets.UTF_8)));
    }

    /** The blind-index key: derived from the data key (HMAC-SHA-256 of a label), so it needs no storage of its own. */
    byte[] blindKey() {
        return blindKey;
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
