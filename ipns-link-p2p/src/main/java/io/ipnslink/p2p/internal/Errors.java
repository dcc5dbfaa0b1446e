package io.ipnslink.p2p.internal;

import io.ipnslink.p2p.P2pException;
import io.netty.channel.ConnectTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps whatever a lower layer failed with to the {@link P2pException} hierarchy. */
final class Errors {
    private Errors() {}

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static P2pException toP2p(Throwable t, String context) {
        t = unwrap(t);
        if (t instanceof P2pException p) {
            return p;
        }
        String msg = context + ": " + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        if (t instanceof ConnectTimeoutException || t instanceof io.netty.handler.timeout.TimeoutException
                || t instanceof java.util.concurrent.TimeoutException) {
            P2pException.Timeout e = new P2pException.Timeout(msg);
            e.initCause(t);
            return e;
        }
        if (t instanceof ClosedChannelException) {
            return new P2pException.ConnectionClosed(context + ": channel closed", t);
        }
        if (t instanceof java.io.IOException) {
            return new P2pException.ConnectionClosed(msg, t);
        }
        return new P2pException.ProtocolViolation(msg, t);
    }
}
