package io.ipnslink.filter.pipeline;

/**
 * Told once about every request the gateway answered itself (not those passed down the chain),
 * when it ended: after the last byte of the answer, after an error page, after an upgraded
 * connection closed. Called on the thread that ended the request; must not block.
 */
@FunctionalInterface
public interface RequestObserver {
    void ended(RequestMeter meter);
}
