package dev.exai.store.session;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link MessageApiTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class MessageApiIT extends MessageApiTest {
}
