package io.ipnslink.filter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32;

/**
 * WebSocket checks against a {@link WebSocketEchoOrigin} reached through a gateway, shared by the
 * filter's end-to-end test and the WAR tests in each container. Every wait is bounded
 * ({@link #WAIT_SECONDS}); a wait that runs out fails with a dump of all threads, so a stall fails
 * (and shows where each thread was) instead of hanging.
 */
public final class WebSocketChecks {
    /** Longest wait for any one event (a handshake, a send, an echo, a close). */
    public static final long WAIT_SECONDS = 30;
    /** Handshakes under way at once in {@link #concurrentEchoes}: below the gateway's default {@code max-streams-per-origin} (64). */
    public static final int HANDSHAKES_AT_ONCE = 32;

    private WebSocketChecks() {}

    /**
     * One WebSocket, {@code count} binary messages of {@code size} random bytes sent one after the
     * other, each echo's length and CRC-32 compared with the message's; then a clean close.
     */
    public static void sequentialEchoes(HttpClient http, URI ws, int count, int size) throws Exception {
        Messages messages = new Messages(null);
        WebSocket socket = await(http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(ws, messages), "handshake " + ws);
        assertEquals(WebSocketEchoOrigin.GREETING, messages.next("the greeting"));
        for (int i = 0; i < count; i++) {
            byte[] m = random(i, size);
            await(socket.sendBinary(ByteBuffer.wrap(m), true), "send " + i);
            byte[] echoed = assertInstanceOf(byte[].class, messages.next("echo " + i));
            assertEquals(m.length, echoed.length, "echo " + i);
            assertEquals(crc(m), crc(echoed), "echo " + i);
        }
        close(socket, messages, "");
    }

    /**
     * {@code sockets} WebSockets open at the same time, each echoing one binary message of
     * {@code size} random bytes (all sent at once, CRC-32 of each echo checked), then all closed.
     * At most {@link #HANDSHAKES_AT_ONCE} handshakes are under way at a time (the gateway counts a
     * request against {@code max-streams-per-origin} until the site's 101 only); every socket stays
     * open until all echoes came back.
     */
    public static void concurrentEchoes(HttpClient http, URI ws, int sockets, int size) throws Exception {
        Semaphore handshakes = new Semaphore(HANDSHAKES_AT_ONCE);
        List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
        List<Messages> listeners = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            assertTrue(handshakes.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS), "stalled: handshakes under way\n"
                    + threadDump());
            Messages m = new Messages(null);
            listeners.add(m);
            CompletableFuture<WebSocket> f = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(ws, m).toCompletableFuture();
            f.whenComplete((s, e) -> handshakes.release());
            opening.add(f);
        }
        List<WebSocket> open = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            open.add(await(opening.get(i), "handshake " + i));
        }
        for (int i = 0; i < sockets; i++) {
            assertEquals(WebSocketEchoOrigin.GREETING, listeners.get(i).next("greeting " + i));
        }
        List<Long> sums = new ArrayList<>();
        List<CompletableFuture<WebSocket>> sending = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            byte[] m = random(10_000 + i, size);
            sums.add(crc(m));
            sending.add(open.get(i).sendBinary(ByteBuffer.wrap(m), true).toCompletableFuture());
        }
        for (int i = 0; i < sockets; i++) {
            await(sending.get(i), "send " + i);
        }
        for (int i = 0; i < sockets; i++) {
            byte[] echoed = assertInstanceOf(byte[].class, listeners.get(i).next("echo " + i));
            assertEquals(size, echoed.length, "socket " + i);
            assertEquals(sums.get(i), crc(echoed), "socket " + i);
        }
        for (int i = 0; i < sockets; i++) {
            open.get(i).sendClose(WebSocket.NORMAL_CLOSURE, "");
        }
        for (int i = 0; i < sockets; i++) {
            assertEquals(WebSocket.NORMAL_CLOSURE, await(listeners.get(i).closed, "close " + i));
        }
    }

    /**
     * The origin refuses the upgrade ({@code /refuse}: 403 with {@link WebSocketEchoOrigin#REFUSAL}):
     * the visitor gets that answer, as a raw handshake and as the JDK client's failed handshake.
     */
    public static void refusal(HttpClient http, URI wsRefuse, int port, String host) throws Exception {
        RawUpgrade r = RawUpgrade.open(port, host, wsRefuse.getRawPath());
        try (r) {
            assertEquals(403, r.status, r.head);
            assertEquals(WebSocketEchoOrigin.REFUSAL, r.body(), r.head);
            assertTrue(r.head.toLowerCase(Locale.ROOT).contains("via: 1.1 ipns-link"), r.head);
        }
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> http.newWebSocketBuilder().buildAsync(wsRefuse, new Messages(null))
                        .get(WAIT_SECONDS, TimeUnit.SECONDS));
        WebSocketHandshakeException h = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(403, h.getResponse().statusCode());
    }

    /** Sends a close and waits for the origin's answering close (1000). */
    public static void close(WebSocket socket, Messages messages, String reason) throws Exception {
        await(socket.sendClose(WebSocket.NORMAL_CLOSURE, reason), "close");
        assertEquals(WebSocket.NORMAL_CLOSURE, await(messages.closed, "the close answer"));
    }

    public static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    /** The future's value within {@link #WAIT_SECONDS}; a stall fails with every thread's stack. */
    public static <T> T await(CompletionStage<T> stage, String what) throws Exception {
        try {
            return stage.toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) {
                throw new AssertionError(what + ": handshake refused: " + h.getResponse().statusCode() + " "
                        + h.getResponse().headers().map() + " " + h.getCause(), e);
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("stalled: " + what + " not within " + WAIT_SECONDS + " s\n" + threadDump());
        }
    }

    public static String threadDump() {
        StringBuilder sb = new StringBuilder();
        long[] deadlocked = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        sb.append("deadlocked threads: ").append(deadlocked == null ? "none" : deadlocked.length).append('\n');
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            sb.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
            if (t.getLockName() != null) {
                sb.append(" on ").append(t.getLockName()).append(" owned by ").append(t.getLockOwnerName());
            }
            sb.append('\n');
            for (StackTraceElement e : t.getStackTrace()) {
                sb.append("    at ").append(e).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Collects whole messages (String or byte[]) and the close status. With a scheduler, each next
     * part is requested only after a pause on it (a slow reader: the client's input backs up).
     */
    public static final class Messages implements WebSocket.Listener {
        public final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        public final CompletableFuture<Integer> closed = new CompletableFuture<>();
        /** The reason of the close frame received, once it came. */
        public volatile String closeReason;
        private final ScheduledExecutorService slow;
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        public Messages(ScheduledExecutorService slow) {
            this.slow = slow;
        }

        /** The next whole message within {@link #WAIT_SECONDS}. */
        public Object next() throws InterruptedException {
            return next("a message");
        }

        /** The next whole message within {@link #WAIT_SECONDS}; {@code what} names it in the failure. */
        public Object next(String what) throws InterruptedException {
            Object o = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (o == null) {
                throw new AssertionError("stalled: " + what + " not within " + WAIT_SECONDS + " s\n" + threadDump());
            }
            return o;
        }

        private void more(WebSocket ws) {
            if (slow == null) {
                ws.request(1);
            } else {
                slow.schedule(() -> ws.request(1), 1, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                queue.add(text.toString());
                text.setLength(0);
            }
            more(ws);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                queue.add(binary.toByteArray());
                binary.reset();
            }
            more(ws);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    /**
     * A WebSocket handshake written by hand on a plain socket to 127.0.0.1, so that any
     * {@code Host} can be sent (the JDK client takes it from the URI; {@code *.localhost} need not
     * resolve). After a 101 it speaks RFC 6455 frames itself (masked, unfragmented).
     */
    public static final class RawUpgrade implements AutoCloseable {
        public final int status;
        public final String head;
        private final Socket socket;
        private final DataInputStream in;
        private final OutputStream out;
        private final Random masks = new Random(7);

        private RawUpgrade(Socket socket, int status, String head) throws IOException {
            this.socket = socket;
            this.status = status;
            this.head = head;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        public static RawUpgrade open(int port, String host, String pathAndQuery) throws IOException {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                s.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAccept: text/plain\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int c = in.read();
                    assertTrue(c >= 0, "connection ended in the head: " + head);
                    head.write(c);
                }
                String h = head.toString(StandardCharsets.ISO_8859_1);
                return new RawUpgrade(s, Integer.parseInt(h.substring(9, 12)), h);
            } catch (IOException | RuntimeException | Error e) {
                s.close();
                throw e;
            }
        }

        /** The answer's Content-Length body (for an answer other than 101). */
        public String body() throws IOException {
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        /** Writes one masked frame with FIN set. */
        public void send(int opcode, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
            f.write(0x80 | opcode);
            if (payload.length < 126) {
                f.write(0x80 | payload.length);
            } else if (payload.length < 65536) {
                f.write(0x80 | 126);
                f.write(payload.length >>> 8);
                f.write(payload.length & 0xff);
            } else {
                f.write(0x80 | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    f.write((int) (((long) payload.length >>> shift) & 0xff));
                }
            }
            byte[] mask = new byte[4];
            masks.nextBytes(mask);
            f.writeBytes(mask);
            for (int i = 0; i < payload.length; i++) {
                f.write(payload[i] ^ mask[i & 3]);
            }
            out.write(f.toByteArray());
            out.flush();
        }

        /** A frame from the server (unmasked, FIN set): opcode and payload. */
        public record Frame(int opcode, byte[] payload) {}

        public Frame read() throws IOException {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            assertEquals(0x80, b0 & 0x80, "a whole frame (FIN)");
            assertEquals(0, b1 & 0x80, "a server's frame is not masked");
            long len = b1 & 0x7f;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            assertTrue(len <= 16 << 20, "frame length " + len);
            byte[] payload = new byte[(int) len];
            in.readFully(payload);
            return new Frame(b0 & 0x0f, payload);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
