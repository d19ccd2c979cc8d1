package dev.exai.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exai.store.client.ApiClient;
import dev.exai.store.client.ApiException;
import dev.exai.store.client.ApiResponse;
import dev.exai.store.client.api.FilesApi;
import dev.exai.store.client.api.MessagesApi;
import dev.exai.store.client.api.SessionsApi;
import dev.exai.store.client.model.AppendBody;
import dev.exai.store.client.model.AppendResult;
import dev.exai.store.client.model.Context;
import dev.exai.store.client.model.FileView;
import dev.exai.store.client.model.Message;
import dev.exai.store.client.model.MessagePage;
import dev.exai.store.client.model.NewMessage;
import dev.exai.store.client.model.NewSession;
import dev.exai.store.client.model.PageSearchHit;
import dev.exai.store.client.model.Session;
import dev.exai.store.testing.Api;
import dev.exai.store.testing.StoreTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is enough to build a working client: docs/openapi.yaml is the document the service serves
 * (checked here), the build generates a Java client from it (openapi-generator, see pom.xml), and this class runs
 * the README's flow and a file upload and download through that client as generated, with no hand edits.
 */
@QuarkusTest
@QuarkusTestResource(StoreTestResource.class)
class GeneratedClientTest {

    private static final Path COMMITTED = Path.of("docs/openapi.yaml");

    @Test
    void theCommittedDocumentIsTheServedOne() throws Exception {
        String served = RestAssured.given().get("/q/openapi").then().statusCode(200).extract().asString();
        if (!served.equals(Files.readString(COMMITTED))) {
            Path fresh = Path.of("target/openapi.yaml");
            Files.writeString(fresh, served);
            throw new AssertionError(COMMITTED + " differs from the document the service serves; if the change is "
                    + "meant, copy it: cp " + fresh + " " + COMMITTED + " (the client is generated from it)");
        }
    }

    @Test
    void theReadmeFlowRunsThroughTheGeneratedClient() throws Exception {
        SessionsApi sessions = new SessionsApi(client());
        MessagesApi messages = new MessagesApi(client());
        String cid = "client-chat-" + UUID.randomUUID();

        NewSession create = new NewSession().userId("alice").title("Arithmetic").metadata(Map.of("model", "glm-4.6"));
        ApiResponse<Session> created = sessions.sessionResourceGetOrCreateWithHttpInfo(cid, create);
        assertThat(created.getStatusCode()).isEqualTo(201);
        assertThat(created.getData().getContinuationId()).isEqualTo(cid);
        assertThat(created.getData().getMetadata()).isEqualTo(Map.of("model", "glm-4.6"));
        assertThat(sessions.sessionResourceGetOrCreateWithHttpInfo(cid, create).getStatusCode()).isEqualTo(200);

        AppendBody turn = new AppendBody(List.of(
                new NewMessage().role(NewMessage.RoleEnum.USER).content("What is 2 + 2?"),
                new NewMessage().role(NewMessage.RoleEnum.ASSISTANT).content("4").tokenCount(1)));
        ApiResponse<AppendResult> appended = messages.messageResourceAppendWithHttpInfo(cid, turn, null, "demo-turn-1");
        assertThat(appended.getStatusCode()).isEqualTo(201);
        List<Message> stored = appended.getData().getListMessage();
        assertThat(stored).extracting(Message::getSeq).containsExactly(1L, 2L);
        assertThat(stored.get(1).getTokenCount()).isEqualTo(1);
        ApiResponse<AppendResult> replayed = messages.messageResourceAppendWithHttpInfo(cid, turn, null, "demo-turn-1");
        assertThat(replayed.getHeaders()).containsEntry("idempotent-replayed", List.of("true"));
        assertThat(replayed.getData().getListMessage()).extracting(Message::getId)
                .containsExactlyElementsOf(stored.stream().map(Message::getId).toList());

        ApiResponse<MessagePage> history = messages.messageResourceHistoryWithHttpInfo(cid, null, null, null, null, 50,
                null, null, null);
        assertThat(history.getHeaders().get("x-cache")).singleElement().isIn("hit", "miss");
        assertThat(history.getData().getItems()).extracting(Message::getContent).containsExactly("What is 2 + 2?", "4");
        assertThat(history.getData().getNextCursor()).isNull();

        Context context = sessions.sessionResourceContext(cid, null, null, null, 1000, null, null);
        assertThat(context.getMessages()).extracting(Message::getSeq).containsExactly(1L, 2L);
        assertThat(context.getTotals().getMessages()).isEqualTo(2);
        assertThat(context.getNewestExceedsBudget()).isFalse();

        MessagePage last = messages.messageResourceHistory(cid, null, null, null, 1, null, null, null, null);
        assertThat(last.getItems()).extracting(Message::getSeq).containsExactly(2L);
        PageSearchHit hits = messages.messageSearchResourceSearch("2 + 2", cid, null, null, null, null, null, null, null,
                null, null);
        assertThat(hits.getItems()).isNotEmpty().allSatisfy(hit -> assertThat(hit.getContinuationId()).isEqualTo(cid));
    }

    @Test
    void aFileGoesUpAndComesBackThroughTheGeneratedClient() throws Exception {
        FilesApi files = new FilesApi(client());
        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        File upload = Files.write(Files.createTempFile("client-upload", ".bin"), bytes).toFile();

        ApiResponse<FileView> uploaded = files.uploadRouteUploadWithHttpInfo(upload, null, null, "assistants", null,
                null, null);
        assertThat(uploaded.getStatusCode()).isEqualTo(201);
        FileView file = uploaded.getData();
        assertThat(file.getSize()).isEqualTo(bytes.length);
        assertThat(file.getSha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        assertThat(uploaded.getHeaders().get("location")).singleElement().asString().endsWith("/files/" + file.getId());
        assertThat(files.fileResourceGet(file.getId()).getSha256()).isEqualTo(file.getSha256());

        ApiResponse<File> whole = files.fileResourceContentWithHttpInfo(file.getId(), null, null);
        assertThat(whole.getStatusCode()).isEqualTo(200);
        assertThat(Files.readAllBytes(whole.getData().toPath())).isEqualTo(bytes);
        String etag = whole.getHeaders().get("etag").get(0);

        ApiResponse<File> part = files.fileResourceContentWithHttpInfo(file.getId(), null, "bytes=10-19");
        assertThat(part.getStatusCode()).isEqualTo(206);
        assertThat(Files.readAllBytes(part.getData().toPath())).isEqualTo(Arrays.copyOfRange(bytes, 10, 20));

        // a 304 has no body; the generated client reports every answer outside 2xx as an ApiException with its code
        assertThatThrownBy(() -> files.fileResourceContent(file.getId(), etag, null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(304));
        files.fileResourceDelete(file.getId());
        assertThatThrownBy(() -> files.fileResourceGet(file.getId()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(404);
                    assertThat(e.getResponseBody()).contains("\"status\":404");
                });
    }

    private static ApiClient client() {
        ApiClient client = new ApiClient();
        client.setBasePath("http://localhost:" + RestAssured.port);
        client.setBearerToken(Api.ALPHA_KEY);
        return client;
    }
}
