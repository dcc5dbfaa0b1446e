/**
 * The points where the operations parts of the gateway join a site request, without knowing each
 * other: {@link io.ipnslink.filter.pipeline.SiteGate}s run before a name is resolved (denylist,
 * registered sites, quotas) and may refuse it; a {@link io.ipnslink.filter.pipeline.DomainMap}
 * maps custom domains to sites before DNSLink is asked; every request the gateway answers itself
 * carries a {@link io.ipnslink.filter.pipeline.RequestMeter}, handed to each
 * {@link io.ipnslink.filter.pipeline.RequestObserver} once when the request ended (metrics, usage).
 */
package io.ipnslink.filter.pipeline;
