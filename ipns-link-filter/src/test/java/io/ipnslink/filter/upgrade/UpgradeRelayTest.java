package io.ipnslink.filter.upgrade;

import static io.ipnslink.filter.testing.WebSocketChecks.WAIT_SECONDS;
import static io.ipnslink.filter.testing.WebSocketChecks.await;
import static io.ipnslink.filter.testing.WebSocketChecks.crc;
import static io.ipnslink.filter.testing.WebSocketChecks.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import io.ipnslink.filter.testing.WebSocketChecks.Messages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UpgradeRelay} on a real embedded Tomcat between the JDK's WebSocket client (or a raw
 * socket) and Netty sites on loopback ({@link RelayFixture}). Every wait is bounded; a wait that
 * runs out fails with a dump of all threads, so a stall shows where each thread was.
 */
@Timeout(180)
class UpgradeRelayTest {
    @TempDir
    Path dir;
    RelayFixture fixture;
    final ScheduledExecutorService slowReader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-visitor");
        t.setDaemon(true);
        return t;
    });
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void tearDown() throws Exception {
        slowReader.shutdownNow();
        if (fixture != null) {
            fixture.close();
        }
    }

    RelayFixture start() throws Exception {
        fixture = new RelayFixture(dir, UpgradeSettings::defaults);
        return fixture;
    }

    @Test
    void aHundredMebibyteMessagesEchoedOneAfterTheOther() throws Exception {
        start();
        Messages messages = new Messages(null);
        WebSocket ws = await(http.newWebSocketBuilder().buildAsync(fixture.ws("/ws"), messages), "handshake");
        UpgradeRelay relay = (UpgradeRelay) fixture.nextRelay();
        for (int i = 0; i < 100; i++) {
            byte[] m = random(i, 1 << 20);
            await(ws.sendBinary(ByteBuffer.wrap(m), true), "send " + i);
            byte[] echoed = (byte[]) messages.next();
            assertEquals(m.length, echoed.length, "message " + i);
            assertEquals(crc(m), crc(echoed), "message " + i);
        }
        await(ws.sendClose(WebSocket.NORMAL_CLOSURE, "done"), "close");
        assertEquals(WebSocket.NORMAL_CLOSURE, await(messages.closed, "the close answer"));
        UpgradeRelay.Outcome o = await(relay.ended(), "the relay's end");
        assertTrue(o.clean(), o.toString());
        assertTrue(o.bytesToSite() > 100L << 20 && o.bytesToVisitor() > 100L << 20, o.toString());
    }

    @Test
    void twoHundredSocketsAtOnceEachEchoing64KiB() throws Exception {
        start();
        int n = 200;
        List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
        List<Messages> listeners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Messages m = new Messages(null);
            listeners.add(m);
            opening.add(http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(fixture.ws("/ws"), m).toCompletableFuture());
        }
        List<WebSocket> sockets = new ArrayList<>();
        for (CompletableFuture<WebSocket> f : opening) {
            sockets.add(await(f, "handshake"));
        }
        List<byte[]> sent = new ArrayList<>();
        List<CompletableFuture<WebSocket>> sending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] m = random(1000 + i, 64 * 1024);
            sent.add(m);
            sending.add(sockets.get(i).sendBinary(ByteBuffer.wrap(m), true).toCompletableFuture());
        }
        for (CompletableFuture<WebSocket> f : sending) {
            await(f, "send");
        }
        for (int i = 0; i < n; i++) {
            byte[] echoed = (byte[]) listeners.get(i).next();
            assertEquals(crc(sent.get(i)), crc(echoed), "socket " + i);
        }
        for (int i = 0; i < n; i++) {
            sockets.get(i).sendClose(WebSocket.NORMAL_CLOSURE, "");
        }
        for (int i = 0; i < n; i++) {
            assertEquals(WebSocket.NORMAL_CLOSURE, await(listeners.get(i).closed, "close " + i));
        }
        for (int i = 0; i < n; i++) {
            UpgradeRelay.Outcome o = await(((UpgradeRelay) fixture.nextRelay()).ended(), "relay end " + i);
            assertTrue(o.clean(), o.toString());
        }
    }

    /**
     * Both ways at once under backpressure on both ends: the site reads one frame at a time with a
     * pause, the visitor takes each part of an echo after a pause, while the visitor keeps sending.
     * Twenty rounds, 4 MiB each way per round, without a stall.
     */
    @Test
    void bothWaysAtOnceWithASlowReaderOnEachSideTwentyTimes() throws Exception {
        start();
        for (int round = 0; round < 20; round++) {
            Messages messages = new Messages(slowReader);
            WebSocket ws = await(http.newWebSocketBuilder().buildAsync(fixture.ws("/ws?slow"), messages),
                    "handshake, round " + round);
            List<Long> sums = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] m = random(round * 100 + i, 256 * 1024);
                sums.add(crc(m));
                await(ws.sendBinary(ByteBuffer.wrap(m), true), "send " + i + ", round " + round);
            }
            for (int i = 0; i < 16; i++) {
                assertEquals(sums.get(i), crc((byte[]) messages.next()), "echo " + i + ", round " + round);
            }
            await(ws.sendClose(WebSocket.NORMAL_CLOSURE, ""), "close, round " + round);
            assertEquals(WebSocket.NORMAL_CLOSURE, await(messages.closed, "close answer, round " + round));
            assertTrue(await(((UpgradeRelay) fixture.nextRelay()).ended(), "relay end").clean());
        }
    }

    @Test
    void bytesReadBehindThe101ComeFirstAndTheVisitorsEndHalfClosesTheStream() throws Exception {
        start();
        try (RawVisitor v = new RawVisitor(fixture.port(), "/raw")) {
            assertEquals(101, v.status);
            assertEquals(RelayFixture.GREETING, v.read(RelayFixture.GREETING.length()));
            v.write("ping\n");
            assertEquals("ping\n", v.read(5));
            v.socket.shutdownOutput();
            // the site saw the end of its input (a half-close, not a close) and answered
            assertEquals("EOF-SEEN", v.read(8));
            assertEquals(-1, v.in.read());
        }
        UpgradeRelay.Outcome o = await(((UpgradeRelay) fixture.nextRelay()).ended(), "the relay's end");
        assertTrue(o.clean(), o.toString());
        assertEquals(5, o.bytesToSite());
        assertEquals(RelayFixture.GREETING.length() + 5 + 8, o.bytesToVisitor());
    }

    @Test
    void theSitesCloseFrameAndEndReachTheVisitor() throws Exception {
        start();
        Messages messages = new Messages(null);
        WebSocket ws = await(http.newWebSocketBuilder().buildAsync(fixture.ws("/ws"), messages), "handshake");
        UpgradeRelay relay = (UpgradeRelay) fixture.nextRelay();
        await(ws.sendText("hello", true), "send");
        assertEquals("hello", messages.next());
        await(ws.sendText("close-me", true), "send");
        assertEquals(1000, await(messages.closed, "the site's close"));
        assertEquals("site closes", messages.closeReason);
        UpgradeRelay.Outcome o = await(relay.ended(), "the relay's end");
        assertTrue(o.clean(), o.toString());
        assertEquals("the site ended", o.reason());
    }

    @Test
    void theSitesEndClosesARawVisitorsConnection() throws Exception {
        start();
        try (RawVisitor v = new RawVisitor(fixture.port(), "/raw")) {
            assertEquals(RelayFixture.GREETING, v.read(RelayFixture.GREETING.length()));
            v.write("QUIT");
            assertEquals("QUIT", v.read(4));
            UpgradeRelay.Outcome o = await(((UpgradeRelay) fixture.nextRelay()).ended(), "the relay's end");
            assertTrue(o.clean(), o.toString());
            // Tomcat closes an upgraded socket whose streams were closed outside its dispatch at the
            // next event on it: any byte (a WebSocket close frame's answer) or the visitor's FIN
            v.write("x");
            assertEquals(-1, v.readOrReset(), "the visitor's connection ends after the site's");
        }
    }

    @Test
    void aResetFromTheSiteEndsTheRelayAndTheVisitorsConnection() throws Exception {
        start();
        try (RawVisitor v = new RawVisitor(fixture.port(), "/raw")) {
            assertEquals(RelayFixture.GREETING, v.read(RelayFixture.GREETING.length()));
            v.write("RESET");
            UpgradeRelay.Outcome o = await(((UpgradeRelay) fixture.nextRelay()).ended(), "the relay's end");
            assertFalse(o.clean(), o.toString());
            assertTrue(o.reason().startsWith("the site's side failed"), o.reason());
            v.write("x");
            assertEquals(-1, v.readOrReset(), "the visitor's connection ends");
        }
    }

    @Test
    void aResetFromTheVisitorEndsTheRelayAndClosesTheStream() throws Exception {
        start();
        RawVisitor v = new RawVisitor(fixture.port(), "/raw");
        assertEquals(RelayFixture.GREETING, v.read(RelayFixture.GREETING.length()));
        UpgradeRelay relay = (UpgradeRelay) fixture.nextRelay();
        io.netty.channel.Channel stream = fixture.rawStreams.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        v.socket.setSoLinger(true, 0);
        v.close(); // RST
        await(relay.ended(), "the relay's end");
        await(toStage(stream.closeFuture()), "the stream's close");
    }

    static CompletableFuture<Void> toStage(io.netty.channel.ChannelFuture f) {
        CompletableFuture<Void> c = new CompletableFuture<>();
        f.addListener(x -> c.complete(null));
        return c;
    }

    @Test
    void aConnectionWithoutTrafficEndsAfterTheIdleTimeout() throws Exception {
        fixture = new RelayFixture(dir, e -> UpgradeSettings.defaults(e).withIdleTimeout(Duration.ofMillis(300)));
        try (RawVisitor v = new RawVisitor(fixture.port(), "/raw")) {
            assertEquals(RelayFixture.GREETING, v.read(RelayFixture.GREETING.length()));
            UpgradeRelay.Outcome o = await(((UpgradeRelay) fixture.nextRelay()).ended(), "the idle timeout");
            assertFalse(o.clean(), o.toString());
            assertTrue(o.reason().startsWith("no byte in either direction"), o.reason());
            // Tomcat closes an upgraded socket whose streams were closed outside its dispatch at the
            // next event on it (here a byte from the visitor)
            v.write("x");
            assertEquals(-1, v.readOrReset(), "the visitor's connection ends");
        }
    }

    /**
     * A site that reads nothing: the container thread that waits for the last chunk's write is let
     * go at the idle timeout, the relay ends (not clean) and the visitor's connection with it.
     */
    @Test
    void aSiteThatReadsNothingEndsTheRelayAtTheIdleTimeout() throws Exception {
        fixture = new RelayFixture(dir, e -> UpgradeSettings.defaults(e).withIdleTimeout(Duration.ofMillis(500)));
        try (RawVisitor v = new RawVisitor(fixture.port(), "/sink")) {
            assertEquals(101, v.status);
            UpgradeRelay relay = (UpgradeRelay) fixture.nextRelay();
            CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (int i = 0; i < 1024; i++) { // 64 MiB at most, far more than the buffers on the way
                        v.socket.getOutputStream().write(chunk);
                    }
                    return null;
                } catch (IOException e) {
                    return e; // the connection was closed under it
                }
            });
            UpgradeRelay.Outcome o = await(relay.ended(), "the relay's end");
            assertFalse(o.clean(), o.toString());
            assertTrue(o.reason().startsWith("no byte in either direction") || o.reason().startsWith("the site took"),
                    o.reason());
            assertTrue(o.bytesToSite() < 64L << 20, o.toString());
            assertTrue(await(writer, "the visitor's writes to fail") instanceof IOException);
        }
    }

    @Test
    void aVisitorThatReadsNothingHoldsTheSiteBack() throws Exception {
        start();
        UpgradeRelay relay;
        try (RawVisitor v = new RawVisitor(fixture.port(), "/flood")) {
            assertEquals(101, v.status);
            relay = (UpgradeRelay) fixture.nextRelay();
            io.netty.channel.Channel site = fixture.floodChannels.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            // the site turns unwritable once the relay stops reading (checked on the site's own loop)
            CompletableFuture<Void> heldBack = new CompletableFuture<>();
            site.eventLoop().scheduleAtFixedRate(() -> {
                if (!site.isWritable()) {
                    heldBack.complete(null);
                }
            }, 10, 10, TimeUnit.MILLISECONDS);
            await(heldBack, "the site held back");
            // bounded by socket buffers and one read batch, far below what the site wanted to send
            assertTrue(fixture.floodWritten.get() < 64 << 20, "the site wrote " + fixture.floodWritten.get());
            assertTrue(relay.bytesToVisitor() < 64 << 20, "relayed " + relay.bytesToVisitor());
        }
        // the visitor's close ends the relay (the site never ended: not clean)
        assertFalse(await(relay.ended(), "the relay's end").clean());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** A hand-written upgrade request on a plain socket; reads the answer's head. */
    static final class RawVisitor implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final int status;

        RawVisitor(int port, String path) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: Upgrade\r\nUpgrade: raw-echo\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection ended in the head: " + head);
                }
                head.write(c);
            }
            status = Integer.parseInt(head.toString(StandardCharsets.ISO_8859_1).substring(9, 12));
        }

        void write(String s) throws IOException {
            socket.getOutputStream().write(s.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        String read(int n) throws IOException {
            return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
        }

        /** The next byte, or -1 at the end of the stream or a reset. */
        int readOrReset() throws IOException {
            try {
                return in.read();
            } catch (java.net.SocketException reset) {
                return -1;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
