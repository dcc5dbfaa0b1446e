package io.ipnslink.p2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.protocol.autonat.Reachability.State;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message.ResponseStatus;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AutoNAT v1 between our hosts on loopback: both roles, the server's rules and bounds, hostile clients. */
class AutonatTest {
    static final long WAIT_S = 20;
    static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
    static final Host.AutonatLimits LOOPBACK_LIMITS = Host.AutonatLimits.defaults().withDialPrivate(true);
    /** Rounds only when the test asks (check()). */
    static final AutonatClient.Settings MANUAL = AutonatClient.Settings.defaults()
            .withIntervals(Duration.ofHours(1), Duration.ofHours(1)).withFirstCheckDelay(Duration.ofHours(1))
            .withRequestTimeout(Duration.ofSeconds(15));

    final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void tearDown() {
        hosts.forEach(Host::close);
    }

    Host start(Host.Builder b) throws Exception {
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    Host server(Host.AutonatLimits limits) throws Exception {
        return start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK).autonatService(limits));
    }

    Host client(AutonatClient.Settings settings, boolean listen) throws Exception {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).autonatClient(settings);
        return start(listen ? b.listen(LOOPBACK) : b);
    }

    static Connection connect(Host from, Host to) throws Exception {
        Connection c = from.connect(to.peerId(), to.listenAddresses()).get(WAIT_S, TimeUnit.SECONDS);
        c.identify().get(WAIT_S, TimeUnit.SECONDS);
        return c;
    }

    static Multiaddr closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + s.getLocalPort());
        }
    }

    static Reachability check(Host client) throws Exception {
        return client.autonat().orElseThrow().check().get(WAIT_S, TimeUnit.SECONDS);
    }

    @Test
    void aReachableClientIsPublicWithTheAddressTheServerDialed() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host client = client(MANUAL, true);
        List<Reachability> seen = new CopyOnWriteArrayList<>();
        client.autonat().orElseThrow().addListener(seen::add);
        assertEquals(State.UNKNOWN, client.reachability().state());
        connect(client, server);
        Reachability r = check(client);
        assertEquals(State.PUBLIC, r.state(), r.toString());
        assertEquals(1, r.confidence());
        assertEquals(client.listenAddresses(), r.confirmed());
        assertEquals("OK", r.answers().get(0).status());
        assertEquals(server.peerId(), r.answers().get(0).server());
        assertTrue(r.answers().get(0).counted());
        assertEquals(r, client.reachability());
        assertEquals(State.PUBLIC, seen.get(seen.size() - 1).state(), "the listener heard of it");
        assertEquals(1, server.autonatService().orElseThrow().served());
        // more agreeing answers raise the confidence up to its maximum (3)
        for (int i = 0; i < 2; i++) {
            check(client);
        }
        assertEquals(3, client.reachability().confidence());
    }

    @Test
    void aClientWhoseAddressCannotBeDialedIsPrivate() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Multiaddr closed = closedPort();
        Host client = client(MANUAL.withAddresses(() -> List.of(closed)), true);
        connect(client, server);
        Reachability r = check(client);
        assertEquals(State.PRIVATE, r.state(), r.toString());
        assertEquals(List.of(), r.confirmed());
        assertEquals("E_DIAL_ERROR", r.answers().get(0).status());
    }

    @Test
    void theAddressesChangingFromUnreachableToReachableTurnPrivateIntoPublic() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Multiaddr closed = closedPort();
        AtomicReference<List<Multiaddr>> mine = new AtomicReference<>(List.of(closed));
        Host client = client(MANUAL.withAddresses(mine::get), true);
        connect(client, server);
        assertEquals(State.PRIVATE, check(client).state());
        mine.set(client.listenAddresses());
        client.autonat().orElseThrow().addressesChanged();
        Reachability r = check(client);
        assertEquals(State.PUBLIC, r.state(), r.toString());
        assertEquals(client.listenAddresses(), r.confirmed());
        // and back: the confirmation of an address no longer listed goes
        mine.set(List.of(closed));
        r = check(client);
        assertEquals(State.PRIVATE, r.state(), r.toString());
        assertEquals(List.of(), r.confirmed());
    }

    @Test
    void behindANatTheClientAlsoOffersTheAddressTheServerObserved() throws Exception {
        // the client claims an IP the server does not see it at (127.0.0.2, as 100.64.0.2 behind a
        // NAT): alone it would be refused as "other IP"; the client adds what identify observed
        // (127.0.0.1:its port) and that IP with its claimed ports, which the server can dial
        Host server = server(LOOPBACK_LIMITS);
        AtomicReference<List<Multiaddr>> mine = new AtomicReference<>(List.of());
        Host client = client(MANUAL.withAddresses(mine::get), true);
        int port = client.listenAddresses().get(0).toTcpSocketAddress().orElseThrow().getPort();
        mine.set(List.of(Multiaddr.parse("/ip4/127.0.0.2/tcp/" + port)));
        connect(client, server);
        Reachability r = check(client);
        assertEquals(State.PUBLIC, r.state(), r.toString());
        assertEquals(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port)), r.confirmed(), r.toString());

        // and where nothing answers at the observed IP either: PRIVATE, not left UNKNOWN
        Host server2 = server(LOOPBACK_LIMITS);
        Multiaddr closed = closedPort();
        Host closedClient = client(MANUAL.withAddresses(() -> List.of(
                Multiaddr.parse("/ip4/127.0.0.2/tcp/" + closed.toTcpSocketAddress().orElseThrow().getPort()))), false);
        connect(closedClient, server2);
        r = check(closedClient);
        assertEquals(State.PRIVATE, r.state(), r.toString());
        assertEquals("E_DIAL_ERROR", r.answers().get(0).status(), r.toString());
    }

    @Test
    void theObservedAddressIsAddedOnlyWhenTheServerSeesAnIpWeDoNotClaim() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host client = client(MANUAL, true);
        Connection c = connect(client, server);
        List<Multiaddr> same = List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4021"));
        assertEquals(same, AutonatClient.withObserved(same, c));
        Multiaddr observed = c.identifyInfo().orElseThrow().observedAddr().orElseThrow();
        List<Multiaddr> other = List.of(Multiaddr.parse("/ip4/100.64.0.2/tcp/4021"));
        assertEquals(List.of(other.get(0), observed, Multiaddr.parse("/ip4/127.0.0.1/tcp/4021")),
                AutonatClient.withObserved(other, c));
    }

    @Test
    void theDialBackIsANewConnectionNotTheOneTheRequestCameOn() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        // the client does not listen and claims the source address of its own connection: only a server
        // that answered over the existing connection would say OK
        AtomicReference<Multiaddr> own = new AtomicReference<>();
        Host client = client(MANUAL.withAddresses(() -> List.of(own.get())), false);
        Connection c = connect(client, server);
        own.set(c.localAddress());
        Reachability r = check(client);
        assertEquals(State.PRIVATE, r.state(), r.toString());
    }

    @Test
    void theDialBackChecksThePeerIdInTheHandshake() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host someoneElse = start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK));
        Host client = client(MANUAL.withAddresses(someoneElse::listenAddresses), false);
        connect(client, server);
        Reachability r = check(client);
        assertEquals(State.PRIVATE, r.state(), "another peer answering there is no proof: " + r);
    }

    @Test
    void aServerThatDoesNotAnswerGivesNoAnswerWithinTheTimeoutAndChangesNothing() throws Exception {
        Host silent = start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK)
                .protocol(ProtocolBinding.of(Autonat.PROTOCOL_ID, s -> {})));
        Host client = client(MANUAL.withRequestTimeout(Duration.ofMillis(300)), true);
        connect(client, silent);
        Reachability r = check(client);
        assertEquals(State.UNKNOWN, r.state());
        assertEquals("NO_ANSWER", r.answers().get(0).status(), r.toString());
    }

    @Test
    void aClientAsksOnlyPeersThatServeAutonatAndAddedServers() throws Exception {
        Host plain = start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK));
        Host server = server(LOOPBACK_LIMITS);
        Host client = client(MANUAL, true);
        connect(client, plain);
        Reachability r = check(client);
        assertEquals(List.of(), r.answers(), "a peer without the protocol is not asked");
        client.autonat().orElseThrow().addServer(server.peerId(), server.listenAddresses());
        r = check(client);
        assertEquals(State.PUBLIC, r.state(), r.toString());
    }

    @Test
    void aNewServerTriggersARoundByItself() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host client = client(MANUAL.withFirstCheckDelay(Duration.ofMillis(50)), true);
        CompletableFuture<Reachability> publicSeen = new CompletableFuture<>();
        client.autonat().orElseThrow().addListener(r -> {
            if (r.state() == State.PUBLIC) {
                publicSeen.complete(r);
            }
        });
        connect(client, server);
        assertEquals(client.listenAddresses(), publicSeen.get(WAIT_S, TimeUnit.SECONDS).confirmed());
    }

    /** A server answering each request with the next scripted message (raw bytes), whatever was asked. */
    Host scriptedServer(java.util.Queue<byte[]> answers) throws Exception {
        return start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK)
                .protocol(ProtocolBinding.of(Autonat.PROTOCOL_ID, s -> AutonatMessageReader.install(s.channel(),
                        Duration.ofSeconds(WAIT_S)).result().thenAccept(m -> {
                            byte[] next = answers.poll();
                            if (next != null) {
                                s.channel().writeAndFlush(Unpooled.wrappedBuffer(next));
                            }
                        }))));
    }

    static byte[] response(ResponseStatus status, Multiaddr addr) {
        Message.DialResponse.Builder r = Message.DialResponse.newBuilder().setStatus(status).setStatusText("scripted");
        if (addr != null) {
            r.setAddr(ByteString.copyFrom(addr.bytes()));
        }
        return AutonatMessageReaderTest.frame(Message.newBuilder().setType(Message.MessageType.DIAL_RESPONSE)
                .setDialResponse(r).build());
    }

    @Test
    void confidenceRisesToItsMaximumAndPublicTurnsPrivateOnlyAfterAsManyFailures() throws Exception {
        java.util.Queue<byte[]> script = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Host server = scriptedServer(script);
        Host client = client(MANUAL, true);
        connect(client, server);
        Multiaddr mine = client.listenAddresses().get(0);
        State[] expected = {State.PUBLIC, State.PUBLIC, State.PUBLIC, State.PUBLIC, State.PUBLIC, State.PUBLIC,
            State.PRIVATE, State.PRIVATE, State.PUBLIC};
        int[] confidence = {1, 2, 3, 3, 2, 1, 1, 2, 1};
        ResponseStatus[] answers = {ResponseStatus.OK, ResponseStatus.OK, ResponseStatus.OK, ResponseStatus.OK,
            ResponseStatus.E_DIAL_ERROR, ResponseStatus.E_DIAL_ERROR, ResponseStatus.E_DIAL_ERROR,
            ResponseStatus.E_DIAL_ERROR, ResponseStatus.OK};
        for (int i = 0; i < answers.length; i++) {
            script.add(response(answers[i], answers[i] == ResponseStatus.OK ? mine : null));
            Reachability r = check(client);
            assertEquals(expected[i], r.state(), "after answer " + i + ": " + r);
            assertEquals(confidence[i], r.confidence(), "after answer " + i + ": " + r);
        }
        assertEquals(List.of(mine), client.reachability().confirmed());
    }

    @Test
    void answersThatSayNothingChangeNothing() throws Exception {
        java.util.Queue<byte[]> script = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Host server = scriptedServer(script);
        Host client = client(MANUAL.withRequestTimeout(Duration.ofSeconds(2)), true);
        connect(client, server);
        script.add(response(ResponseStatus.OK, Multiaddr.parse("/ip4/127.0.0.1/tcp/1")));
        script.add(response(ResponseStatus.E_DIAL_REFUSED, null));
        script.add(response(ResponseStatus.E_BAD_REQUEST, null));
        script.add(response(ResponseStatus.E_INTERNAL_ERROR, null));
        script.add(AutonatMessageReaderTest.frame(Message.newBuilder().setType(Message.MessageType.DIAL).build()));
        script.add(new byte[] {(byte) 0xFF, (byte) 0xFF, 0x7F}); // an oversized answer
        script.add(new byte[] {3, 1, 2, 3}); // garbage
        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Reachability r = check(client);
            assertEquals(State.UNKNOWN, r.state(), r.toString());
            assertEquals(0, r.confidence());
            statuses.add(r.answers().get(r.answers().size() - 1).status());
        }
        assertEquals(List.of("OK", "E_DIAL_REFUSED", "E_BAD_REQUEST", "E_INTERNAL_ERROR", "NO_ANSWER", "NO_ANSWER",
                "NO_ANSWER"), statuses, "an OK for an address not asked about is ignored");
        assertEquals(7, client.reachability().answers().size(), "all 7 kept (at most 8)");
    }

    @Test
    void theTotalRequestRateIsBoundedToo() throws Exception {
        Host server = server(new Host.AutonatLimits(8, Duration.ofSeconds(15), 16, 2, 3, 2, Duration.ofMinutes(10),
                true));
        Host a = plainListening();
        Host b = plainListening();
        Host c = plainListening();
        assertEquals(ResponseStatus.OK, exchange(a, server, dialRequest(a.peerId(), a.listenAddresses())).getStatus());
        assertEquals(ResponseStatus.OK, exchange(b, server, dialRequest(b.peerId(), b.listenAddresses())).getStatus());
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(), c.listenAddresses()));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus());
        assertTrue(r.getStatusText().contains("at most 2 per 600 s"), r.getStatusText());
        assertEquals(2, server.autonatService().orElseThrow().served());
    }

    // ---- the server's rules, with hand-made requests ----

    static Message dialRequest(PeerId id, List<Multiaddr> addrs) {
        Message.PeerInfo.Builder p = Message.PeerInfo.newBuilder();
        if (id != null) {
            p.setId(ByteString.copyFrom(id.bytes()));
        }
        addrs.forEach(a -> p.addAddrs(ByteString.copyFrom(a.bytes())));
        return Message.newBuilder().setType(Message.MessageType.DIAL).setDial(Message.Dial.newBuilder().setPeer(p))
                .build();
    }

    static Message.DialResponse exchange(Host from, Host server, byte[] bytes) throws Exception {
        return exchange(from, server.peerId(), server.listenAddresses(), bytes);
    }

    static Message.DialResponse exchange(Host from, PeerId server, List<Multiaddr> at, byte[] bytes)
            throws Exception {
        CompletableFuture<AutonatMessageReader> reader = new CompletableFuture<>();
        from.newStream(server, at, List.of(Autonat.PROTOCOL_ID), s -> {
            reader.complete(AutonatMessageReader.install(s.channel(), Duration.ofSeconds(WAIT_S)));
            s.channel().writeAndFlush(Unpooled.wrappedBuffer(bytes));
        }).get(WAIT_S, TimeUnit.SECONDS);
        Message m = reader.get(WAIT_S, TimeUnit.SECONDS).result().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(Message.MessageType.DIAL_RESPONSE, m.getType());
        return m.getDialResponse();
    }

    static Message.DialResponse exchange(Host from, Host server, Message m) throws Exception {
        return exchange(from, server, AutonatMessageReaderTest.frame(m));
    }

    Host plainListening() throws Exception {
        return start(Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK));
    }

    @Test
    void theServerDialsOnlyTheIpTheRequestCameFrom() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host c = plainListening();
        int port = c.listenAddresses().get(0).toTcpSocketAddress().orElseThrow().getPort();
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(),
                List.of(Multiaddr.parse("/ip4/127.0.0.2/tcp/" + port), Multiaddr.parse("/ip4/192.0.2.1/tcp/" + port))));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus());
        assertTrue(r.getStatusText().contains("2 other IP"), r.getStatusText());
        // the same port at the IP the request came from works, the others still not dialed
        r = exchange(c, server, dialRequest(c.peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.2/tcp/" + port),
                c.listenAddresses().get(0))));
        assertEquals(ResponseStatus.OK, r.getStatus(), r.getStatusText());
        assertEquals(c.listenAddresses().get(0), Multiaddr.decode(r.getAddr().toByteArray()));
    }

    @Test
    void theServerRefusesRelayedAddresses() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host c = plainListening();
        Multiaddr circuit = c.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + server.peerId().toBase58()
                + "/p2p-circuit/p2p/" + c.peerId().toBase58()));
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(), List.of(circuit)));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus());
        assertTrue(r.getStatusText().contains("1 relayed"), r.getStatusText());
    }

    @Test
    void theServerRefusesPrivateAddressesUnlessAllowed() throws Exception {
        Host server = server(Host.AutonatLimits.defaults());
        Host c = plainListening();
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(), c.listenAddresses()));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus());
        assertTrue(r.getStatusText().contains("1 private"), r.getStatusText());
    }

    @Test
    void badRequestsGetBadRequest() throws Exception {
        Host server = server(LOOPBACK_LIMITS);
        Host c = plainListening();
        assertEquals(ResponseStatus.E_BAD_REQUEST, exchange(c, server, dialRequest(PrivKey.generateEd25519().peerId(),
                c.listenAddresses())).getStatus(), "another peer's id");
        assertEquals(ResponseStatus.E_BAD_REQUEST, exchange(c, server, dialRequest(null, c.listenAddresses()))
                .getStatus(), "no peer id");
        assertEquals(ResponseStatus.E_BAD_REQUEST, exchange(c, server, Message.newBuilder()
                .setType(Message.MessageType.DIAL_RESPONSE).build()).getStatus(), "not a DIAL");
        assertEquals(ResponseStatus.E_BAD_REQUEST, exchange(c, server, new byte[] {3, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF}).getStatus(), "garbage");
        assertEquals(ResponseStatus.E_BAD_REQUEST, exchange(c, server, new byte[] {(byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, 0x7F}).getStatus(), "oversized");
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(), List.of()));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus(), "no address at all");
        // and the server still serves
        assertEquals(ResponseStatus.OK, exchange(c, server, dialRequest(c.peerId(), c.listenAddresses())).getStatus());
    }

    @Test
    void aFloodFromOnePeerIsRefusedWithACodeWhileOthersAreServed() throws Exception {
        Host server = server(LOOPBACK_LIMITS.withMaxRequestsPerPeer(3));
        Host flooder = plainListening();
        Message req = dialRequest(flooder.peerId(), flooder.listenAddresses());
        for (int i = 0; i < 3; i++) {
            assertEquals(ResponseStatus.OK, exchange(flooder, server, req).getStatus());
        }
        for (int i = 0; i < 5; i++) {
            Message.DialResponse r = exchange(flooder, server, req);
            assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus());
            assertTrue(r.getStatusText().contains("too many requests"), r.getStatusText());
        }
        // many at once from another peer: answered each, at most 2 dial-backs at once per IP
        Host burst = plainListening();
        Message b = dialRequest(burst.peerId(), burst.listenAddresses());
        List<CompletableFuture<Message.DialResponse>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return exchange(burst, server, b);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }));
        }
        int ok = 0;
        for (CompletableFuture<Message.DialResponse> f : all) {
            Message.DialResponse r = f.get(WAIT_S, TimeUnit.SECONDS);
            if (r.getStatus() == ResponseStatus.OK) {
                ok++;
            } else {
                assertEquals(ResponseStatus.E_DIAL_REFUSED, r.getStatus(), r.getStatusText());
            }
        }
        assertTrue(ok >= 1 && ok <= 3, "ok " + ok);
        assertEquals(0, server.autonatService().orElseThrow().dialing());
        // a third peer is still served
        Host other = plainListening();
        assertEquals(ResponseStatus.OK, exchange(other, server, dialRequest(other.peerId(), other.listenAddresses()))
                .getStatus());
    }

    @Test
    void theServerTriesAtMostMaxAddresses() throws Exception {
        Host server = server(LOOPBACK_LIMITS.withMaxAddresses(2));
        Host c = plainListening();
        List<Multiaddr> claimed = new ArrayList<>();
        claimed.add(closedPort());
        claimed.add(closedPort());
        claimed.addAll(c.listenAddresses());
        Message.DialResponse r = exchange(c, server, dialRequest(c.peerId(), claimed));
        assertEquals(ResponseStatus.E_DIAL_ERROR, r.getStatus(), "the third (working) address is not tried: "
                + r.getStatusText());
    }

    @Test
    void anAnswerFromAServerOnAnIpWeCheckIsNotCountedLoopbackAside() {
        List<Multiaddr> mine = List.of(Multiaddr.parse("/ip4/192.0.2.2/tcp/4021"), Multiaddr.parse("/ip4/127.0.0.1/tcp/4021"));
        assertTrue(AutonatClient.sameHost(Multiaddr.parse("/ip4/192.0.2.2/tcp/4001"), mine));
        assertEquals(false, AutonatClient.sameHost(Multiaddr.parse("/ip4/198.51.100.1/tcp/4001"), mine));
        assertEquals(false, AutonatClient.sameHost(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), mine));
        assertEquals(false, AutonatClient.sameHost(Multiaddr.parse("/ip4/192.0.2.2/tcp/4001/p2p-circuit"), mine));
        assertEquals(false, AutonatClient.sameHost(null, mine));
    }

    @Test
    void publicAddressRules() throws Exception {
        assertTrue(AutonatService.isPublic(java.net.InetAddress.getByName("8.8.8.8")));
        assertTrue(AutonatService.isPublic(java.net.InetAddress.getByName("2001:db8::1")));
        for (String p : List.of("127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "100.64.0.1", "169.254.1.1",
                "0.0.0.0", "::1", "fe80::1", "fd00::1", "224.0.0.1")) {
            assertEquals(false, AutonatService.isPublic(java.net.InetAddress.getByName(p)), p);
        }
        assertEquals(new InetSocketAddress("127.0.0.1", 1).getAddress(), java.net.InetAddress.getLoopbackAddress());
    }
}
