package dev.exai.store.file;

import dev.exai.store.testing.S3rverResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The same file scenarios with blobs in S3-compatible storage (s3rver). Skipped, and said so, on a machine
 * without s3rver; .ci/run installs it.
 */
@QuarkusTest
@TestProfile(S3FileApiTest.S3Store.class)
@EnabledIf(value = "dev.exai.store.testing.S3rverResource#available", disabledReason = "s3rver is not installed (npm install s3rver)")
class S3FileApiTest extends FileApiTest {

    /** The test profile that stores blobs in s3rver. */
    public static class S3Store implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(S3rverResource.class));
        }
    }
}
