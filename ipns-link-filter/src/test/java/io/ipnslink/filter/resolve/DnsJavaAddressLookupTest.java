package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The real dnsjava lookup against a DNS server on loopback (UDP): A and AAAA answers, a name that
 * does not exist, and a server that never answers, cut at the timeout without a thread waiting.
 */
class DnsJavaAddressLookupTest {
    private DatagramSocket server;
    private final AtomicInteger queries = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A DNS server: {@code site.example} has A 8.8.8.8 and AAAA 2001:4860::8888, {@code silent.example} never answers. */
    private String startServer() throws IOException {
        server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = new Thread(() -> {
            byte[] buf = new byte[512];
            while (!server.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    server.receive(p);
                    queries.incrementAndGet();
                    Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                    Record question = q.getQuestion();
                    Name name = question.getName();
                    if (name.toString().startsWith("silent.")) {
                        continue;
                    }
                    Message r = new Message(q.getHeader().getID());
                    r.getHeader().setFlag(Flags.QR);
                    r.getHeader().setFlag(Flags.AA);
                    r.addRecord(question, Section.QUESTION);
                    if (name.toString().equals("site.example.")) {
                        if (question.getType() == Type.A) {
                            r.addRecord(new ARecord(name, DClass.IN, 60, InetAddress.getByName("8.8.8.8")), Section.ANSWER);
                        } else if (question.getType() == Type.AAAA) {
                            r.addRecord(new AAAARecord(name, DClass.IN, 60, InetAddress.getByName("2001:4860::8888")),
                                    Section.ANSWER);
                        }
                    } else {
                        r.getHeader().setRcode(Rcode.NXDOMAIN);
                    }
                    byte[] out = r.toWire();
                    server.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // closed, or a packet we do not understand
                }
            }
        }, "fake-dns");
        t.setDaemon(true);
        t.start();
        return "127.0.0.1:" + server.getLocalPort();
    }

    @Test
    void aAndAaaaAnswersComeBackTogether() throws Exception {
        DnsJavaAddressLookup lookup = new DnsJavaAddressLookup(List.of(startServer()), Duration.ofSeconds(5));
        Set<String> answers = lookup.lookup("site.example").get(20, TimeUnit.SECONDS).stream()
                .map(InetAddress::getHostAddress).collect(Collectors.toSet());
        assertEquals(Set.of("8.8.8.8", "2001:4860:0:0:0:0:0:8888"), answers);
    }

    @Test
    void aNameThatDoesNotExistHasNoAddresses() throws Exception {
        DnsJavaAddressLookup lookup = new DnsJavaAddressLookup(List.of(startServer()), Duration.ofSeconds(5));
        assertEquals(List.of(), lookup.lookup("nothing.example").get(20, TimeUnit.SECONDS));
    }

    @Test
    void aServerThatNeverAnswersFailsTheLookupAtTheTimeout() throws Exception {
        DnsJavaAddressLookup lookup = new DnsJavaAddressLookup(List.of(startServer()), Duration.ofMillis(300));
        int threadsBefore = Thread.activeCount();
        var f = lookup.lookup("silent.example");
        assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        assertTrue(queries.get() >= 1, "the server was asked");
        assertTrue(Thread.activeCount() <= threadsBefore + 4, "no thread per lookup");
    }
}
