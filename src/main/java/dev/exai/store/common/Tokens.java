package dev.exai.store.common;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Counts the tokens of text that came without a count, once, when it is stored. Kimi's and GLM's tokenizers are
 * tiktoken-style BPEs that are not published as libraries; OpenAI's {@code o200k_base}, through jtokkit, is a fair
 * stand-in (docs/API.md says how far it is from real counts). The vocabulary loads on first use.
 */
@ApplicationScoped
public class Tokens {

    private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    public int count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }
}
