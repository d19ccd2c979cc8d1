package dev.exai.store.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.exai.store.common.ProblemException;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The session room's request parsers, merge patch and history paging, without a server: the API suites stay the proof. */
class RequestParsingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void mergePatchMergesObjectsRemovesNullsAndReplacesTheRest() throws Exception {
        JsonNode merged = MergePatch.apply(json("{\"a\":{\"b\":1,\"c\":2},\"d\":[1],\"e\":\"x\"}"),
                json("{\"a\":{\"b\":null,\"z\":3},\"d\":[2],\"e\":null,\"f\":true}"));
        assertThat(merged).isEqualTo(json("{\"a\":{\"c\":2,\"z\":3},\"d\":[2],\"f\":true}"));
        assertThat(MergePatch.apply(json("{\"a\":1}"), json("[1]"))).isEqualTo(json("[1]"));
        assertThat(MergePatch.apply(null, json("{\"a\":{\"b\":null}}"))).isEqualTo(json("{\"a\":{}}"));
    }

    @Test
    void aMessagePatchNamesMetadataOnly() throws Exception {
        assertThat(SessionRequests.messagePatch(json("{\"metadata\":{\"k\":1}}"))).isEqualTo(json("{\"k\":1}"));
        assertThat(SessionRequests.messagePatch(json("{\"metadata\":null}")).isNull()).isTrue();
        assertThatThrownBy(() -> SessionRequests.messagePatch(json("{\"content\":\"x\"}")))
                .isInstanceOf(ProblemException.class).hasMessageContaining("content cannot be changed");
        assertThatThrownBy(() -> SessionRequests.messagePatch(json("{\"metadata\":5}"))).hasMessageContaining("metadata must be");
        assertThatThrownBy(() -> SessionRequests.messagePatch(json("[]"))).hasMessageContaining("JSON object");
    }

    @Test
    void filtersAreCheckedAndNormalised() {
        assertThat(SessionRequests.metadataFilter("{ \"a\" : 1 }")).isEqualTo("{\"a\":1}");
        assertThat(SessionRequests.metadataFilter(null)).isNull();
        assertThatThrownBy(() -> SessionRequests.metadataFilter("[1]")).hasMessageContaining("metadata must be a JSON object");
        assertThatThrownBy(() -> SessionRequests.metadataFilter("{")).hasMessageContaining("metadata must be a JSON object");
        assertThat(SessionRequests.roleFilter("tool")).isEqualTo("tool");
        assertThatThrownBy(() -> SessionRequests.roleFilter("wizard")).hasMessageContaining("role must be one of");
    }

    @Test
    void historyPagesAscendingDescendingAndLast() {
        List<Long> all = LongStream.rangeClosed(1, 10).boxed().toList();
        HistoryQuery asc = HistoryQuery.ascending(3, 4);
        assertThat(asc.slice(all, 10)).containsExactly(4L, 5L, 6L, 7L);
        assertThat(asc.ranks()).containsExactly(3L, 6L);
        assertThat(HistoryQuery.fromCursor(asc.nextCursor(10, 4), 4).slice(all, 10)).containsExactly(8L, 9L, 10L);
        HistoryQuery desc = HistoryQuery.descending(0, 3);
        assertThat(desc.slice(all, 10)).containsExactly(10L, 9L, 8L);
        HistoryQuery next = HistoryQuery.fromCursor(desc.nextCursor(10, 3), 3);
        assertThat(next.slice(all, 10)).containsExactly(7L, 6L, 5L);
        assertThat(HistoryQuery.descending(2, 5).slice(all, 10)).containsExactly(1L);
        assertThat(HistoryQuery.descending(1, 5).ranks()).containsExactly(null, null);
        assertThat(HistoryQuery.last(3).slice(all, 10)).containsExactly(8L, 9L, 10L);
        assertThat(HistoryQuery.last(30).slice(all, 10)).hasSize(10);
        assertThat(HistoryQuery.last(3).nextCursor(10, 3)).isNull();
        assertThat(HistoryQuery.ascending(8, 2).nextCursor(10, 2)).isNull();
        assertThatThrownBy(() -> HistoryQuery.fromCursor("not-a-cursor", 5)).isInstanceOf(ProblemException.class);
    }
}
