package dev.exai.store.fault;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link RedisOutageTest} against the packaged application (the jar, or the native executable with {@code -Dnative}). */
@QuarkusIntegrationTest
class RedisOutageIT extends RedisOutageTest {
}
