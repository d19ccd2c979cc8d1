package dev.exai.store.fault;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link DatabaseOutageTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class DatabaseOutageIT extends DatabaseOutageTest {
}
