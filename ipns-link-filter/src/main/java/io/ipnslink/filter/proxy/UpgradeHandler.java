package io.ipnslink.filter.proxy;

import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

/**
 * The servlet side of an upgraded connection to a site: the container creates it in
 * {@code HttpServletRequest.upgrade}, the proxy attaches the site's stream, and once the 101 is
 * sent the container hands over the visitor's connection ({@link #init}). Public with a public
 * no-argument constructor because the container instantiates it.
 */
public final class UpgradeHandler implements HttpUpgradeHandler {
    private volatile UpgradeExchange exchange;

    public UpgradeHandler() {
        // made by the container
    }

    void attach(UpgradeExchange e) {
        this.exchange = e;
    }

    @Override
    public void init(WebConnection wc) {
        UpgradeExchange e = exchange;
        if (e == null) {
            try {
                wc.close();
            } catch (Exception ignored) {
                // nothing attached: nothing to pipe
            }
            return;
        }
        e.start(wc);
    }

    @Override
    public void destroy() {
        UpgradeExchange e = exchange;
        if (e != null) {
            e.end(false);
        }
    }
}
