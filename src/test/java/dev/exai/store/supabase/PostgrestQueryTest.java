package dev.exai.store.supabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exai.store.common.RowQuery;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PostgREST's query string as the door parses it, without a server: filters, quoting, order, window, and its errors. */
class PostgrestQueryTest {

    private static final DoorTable MESSAGES = DoorTable.ALL.get("messages");

    private static PostgrestQuery parse(String... pairs) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            query.computeIfAbsent(pairs[i], k -> new java.util.ArrayList<>()).add(pairs[i + 1]);
        }
        return PostgrestQuery.parse(MESSAGES, query, null);
    }

    @Test
    void filtersNameTheViewsColumnsAndKeepValuesLiterally() {
        PostgrestQuery query = parse("select", "id, content", "conversation_id", "eq.a,b:(c)", "role", "not.in.(user,\"a,b\",\"q\\\"x\")",
                "metadata", "is.NULL", "content", "ilike.*x*");
        assertThat(query.select()).containsExactly("id", "content");
        assertThat(query.rows().filters()).containsExactly(
                new RowQuery.Filter("session_id", RowQuery.Op.EQ, false, List.of("a,b:(c)")),
                new RowQuery.Filter("role", RowQuery.Op.IN, true, List.of("user", "a,b", "q\"x")),
                new RowQuery.Filter("metadata", RowQuery.Op.IS, false, List.of("null")),
                new RowQuery.Filter("content", RowQuery.Op.ILIKE, false, List.of("*x*")));
        assertThat(parse().select()).isEqualTo(MESSAGES.names());
    }

    @Test
    void orderAndWindow() {
        PostgrestQuery query = parse("order", "created_at.desc.nullsfirst,id", "limit", "10", "offset", "20");
        assertThat(query.rows().orders()).containsExactly(new RowQuery.Order("created_at", true, true),
                new RowQuery.Order("id", false, null));
        assertThat(query.rows().limit()).isEqualTo(10L);
        assertThat(query.rows().offset()).isEqualTo(20L);
        PostgrestQuery ranged = PostgrestQuery.parse(MESSAGES, Map.of(), "5-9");
        assertThat(ranged.rows().offset()).isEqualTo(5L);
        assertThat(ranged.rows().limit()).isEqualTo(5L);
    }

    @Test
    void whatDoesNotParseIsPostgrestsError() {
        assertThatThrownBy(() -> parse("nope", "eq.1")).isInstanceOf(PostgrestError.class).extracting("code").isEqualTo("42703");
        assertThatThrownBy(() -> parse("select", "nope")).extracting("code").isEqualTo("42703");
        assertThatThrownBy(() -> parse("role", "approx.user")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("role", "user")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("role", "in.user")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("metadata", "is.maybe")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("or", "(role.eq.user)")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("select", "id,conversations(*)")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("order", "id.sideways")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("limit", "-1")).extracting("code").isEqualTo("PGRST100");
        assertThatThrownBy(() -> parse("columns", "\"colour\"")).extracting("code").isEqualTo("PGRST204");
        assertThatThrownBy(() -> PostgrestQuery.parse(MESSAGES, Map.of(), "9-5")).extracting("code").isEqualTo("PGRST103");
    }
}
