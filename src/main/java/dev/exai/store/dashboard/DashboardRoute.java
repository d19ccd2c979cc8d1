package dev.exai.store.dashboard;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The operator's dashboard lives in {@code META-INF/resources/dashboard/} as static files (served by the
 * service itself, with uPlot from its WebJar) and calls only the public API with the key the operator types,
 * so it needs no endpoint of its own: this only sends {@code /dashboard} to the page.
 */
@ApplicationScoped
public class DashboardRoute {

    void register(@Observes Router router) {
        router.getWithRegex("/dashboard").handler(context -> context.redirect("/dashboard/")); // exactly, not "/dashboard/"
    }
}
