package dev.exai.store.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The README's curl flow, exactly as written between its readme-flow markers, for the tests that run it. */
public final class ReadmeFlow {

    private ReadmeFlow() {
    }

    public static String script() {
        try {
            String readme = Files.readString(Path.of("README.md"));
            int start = readme.indexOf("<!-- readme-flow:start -->");
            int end = readme.indexOf("<!-- readme-flow:end -->");
            if (start < 0 || end < start) {
                throw new IllegalStateException("README.md has no readme-flow markers");
            }
            String block = readme.substring(start, end);
            return block.substring(block.indexOf("```bash") + 7, block.lastIndexOf("```"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
