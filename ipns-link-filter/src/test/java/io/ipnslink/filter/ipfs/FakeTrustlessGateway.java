package io.ipnslink.filter.ipfs;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A trustless gateway on loopback for tests: {@code GET /ipfs/{cid}?format=raw} from a map; CIDs in
 * {@link #tampered} get their block with one bit flipped, CIDs in {@link #stalled} never get an
 * answer (until {@link #close}), everything else unknown a 404.
 */
final class FakeTrustlessGateway implements AutoCloseable {
    final Map<Cid, byte[]> blocks = new ConcurrentHashMap<>();
    final Set<Cid> tampered = ConcurrentHashMap.newKeySet();
    final Set<Cid> stalled = ConcurrentHashMap.newKeySet();
    final AtomicInteger requests = new AtomicInteger();
    final Set<String> accepts = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final HttpServer server;

    FakeTrustlessGateway() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/ipfs/", ex -> {
            requests.incrementAndGet();
            accepts.add(String.valueOf(ex.getRequestHeaders().getFirst("Accept")) + " " + ex.getRequestURI().getQuery());
            Cid cid;
            try {
                cid = Cid.parse(ex.getRequestURI().getPath().substring("/ipfs/".length()));
            } catch (RuntimeException e) {
                ex.sendResponseHeaders(400, -1);
                ex.close();
                return;
            }
            if (stalled.contains(cid)) {
                try {
                    closing.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
                return;
            }
            byte[] data = blocks.get(cid);
            if (data == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            if (tampered.contains(cid)) {
                data = data.clone();
                data[data.length / 2] ^= 1;
            }
            ex.getResponseHeaders().set("Content-Type", "application/vnd.ipld.raw");
            ex.sendResponseHeaders(200, data.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(data);
            }
        });
        server.start();
    }

    void add(Iterable<Block> bs) {
        bs.forEach(b -> blocks.put(b.cid(), b.data()));
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
