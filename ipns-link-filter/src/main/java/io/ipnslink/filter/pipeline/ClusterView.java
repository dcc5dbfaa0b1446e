package io.ipnslink.filter.pipeline;

/**
 * How many gateways serve together right now (those sharing this one's database and alive): a
 * limit meant for the whole cluster (a site's requests per second) is shared out among them.
 */
@FunctionalInterface
public interface ClusterView {
    /** One gateway alone. */
    ClusterView SINGLE = () -> 1;

    /** Live gateways, this one included (at least 1). */
    int gateways();
}
