package io.ipnslink.exposer;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A router that answers every request with a fixed status and text body, counting requests. */
public final class StubRouter implements AutoCloseable {
    private final HttpServer server;
    public final AtomicInteger requests = new AtomicInteger();

    public StubRouter(int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                if (!ex.getRequestMethod().equals("GET")) {
                    requests.incrementAndGet();
                }
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain");
                ex.sendResponseHeaders(ex.getRequestMethod().equals("GET") ? 404 : status, b.length);
                ex.getResponseBody().write(b);
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
