package dev.exai.store.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * File bytes as the blob store keeps them with encryption on, in segments so that a range is read and opened without
 * the rest of the file: a header ({@link #MAGIC}, the data key's id, a random 7-byte nonce prefix), then the bytes in
 * segments of {@value #SEGMENT} bytes, each sealed with AES-256-GCM under the nonce (prefix, segment number, last-segment
 * flag). That is the online encryption scheme of Tink's streaming AEAD (Hoang, Reyhanitabar, Rogaway and Vizár, "Online
 * authenticated-encryption", 2015): a segment moved, dropped or altered, or a blob cut short, fails to open.
 */
public final class SealedBlob {

    public static final int SEGMENT = 64 * 1024;
    static final byte[] MAGIC = {'E', 'X', 'B', '1'};
    private static final int PREFIX = 7;
    private static final int TAG = 16;
    static final int HEADER = MAGIC.length + 4 + PREFIX;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SealedBlob() {
    }

    /** How many segments hold {@code plainSize} bytes: an empty file has one, empty. */
    static long segments(long plainSize) {
        return Math.max(1, (plainSize + SEGMENT - 1) / SEGMENT);
    }

    /** Where segment {@code i} starts in the sealed blob. */
    static long segmentStart(long i) {
        return HEADER + i * (SEGMENT + TAG);
    }

    /** The size of the sealed blob of {@code plainSize} bytes. */
    static long sealedSize(long plainSize) {
        return HEADER + segments(plainSize) * TAG + plainSize;
    }

    private static byte[] nonce(byte[] prefix, long segment, boolean last) {
        return ByteBuffer.allocate(12).put(prefix).putInt((int) segment).put((byte) (last ? 1 : 0)).array();
    }

    /** Seals one blob as its bytes arrive, in order; one writer per blob. */
    public static final class Writer {
        private final Sealed key;
        private final byte[] prefix = new byte[PREFIX];
        private long segment;
        private boolean started;

        Writer(Sealed key) {
            this.key = key;
            RANDOM.nextBytes(prefix);
        }

        /**
         * The sealed form of the next {@code length} bytes of {@code plain} from {@code offset} (with the header in front
         * the first time): whole segments while more bytes follow, the rest of the blob (any length) when {@code last}.
         */
        public byte[] seal(byte[] plain, int offset, int length, boolean last) {
            if (!last && length % SEGMENT != 0) {
                throw new IllegalArgumentException("only whole segments may be sealed before the last");
            }
            int segments = last ? (int) segments(length) : length / SEGMENT;
            ByteBuffer out = ByteBuffer.allocate((started ? 0 : HEADER) + segments * TAG + length);
            if (!started) {
                out.put(MAGIC).putInt(key.id()).put(prefix);
                started = true;
            }
            for (int i = 0; i < segments; i++) {
                int from = offset + i * SEGMENT;
                int n = Math.min(SEGMENT, offset + length - from);
                key.sealSegment(nonce(prefix, segment++, last && i == segments - 1), plain, from, n, out);
            }
            return out.array();
        }

        /** The name the blob of bytes with this sha256 is stored under, for this tenant. */
        public String blobName(String sha256) {
            return key.blobName(sha256);
        }
    }

    /** The data key id a sealed blob's header names; a 500 when it is no sealed blob's header. */
    static int keyId(byte[] header) {
        if (header.length < HEADER || !Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw Cipher.unusable("a blob named as sealed has no sealed header (it was altered or replaced)");
        }
        return ByteBuffer.wrap(header, MAGIC.length, 4).getInt();
    }

    /**
     * The plain bytes {@code offset .. offset + length - 1} of a sealed blob, read from {@code sealed}, which starts at
     * the segment holding {@code offset}. The first segment is opened at once, so a blob that does not open fails here
     * rather than in the middle of an answer.
     */
    static final class Reader extends InputStream {
        private final Sealed key;
        private final byte[] prefix;
        private final InputStream sealed;
        private final long plainSize;
        private final byte[] buffer = new byte[SEGMENT + TAG];
        private final byte[] one = new byte[1];
        private long segment;
        private long remaining;
        private byte[] plain;
        private int position;

        Reader(Sealed key, byte[] header, InputStream sealed, long plainSize, long offset, long length) throws IOException {
            this.key = key;
            this.prefix = Arrays.copyOfRange(header, MAGIC.length + 4, HEADER);
            this.sealed = sealed;
            this.plainSize = plainSize;
            this.segment = offset / SEGMENT;
            this.remaining = length;
            next();
            position = (int) (offset % SEGMENT);
        }

        /** Where the sealed bytes a reader of this range needs start and end in the blob. */
        static long[] span(long plainSize, long offset, long length) {
            long first = offset / SEGMENT;
            long last = length == 0 ? first : (offset + length - 1) / SEGMENT;
            return new long[] {segmentStart(first), Math.min(segmentStart(last + 1), sealedSize(plainSize))};
        }

        private void next() throws IOException {
            boolean last = segment == segments(plainSize) - 1;
            int length = (int) (last ? plainSize - segment * SEGMENT : SEGMENT) + TAG;
            int read = sealed.readNBytes(buffer, 0, length);
            if (read < length) {
                throw Cipher.unusable("a sealed blob is cut short at segment " + segment);
            }
            plain = key.openSegment(nonce(prefix, segment, last), buffer, length);
            segment++;
            position = 0;
        }

        @Override
        public int read() throws IOException {
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int length) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            if (position == plain.length) {
                next();
            }
            int n = (int) Math.min(Math.min(length, plain.length - position), remaining);
            System.arraycopy(plain, position, into, offset, n);
            position += n;
            remaining -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            sealed.close();
        }
    }
}
