package dev.exai.store.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

/**
 * The OpenAI-compatible chat completions API that Kimi (Moonshot) and GLM (Zhipu) both speak, under the same base URL
 * as their file API: {@code {"model", "messages": [{"role", "content"}], "max_tokens"}} in, {@code {"choices":
 * [{"message": {"content"}}], "usage": {"prompt_tokens", "completion_tokens"}}} out.
 */
@Path("/chat/completions")
public interface ProviderChatApi {

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    Uni<JsonNode> complete(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, JsonNode request);
}
