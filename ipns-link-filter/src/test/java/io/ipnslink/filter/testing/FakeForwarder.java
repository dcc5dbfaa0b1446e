package io.ipnslink.filter.testing;

import io.ipnslink.filter.Forwarder;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.proxy.ProxyTarget;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A forwarder that answers itself, describing the target it got ({@code proxied /a?b base /ipns/k51.../
 * host ... scheme ... client ... onfail ...}), or fails with a chosen {@link ProxyException.Kind}.
 */
public final class FakeForwarder implements Forwarder {
    public final List<ProxyTarget> targets = new CopyOnWriteArrayList<>();
    public volatile ProxyException.Kind failWith;

    @Override
    public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget t) {
        targets.add(t);
        ProxyException.Kind k = failWith;
        if (k != null) {
            return CompletableFuture.failedFuture(ProxyFailures.of(k, false));
        }
        try {
            HttpServletResponse resp = (HttpServletResponse) async.getResponse();
            byte[] body = ("proxied " + t.pathAndQuery() + " base " + t.publicBasePath() + " host " + t.publicHost()
                    + " scheme " + t.publicScheme() + " client " + t.clientAddress() + " onfail " + t.manifest().onfail())
                    .getBytes(StandardCharsets.UTF_8);
            resp.setStatus(200);
            resp.setContentType("text/plain");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
            async.complete();
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
    }
}
