package io.ipnslink.filter;

import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.errors.GatewayErrors;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.Route;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site request on its way through the gateway: route -> resolve -> manifest check -> forward
 * -> respond ({@link IpnsLinkFilter}). It carries what every step needs and is the one completion
 * point of the request: {@link #fail} answers a failure ({@link GatewayErrors}) and ends async
 * mode, {@link #complete} ends it after an answer, {@link #pass} hands the request on.
 */
final class RequestContext {
    private static final Logger LOG = LoggerFactory.getLogger(RequestContext.class);

    final Gateway gateway;
    /** Request id for log lines and error pages. */
    final String id;
    final HttpServletRequest request;
    final HttpServletResponse response;
    final FilterChain chain;
    /** The request as the visitor made it (scheme, host, client address, Accept). */
    final PublicRequest publicRequest;
    /** Its route: the name, the site's target and the public base path. */
    final Route.Site site;
    /** Async mode, once started; null while the request is still on the container's thread. */
    private volatile AsyncContext async;
    /** The site's manifest, once known (error pages use its onfail target). */
    private volatile Manifest manifest;

    RequestContext(Gateway gateway, String id, HttpServletRequest request, HttpServletResponse response,
            FilterChain chain, PublicRequest publicRequest, Route.Site site) {
        this.gateway = gateway;
        this.id = id;
        this.request = request;
        this.response = response;
        this.chain = chain;
        this.publicRequest = publicRequest;
        this.site = site;
    }

    /** The async context, or null while the request is still on the container's thread. */
    AsyncContext async() {
        return async;
    }

    /** Async mode (started once; later calls return the same context). */
    AsyncContext startAsync() {
        AsyncContext a = async;
        if (a == null) {
            a = IpnsLinkFilter.startAsync(request, response, gateway);
            async = a;
        }
        return a;
    }

    void manifest(Manifest m) {
        this.manifest = m;
    }

    /** What an error page about this request needs. */
    GatewayErrors.Context errorContext() {
        return IpnsLinkFilter.context(id, publicRequest, manifest, site);
    }

    /** Not ours after all: down the chain (on the container's thread) or through an async dispatch. */
    void pass() throws IOException, ServletException {
        request.setAttribute(IpnsLinkFilter.PASS_ATTRIBUTE, Boolean.TRUE);
        AsyncContext a = async;
        if (a == null) {
            chain.doFilter(request, response);
        } else {
            a.dispatch();
        }
    }

    /**
     * The request failed: counted, answered (unless the response was committed or there is nothing
     * to say, as when the visitor is gone) and, in async mode, completed.
     */
    void fail(Throwable error) {
        gateway.stats.failed(error);
        io.ipnslink.filter.pipeline.RequestMeter meter = io.ipnslink.filter.pipeline.RequestMeter.of(request);
        if (meter != null) {
            meter.failure(GatewayStats.kind(error));
        }
        try {
            GatewayErrors.Context ctx = errorContext();
            GatewayErrors.Answer a = GatewayErrors.answer(error, ctx);
            LOG.debug("[{}] failure {} -> {}", id, error, a);
            if (a instanceof GatewayErrors.Answer.Nothing) {
                return; // the proxy ended the response itself
            }
            if (!response.isCommitted()) {
                GatewayErrors.write(response, a, ctx);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] writing the error answer failed: {}", id, e.toString());
        }
        complete();
    }

    /** Ends async mode (nothing to do on the container's thread). */
    void complete() {
        IpnsLinkFilter.complete(async);
    }

    boolean redirectMode() {
        return gateway.config.mode() == GatewayConfig.Mode.REDIRECT;
    }
}
