package dev.exai.store.security;

import dev.exai.store.testing.S3rverResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The same file encryption scenarios with blobs in S3-compatible storage (s3rver, whose object files are scanned and
 * altered). Skipped, and said so, on a machine without s3rver; .ci/run installs it.
 */
@QuarkusTest
@TestProfile(S3EncryptedFilesTest.EncryptedS3.class)
@EnabledIf(value = "dev.exai.store.testing.S3rverResource#available", disabledReason = "s3rver is not installed (npm install s3rver)")
class S3EncryptedFilesTest extends EncryptedFilesTest {

    /** Encryption at rest on, blobs in s3rver. */
    public static class EncryptedS3 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return new EncryptionAtRestTest.Encrypted().getConfigOverrides();
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(S3rverResource.class));
        }
    }

    @Override
    protected Path blobStore() {
        return S3rverResource.data().resolve(S3rverResource.BUCKET);
    }

    @Override
    protected Path blobPath(String name) {
        return blobStore().resolve("blobs").resolve(name + "._S3rver_object");
    }
}
