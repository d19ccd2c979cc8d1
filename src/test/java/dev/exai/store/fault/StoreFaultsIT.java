package dev.exai.store.fault;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link StoreFaultsTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class StoreFaultsIT extends StoreFaultsTest {
}
