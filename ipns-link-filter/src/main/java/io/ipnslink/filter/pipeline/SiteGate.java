package io.ipnslink.filter.pipeline;

import io.ipnslink.filter.errors.RefusedException;

/**
 * A check a site request passes before its name is resolved: the denylist (451), registered sites
 * only (403), a site's quota (429). Gates run in the order the gateway added them, on whatever
 * thread carries the request at that point (a container thread or a resolver's): a gate must not
 * block on the network; it reads what it needs from memory (refreshed in the background).
 *
 * <p>A gate that takes something for the request's duration (a stream slot of a quota) gives it back
 * with {@link RequestMeter#whenEnded}; when a later gate refuses the request, the request still ends
 * (its meter is handed to the observers), so such slots are always released.
 */
@FunctionalInterface
public interface SiteGate {
    /**
     * @return null to let the request go on, or why it is refused (answered with its status and page)
     */
    RefusedException check(SiteRequest request, RequestMeter meter);
}
