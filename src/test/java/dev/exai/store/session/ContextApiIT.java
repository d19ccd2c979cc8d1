package dev.exai.store.session;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link ContextApiTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class ContextApiIT extends ContextApiTest {
}
