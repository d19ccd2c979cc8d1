package dev.exai.store.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points the service under test at a fresh database and at Redis, each through a {@link TcpProxy} the
 * fault tests can cut, and at {@link FakeProviders} for Kimi and GLM. Both proxies are reachable from tests through {@link #postgresProxy()} and
 * {@link #redisProxy()}.
 */
public class StoreTestResource implements QuarkusTestResourceLifecycleManager {

    private static TcpProxy postgresProxy;
    private static TcpProxy redisProxy;
    private static String database;

    @Override
    public Map<String, String> start() {
        database = TestServers.createDatabase("exai_test");
        postgresProxy = new TcpProxy(TestServers.postgres());
        redisProxy = new TcpProxy(TestServers.redis());
        FakeProviders providers = FakeProviders.get();
        return Map.of(
                "quarkus.datasource.reactive.url", "postgresql://" + postgresProxy.address() + "/" + database,
                "quarkus.datasource.username", "postgres",
                "quarkus.redis.hosts", "redis://" + redisProxy.address() + "/0",
                "exai-store.providers.kimi.url", providers.url("kimi"),
                "exai-store.providers.kimi.api-key", FakeProviders.KIMI_KEY,
                "exai-store.providers.glm.url", providers.url("glm"),
                "exai-store.providers.glm.api-key", FakeProviders.GLM_KEY);
    }

    @Override
    public void stop() {
        postgresProxy.close();
        redisProxy.close();
    }

    public static TcpProxy postgresProxy() {
        return postgresProxy;
    }

    public static TcpProxy redisProxy() {
        return redisProxy;
    }

    /** The database this test run's service uses. */
    public static String database() {
        return database;
    }
}
