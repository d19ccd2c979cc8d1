package dev.exai.store.file;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Decides a file's content type from what the client said and what the first bytes are. A recognised magic
 * number wins over the client's word (a PDF sent as image/png is stored as application/pdf); bytes that are not
 * text are never stored under a text type (so a browser cannot be tricked into rendering them); otherwise the
 * client's type is kept, defaulting to application/octet-stream.
 */
final class ContentTypes {

    static final String OCTET_STREAM = "application/octet-stream";
    /** How many leading bytes the upload keeps for this check. */
    static final int SNIFF_BYTES = 512;

    private ContentTypes() {
    }

    static String decide(String claimed, byte[] head, int length) {
        String client = normalise(claimed);
        String magic = magic(head, length);
        if (magic != null) {
            boolean sameFamily = client != null && magic.equals("application/zip") && client.startsWith("application/vnd.openxmlformats");
            return sameFamily ? client : magic;
        }
        if (client == null) {
            return looksLikeText(head, length) ? "text/plain" : OCTET_STREAM;
        }
        if (isTextual(client) && !looksLikeText(head, length)) {
            return OCTET_STREAM;
        }
        return client;
    }

    private static String magic(byte[] b, int n) {
        if (starts(b, n, "%PDF-")) {
            return "application/pdf";
        }
        if (n >= 8 && (b[0] & 0xff) == 0x89 && starts(b, n, 1, "PNG")) {
            return "image/png";
        }
        if (n >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return "image/jpeg";
        }
        if (starts(b, n, "GIF87a") || starts(b, n, "GIF89a")) {
            return "image/gif";
        }
        if (starts(b, n, "RIFF") && starts(b, n, 8, "WEBP")) {
            return "image/webp";
        }
        if (n >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) {
            return "application/zip";
        }
        if (n >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
            return "application/gzip";
        }
        return null;
    }

    private static boolean looksLikeText(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                return false;
            }
        }
        try {
            // the sample may end inside a multi-byte character: ignore an incomplete tail
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, 0, Math.max(0, n - (n == SNIFF_BYTES ? 3 : 0))));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean isTextual(String type) {
        return type.startsWith("text/") || type.equals("application/json") || type.endsWith("+json")
                || type.endsWith("+xml") || type.equals("application/xml") || type.equals("application/javascript");
    }

    private static String normalise(String claimed) {
        if (claimed == null || claimed.isBlank()) {
            return null;
        }
        String type = claimed.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.matches("[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+") ? type : null;
    }

    private static boolean starts(byte[] b, int n, String prefix) {
        return starts(b, n, 0, prefix);
    }

    private static boolean starts(byte[] b, int n, int at, String prefix) {
        if (n < at + prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (b[at + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
