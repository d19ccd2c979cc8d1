package dev.exai.store.common;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.ClientBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Creates the reactive PostgreSQL pool as Quarkus would, with two changes.
 * <ul>
 * <li>Statements up to 16 KiB of SQL are kept prepared. The Vert.x client prepares and caches only statements shorter
 * than 2,048 characters by default, and Quarkus has no setting for it; the append statement is longer, and re-parsing
 * and re-planning it on every append doubled PostgreSQL's CPU per append (measured with bench/append-limits: 0.69 ms
 * before, 1.58 ms with it unprepared).</li>
 * <li>With several URLs (a primary and its standbys) each new connection goes to the server that takes writes, as
 * libpq's {@code target_session_attrs=read-write} does: the Vert.x client would spread connections over all of them
 * round-robin, and half the appends would land on a standby. When a failover engine promotes a standby, the old
 * primary's connections break, and the pool's new ones find the new primary.</li>
 * </ul>
 */
@Singleton
public class PostgresPool implements PgPoolCreator {

    static final int SQL_LIMIT = 16_384;

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> servers = input.pgConnectOptionsList();
        servers.forEach(options -> options.setPreparedStatementCacheSqlLimit(SQL_LIMIT));
        ClientBuilder<Pool> builder = PgBuilder.pool().with(input.poolOptions()).using(input.vertx());
        if (servers.size() == 1) {
            return builder.connectingTo(servers.get(0)).build();
        }
        return builder.connectingTo(new WritableServer(input.vertx(), servers)).build();
    }

    /** Finds, for each new connection, the first server (the last one found first) that is not in recovery. */
    static final class WritableServer implements Supplier<Future<SqlConnectOptions>> {

        private static final Logger LOG = Logger.getLogger(WritableServer.class);

        private final Vertx vertx;
        private final List<PgConnectOptions> servers;
        private volatile int lastWritable;

        WritableServer(Vertx vertx, List<PgConnectOptions> servers) {
            this.vertx = vertx;
            this.servers = List.copyOf(servers);
        }

        @Override
        public Future<SqlConnectOptions> get() {
            return probe(0, null);
        }

        private Future<SqlConnectOptions> probe(int tried, Throwable lastFailure) {
            if (tried == servers.size()) {
                return Future.failedFuture(new VertxException(
                        "No connection: none of the " + servers.size() + " PostgreSQL servers takes writes", lastFailure));
            }
            int index = (lastWritable + tried) % servers.size();
            PgConnectOptions server = servers.get(index);
            return PgConnection.connect(vertx, server)
                    .compose(connection -> connection.query("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")
                            .execute().eventually(v -> connection.close()))
                    .transform(result -> {
                        if (result.succeeded() && !result.result().iterator().next().getBoolean(0)) {
                            if (index != lastWritable) {
                                LOG.infof("PostgreSQL primary is now %s:%d", server.getHost(), server.getPort());
                                lastWritable = index;
                            }
                            return Future.succeededFuture(server);
                        }
                        Throwable why = result.failed() ? result.cause()
                                : new IllegalStateException(server.getHost() + ":" + server.getPort() + " is read-only");
                        return probe(tried + 1, why);
                    });
        }
    }
}
