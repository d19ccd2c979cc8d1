package dev.exai.store.file;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link ProviderTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class ProviderIT extends ProviderTest {
}
