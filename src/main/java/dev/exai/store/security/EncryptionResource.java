package dev.exai.store.security;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The admin key's route for rotating the configured encryption key: rewrap the data keys (ops/rotate-key calls it). */
@Path("/admin/encryption")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class EncryptionResource {

    private final Cipher cipher;

    public EncryptionResource(Cipher cipher) {
        this.cipher = cipher;
    }

    @POST
    @Path("/rewrap")
    @Operation(summary = "Rewrap the tenants' data keys with the configured key", description = "Admin key only. After a "
            + "rotation (the new key in EXAI_STORE_ENCRYPTION_KEY, the old one in EXAI_STORE_ENCRYPTION_PREVIOUS_KEYS), wraps "
            + "every data key that an older key wraps with the new one; the data they seal is not rewritten. Answers how many "
            + "were rewrapped, how many are wrapped by a key this service was not given (unreadable: 0 means the old key can "
            + "go) and the fingerprint of the key that wraps them now. 409 with encryption off.")
    public Uni<Cipher.Rewrapped> rewrap(@Context ContainerRequestContext http) {
        return cipher.rewrap(Principal.of(http));
    }
}
