package dev.exai.store.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The one text check every input passes, on its own: what it refuses, what it lets through, and how it names a field. */
class TextInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void refusesNulAndUnpairedSurrogatesAnywhere() {
        assertThatThrownBy(() -> TextInput.checked("a\u0000b", "title")).isInstanceOf(ProblemException.class)
                .hasMessage("title must not contain NUL characters (\\u0000)");
        assertThatThrownBy(() -> TextInput.checked("a\ud800", "title")).hasMessageContaining("unpaired surrogates");
        assertThatThrownBy(() -> TextInput.checked("\udc00a", "title")).hasMessageContaining("unpaired surrogates");
        assertThatThrownBy(() -> TextInput.checked("\ud800\ud800\udc00", "title")).hasMessageContaining("unpaired surrogates");
    }

    @Test
    void refusesTheMarkOfASealedValueAnywhereButNotItsParts() {
        assertThatThrownBy(() -> TextInput.checked("\u0001E1:AAAA", "content")).hasMessageContaining("encrypted values");
        assertThatThrownBy(() -> TextInput.checked("text then \u0001E1:", "content")).hasMessageContaining("encrypted values");
        assertThat(TextInput.checked("\u0001E1 \u0001E2: E1: \u0001", "content")).isNotNull();
    }

    @Test
    void letsEveryOtherTextThrough() {
        assertThat(TextInput.checked("emoji 😀, 中文, tab\t, bell\u0007, \uFFFD", "x")).isNotNull();
        assertThat(TextInput.checked(null, "x")).isNull();
        assertThat(TextInput.checked("", "x")).isEmpty();
    }

    @Test
    void namesTheFieldAtAnyDepthKeysIncluded() throws Exception {
        assertThatThrownBy(() -> TextInput.check(JSON.readTree("{\"metadata\":{\"a\":[1,{\"b\":\"x\\u0000\"}]}}"), ""))
                .hasMessageStartingWith("metadata.a[1].b must not contain");
        assertThatThrownBy(() -> TextInput.check(JSON.readTree("[{\"ok\":\"y\"},{\"tool_name\":\"\\ud800\"}]"), ""))
                .hasMessageStartingWith("[1].tool_name must not contain");
        assertThatThrownBy(() -> TextInput.check(JSON.readTree("{\"metadata\":{\"k\\u0000\":1}}"), ""))
                .hasMessageStartingWith("a key of metadata must not contain");
        assertThatThrownBy(() -> TextInput.check(JSON.readTree("\"\\u0000\""), "")).hasMessageStartingWith("the body must not");
        assertThatCode(() -> TextInput.check(JSON.readTree("{\"a\":[\"😀\",{\"b\":null,\"c\":1.5}]}"), "")).doesNotThrowAnyException();
    }
}
