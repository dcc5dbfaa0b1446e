package io.ipnslink.samples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sample site's chat at the origin (no gateway): two members see each other's lines. */
@Timeout(60)
class ChatTest {
    static final long WAIT_SECONDS = 10;
    SampleSite site;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        site = SampleSite.start();
    }

    @AfterEach
    void stop() {
        site.close();
    }

    URI chat() {
        return URI.create("ws://127.0.0.1:" + site.uri().getPort() + ChatRoom.PATH);
    }

    Lines join() throws Exception {
        Lines l = new Lines();
        l.ws = http.newWebSocketBuilder().buildAsync(chat(), l).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return l;
    }

    @Test
    void twoMembersSeeEachOthersLines() throws Exception {
        Lines a = join();
        assertEquals("* you are guest-1", a.next());
        Lines b = join();
        assertEquals("* you are guest-2", b.next());
        b.until("* guest-2 joined");
        a.until("* guest-2 joined");
        a.ws.sendText("hello from the first tab", true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        a.until("guest-1: hello from the first tab");
        b.until("guest-1: hello from the first tab");
        b.ws.sendText("and hello\r\nback", true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        a.until("guest-2: and hello back"); // one line per message
        b.until("guest-2: and hello back");
        // a newcomer gets the recent lines first
        Lines c = join();
        assertEquals("* you are guest-3", c.next());
        c.until("guest-1: hello from the first tab");
        c.until("guest-2: and hello back");
        b.ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(WAIT_SECONDS, TimeUnit.SECONDS);
        a.until("* guest-2 left");
        assertEquals(WebSocket.NORMAL_CLOSURE, b.closed.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void aMessageAboveTheLimitClosesOnlyItsSender() throws Exception {
        Lines a = join();
        Lines b = join();
        a.until("* guest-2 joined");
        b.ws.sendText("x".repeat(ChatRoom.MAX_MESSAGE_CHARS * 4 + 1), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(1009, b.closed.get(WAIT_SECONDS, TimeUnit.SECONDS)); // TOO_BIG
        a.until("* guest-2 left");
        a.ws.sendText("still here", true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        a.until("guest-1: still here");
    }

    @Test
    void theChatPageUsesNoExternalAssetAndTheHomePageLinksIt() throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(site.uri().resolve("/chat-page")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("new WebSocket(url)"), page.body());
        assertTrue(page.body().contains("new URL('chat', location.href)"), "relative to the page: " + page.body());
        assertFalse(page.body().contains("http://") || page.body().contains("https://")
                || page.body().contains("//cdn"), "no external asset: " + page.body());
        HttpResponse<String> home = http.send(HttpRequest.newBuilder(site.uri()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(home.body().contains("href=\"chat-page\""), home.body());
    }

    /** Text lines in order, and the close code. */
    static final class Lines implements WebSocket.Listener {
        final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final List<String> seen = new ArrayList<>();
        final StringBuilder part = new StringBuilder();
        WebSocket ws;

        String next() throws InterruptedException {
            String s = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(s, "no line within " + WAIT_SECONDS + " s; seen " + seen);
            seen.add(s);
            return s;
        }

        /** Reads lines until {@code line} (bounded). */
        void until(String line) throws InterruptedException {
            while (!line.equals(next())) {
                // earlier lines (joins, history) are skipped
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                queue.add(part.toString());
                part.setLength(0);
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
            closed.complete(code);
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
