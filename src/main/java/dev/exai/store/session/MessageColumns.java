package dev.exai.store.session;

import dev.exai.store.security.Cipher;
import java.util.List;

/**
 * A batch of messages as the column arrays an {@code unnest} insert takes, with the running token sums continued
 * from {@code tokensBefore} and {@code totalBefore} (with reasoning); {@code tokens} and {@code total} end where the
 * batch does.
 */
final class MessageColumns {
    final String[] roles;
    final String[] contents;
    final String[] metadata;
    final String[] tools;
    final String[] models;
    final String[] providers;
    final Integer[] inputs;
    final Integer[] outputs;
    final String[] files;
    final String[] images;
    final String[] reasonings;
    final String[] pieces;
    final Integer[] counts;
    final Integer[] reasoningCounts;
    final Long[] tokensThrough;
    final Long[] totalThrough;
    long tokens;
    long total;

    MessageColumns(List<NewMessage> messages, int[] tokenCounts, int[] reasoningTokens, long tokensBefore, long totalBefore,
                   boolean blind) {
        int n = messages.size();
        roles = new String[n];
        contents = new String[n];
        metadata = new String[n];
        tools = new String[n];
        models = new String[n];
        providers = new String[n];
        inputs = new Integer[n];
        outputs = new Integer[n];
        files = new String[n];
        images = new String[n];
        reasonings = new String[n];
        pieces = new String[n];
        counts = new Integer[n];
        reasoningCounts = new Integer[n];
        tokensThrough = new Long[n];
        totalThrough = new Long[n];
        tokens = tokensBefore;
        total = totalBefore;
        for (int i = 0; i < n; i++) {
            NewMessage m = messages.get(i);
            roles[i] = m.role();
            contents[i] = m.content();
            metadata[i] = m.metadata();
            tools[i] = m.toolName();
            models[i] = m.model();
            providers[i] = m.provider();
            inputs[i] = m.inputTokens();
            outputs[i] = m.outputTokens();
            files[i] = String.join(",", m.files());
            images[i] = String.join(",", m.images());
            reasonings[i] = m.reasoning();
            pieces[i] = SearchQuery.pieces(m.content(), blind);
            counts[i] = tokenCounts[i];
            reasoningCounts[i] = reasoningTokens[i];
            tokens += tokenCounts[i];
            total += tokenCounts[i] + reasoningTokens[i];
            tokensThrough[i] = tokens;
            totalThrough[i] = total;
        }
    }

    /** The values sealed under the tenant's data key (as they are with encryption off). */
    static String[] sealed(Cipher cipher, String tenant, String[] values) {
        if (!cipher.enabled()) {
            return values;
        }
        String[] sealed = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            sealed[i] = cipher.seal(tenant, values[i]);
        }
        return sealed;
    }
}
