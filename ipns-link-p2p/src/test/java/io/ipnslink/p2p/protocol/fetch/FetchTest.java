package io.ipnslink.p2p.protocol.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** libp2p fetch between our hosts: OK, NOT_FOUND, ERROR, time limit, size limit, malformed requests. */
class FetchTest {
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
    }

    private Host host(ProtocolBinding... bindings) throws Exception {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
        for (ProtocolBinding p : bindings) {
            b.protocol(p);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private Connection connect(Host from, Host to) throws Exception {
        return from.connect(to.peerId(), to.listenAddresses()).get(10, TimeUnit.SECONDS);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void answersFoundNotFoundAndUnknownPrefix() throws Exception {
        FetchService service = new FetchService();
        service.register("/ipns/", key -> new String(key, StandardCharsets.US_ASCII).endsWith("x")
                ? Optional.of(ascii("value")) : Optional.empty());
        service.register("/boom/", key -> {
            throw new IllegalStateException("lookup failed");
        });
        Host server = host(service.binding());
        Connection c = connect(host(), server);
        assertArrayEquals(ascii("value"), Fetch.fetch(c, ascii("/ipns/x"), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)
                .orElseThrow());
        assertFalse(Fetch.fetch(c, ascii("/ipns/y"), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).isPresent());
        Throwable unknown = failure(Fetch.fetch(c, ascii("/other/x"), Duration.ofSeconds(5)));
        assertInstanceOf(P2pException.ProtocolViolation.class, unknown);
        assertTrue(unknown.getMessage().contains("ERROR"), unknown.getMessage());
        assertInstanceOf(P2pException.ProtocolViolation.class, failure(Fetch.fetch(c, ascii("/boom/1"),
                Duration.ofSeconds(5))));
        assertEquals(4, service.served());
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        Host silent = host(ProtocolBinding.of(Fetch.PROTOCOL_ID, s -> { }));
        Connection c = connect(host(), silent);
        assertInstanceOf(P2pException.Timeout.class, failure(Fetch.fetch(c, ascii("/ipns/x"), Duration.ofMillis(300))));
    }

    @Test
    void anOversizedAnswerIsRefused() throws Exception {
        FetchService service = new FetchService();
        service.register("/ipns/", key -> Optional.of(new byte[100_000]));
        Connection c = connect(host(), host(service.binding()));
        Throwable t = failure(Fetch.fetch(c, ascii("/ipns/x"), Duration.ofSeconds(5), 10 * 1024));
        assertInstanceOf(P2pException.ProtocolViolation.class, t);
        assertTrue(t.getMessage().contains("exceeds the limit"), t.getMessage());
    }

    @Test
    void aPeerWithoutFetchIsNoSuchProtocol() throws Exception {
        Connection c = connect(host(), host());
        assertInstanceOf(P2pException.NoSuchProtocol.class, failure(Fetch.fetch(c, ascii("/ipns/x"), Duration.ofSeconds(5))));
    }

    @Test
    void malformedAndOversizedRequestsResetTheStream() throws Exception {
        FetchService service = new FetchService();
        service.register("/ipns/", key -> Optional.of(ascii("v")));
        Host server = host(service.binding());
        Host client = host();
        for (byte[] raw : List.of(new byte[] {(byte) 0x90, (byte) 0x80, 0x01}, // 16 KiB announced
                new byte[] {0x03, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF})) {   // not protobuf
            Stream s = client.newStream(server.peerId(), server.listenAddresses(), Fetch.PROTOCOL_ID)
                    .get(10, TimeUnit.SECONDS);
            s.channel().writeAndFlush(Unpooled.wrappedBuffer(raw));
            assertTrue(s.channel().closeFuture().await(10_000), "stream closed by the server");
        }
        assertEquals(0, service.served());
        // the identifier is bytes: a binary routing key (not UTF-8) goes through
        byte[] binary = new byte[] {'/', 'i', 'p', 'n', 's', '/', 0, 0x24, (byte) 0xFF, (byte) 0x80};
        Connection c = connect(client, server);
        assertArrayEquals(ascii("v"), Fetch.fetch(c, binary, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).orElseThrow());
    }
}
