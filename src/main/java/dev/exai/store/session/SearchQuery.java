package dev.exai.store.session;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A search string split the way the index is built ({@code exai_search_document} in migration V7): runs of
 * scripts written without spaces (Chinese, Japanese, Korean, Thai, ...) become phrases of overlapping
 * two-character pieces for the {@code simple} configuration, and the rest goes to {@code websearch_to_tsquery}
 * with the {@code english} configuration (stemming, quotes, {@code or}, {@code -word}). All parts must match.
 */
final class SearchQuery {

    /** The same ranges as the SQL function; a change must be made in both (and the index rebuilt). */
    static final Pattern UNSPACED = Pattern.compile(
            "[\\u0e00-\\u0eff\\u1000-\\u109f\\u1780-\\u17ff\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\uff66-\\uff9f]+");
    static final String MARK = "<mark>";
    static final String UNMARK = "</mark>";
    private static final int SNIPPET_BEFORE = 30;
    private static final int SNIPPET_AFTER = 90;

    /** How much of a message is searchable, in characters (PostgreSQL's {@code left(content, 262144)}). */
    static final int SEARCHED_CHARS = 262_144;

    /** The text for {@code websearch_to_tsquery('english', ...)}: empty when the query has no such words. */
    final String words;
    /** The text for {@code to_tsquery('simple', ...)}: empty when the query has no unspaced-script terms. */
    final String pieces;
    /** The unspaced-script terms as typed, to highlight. */
    final List<String> terms;

    private SearchQuery(String words, String pieces, List<String> terms) {
        this.words = words;
        this.pieces = pieces;
        this.terms = terms;
    }

    /**
     * {@code blind} (encryption on, the index holds hashes): a single character is looked up as itself, since a hash
     * has no prefixes; {@link #pieces} indexes every character alone for it.
     */
    /**
     * The SQL of a query that needs both parts, where either may be absent (NULL): {@code words} and {@code pieces} are
     * SQL tsquery expressions over this query's {@link #words} and {@link #pieces}.
     */
    static String both(String words, String pieces) {
        return "coalesce(" + words + " && " + pieces + ", " + words + ", " + pieces + ")";
    }

    static SearchQuery parse(String q, boolean blind) {
        Matcher m = UNSPACED.matcher(q);
        List<String> terms = new ArrayList<>();
        List<String> phrases = new ArrayList<>();
        while (m.find()) {
            String term = m.group();
            terms.add(term);
            phrases.add(phrase(term, blind));
        }
        String words = m.replaceAll(" ").strip();
        return new SearchQuery(words, String.join(" & ", phrases), List.copyOf(terms));
    }

    /**
     * What a message adds to the index for its unspaced-script runs, as {@code exai_cjk_bigrams} in migration V7
     * computes it: each run's overlapping two-character pieces and its last character, space-separated. Computed here
     * because Java does it in about a microsecond, where the SQL function costs tens on every append. {@code blind}: every
     * character alone follows, for single-character queries of a blind index.
     */
    static String pieces(String content, boolean blind) {
        int limit = content.codePointCount(0, content.length()) <= SEARCHED_CHARS ? content.length()
                : content.offsetByCodePoints(0, SEARCHED_CHARS);
        Matcher m = UNSPACED.matcher(content).region(0, limit);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int[] chars = m.group().codePoints().toArray();
            for (int i = 0; i < chars.length; i++) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.appendCodePoint(chars[i]);
                if (i + 1 < chars.length) {
                    out.appendCodePoint(chars[i + 1]);
                }
            }
        }
        if (blind) {
            m.reset();
            m.region(0, limit);
            while (m.find()) {
                m.group().codePoints().forEach(c -> out.append(' ').appendCodePoint(c));
            }
        }
        return out.toString();
    }

    /** One character: any piece starting with it; more: its pieces, each right after the one before. */
    private static String phrase(String term, boolean blind) {
        int[] chars = term.codePoints().toArray();
        if (chars.length == 1) {
            return "'" + term + "'" + (blind ? "" : ":*");
        }
        List<String> pieces = new ArrayList<>(chars.length - 1);
        for (int i = 0; i + 1 < chars.length; i++) {
            pieces.add("'" + new String(chars, i, 2) + "'");
        }
        return "(" + String.join(" <-> ", pieces) + ")";
    }

    /**
     * The hit's snippet: PostgreSQL's headline when the query had words (it knows their stems), else a window of the
     * content around the first term; either way with every unspaced-script term marked too.
     */
    String snippet(String headline, String content) {
        if (headline != null) {
            return markTerms(headline);
        }
        int at = -1;
        for (String term : terms) {
            int i = content.indexOf(term);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at < 0) {
            at = 0;
        }
        int start = Math.max(0, at - SNIPPET_BEFORE);
        int end = Math.min(content.length(), at + SNIPPET_AFTER);
        if (start > 0 && Character.isLowSurrogate(content.charAt(start))) {
            start--;
        }
        if (end < content.length() && Character.isLowSurrogate(content.charAt(end))) {
            end++;
        }
        return (start > 0 ? "…" : "") + markTerms(content.substring(start, end)) + (end < content.length() ? "…" : "");
    }

    /** Wraps each occurrence of a term in marks, the longest term first where several start at one place. */
    private String markTerms(String text) {
        if (terms.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        int i = 0;
        while (i < text.length()) {
            String found = null;
            for (String term : terms) {
                if (text.startsWith(term, i) && (found == null || term.length() > found.length())) {
                    found = term;
                }
            }
            if (found == null) {
                out.append(text.charAt(i++));
            } else {
                out.append(MARK).append(found).append(UNMARK);
                i += found.length();
            }
        }
        return out.toString();
    }
}
