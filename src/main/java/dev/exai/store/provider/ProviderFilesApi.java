package dev.exai.store.provider;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.client.api.ClientMultipartForm;

/**
 * The OpenAI-style file API that Kimi (Moonshot) and GLM (Zhipu) both speak: multipart upload with
 * {@code purpose=file-extract}, then the extracted text at {@code /files/{id}/content}.
 */
@Path("/files")
public interface ProviderFilesApi {

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces(MediaType.APPLICATION_JSON)
    Uni<UploadedFile> upload(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, ClientMultipartForm form);

    @GET
    @Path("/{id}/content")
    Uni<String> content(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id);

    /** What the provider answers to an upload: {@code {"id", "object": "file", "bytes", "created_at", "filename", "purpose"}}. */
    record UploadedFile(String id, String object, Long bytes, Long createdAt, String filename, String purpose) {
    }
}
