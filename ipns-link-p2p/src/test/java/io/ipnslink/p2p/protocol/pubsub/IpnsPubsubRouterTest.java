package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.p2p.protocol.pubsub.PubsubNet.Node;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** IPNS over pubsub between our own hosts: topic, publish, updates, fetch for late joiners, hostile records. */
class IpnsPubsubRouterTest {
    private final PubsubNet net = new PubsubNet();
    private final PrivKey nameKey = PrivKey.generateEd25519();
    private final IpnsName name = IpnsName.of(nameKey.peerId());

    @AfterEach
    void close() {
        net.close();
    }

    private IpnsRecord record(long sequence) {
        return IpnsRecord.builder(nameKey).value("/ipfs/bafkqaaa").sequence(sequence).build();
    }

    @Test
    void topicIsRecordSlashBase64UrlOfTheRoutingKey() {
        String t = IpnsPubsubRouter.topic(name);
        assertTrue(t.startsWith("/record/L2lwbnMv"), t); // base64url("/ipns/")
        assertFalse(t.contains("=") || t.contains("+") || t.indexOf('/', 8) >= 0, t);
        assertEquals(name, IpnsPubsubRouter.nameOfTopic(t));
        assertEquals("/record/" + Base64.getUrlEncoder().withoutPadding().encodeToString(name.routingKey()), t);
    }

    @Test
    void anUpdateReachesAnotherHostWithinOneSecond() throws Exception {
        Node a = net.node();
        Node b = net.node();
        Node c = net.node();
        PubsubNet.connect(a, b);
        PubsubNet.connect(b, c);
        PubsubNet.connect(a, c);
        LinkedBlockingQueue<IpnsRecord> atB = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<IpnsRecord> atC = new LinkedBlockingQueue<>();
        b.router().subscribe(name, atB::add);
        c.router().subscribe(name, atC::add);
        a.router().publish(name, record(1)).get(5, TimeUnit.SECONDS);
        String topic = IpnsPubsubRouter.topic(name);
        PubsubNet.await("meshes", () -> a.gossipsub().meshPeers(topic).size() == 2
                && b.gossipsub().meshPeers(topic).contains(a.host().peerId())
                && c.gossipsub().meshPeers(topic).contains(a.host().peerId()));
        atB.clear();
        atC.clear();
        IpnsRecord second = record(2);
        int sent = a.router().publish(name, second).get(5, TimeUnit.SECONDS);
        assertEquals(2, sent);
        IpnsRecord got = atB.poll(1, TimeUnit.SECONDS);
        assertNotNull(got, "the update reached b within 1 s");
        assertEquals(2, got.sequence());
        assertEquals(2, atC.poll(1, TimeUnit.SECONDS).sequence());
        assertEquals(2, b.router().cached(name).orElseThrow().sequence());
        // the same or an older record again is ignored, never reported
        a.router().publish(name, second).get(5, TimeUnit.SECONDS);
        PubsubNet.await("the repeated record ignored", () -> b.gossipsub().stats().ignored() >= 1);
        assertTrue(atB.isEmpty());
    }

    @Test
    void aLateJoinerGetsTheRecordByFetch() throws Exception {
        Node a = net.node();
        a.router().publish(name, record(7)).get(5, TimeUnit.SECONDS);
        Node late = net.node();
        PubsubNet.connect(late, a);
        Optional<IpnsRecord> r = late.router().resolve(name, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        assertEquals(7, r.orElseThrow().sequence());

        // one that follows the name before connecting hears it when a joins the topic (fetch on join)
        Node other = net.node();
        LinkedBlockingQueue<IpnsRecord> heard = new LinkedBlockingQueue<>();
        other.router().subscribe(name, heard::add);
        PubsubNet.connect(other, a);
        assertEquals(7, heard.poll(PubsubNet.WAIT.toSeconds(), TimeUnit.SECONDS).sequence());
    }

    /** A host that answers every fetch of an IPNS name with {@code answer} (a forged record, garbage). */
    private io.ipnslink.p2p.Host liar(byte[] answer) throws Exception {
        io.ipnslink.p2p.Host h = net.plainHost();
        io.ipnslink.p2p.protocol.fetch.FetchService fs = new io.ipnslink.p2p.protocol.fetch.FetchService();
        fs.register(IpnsName.IPNS_PREFIX, id -> Optional.of(answer));
        h.addProtocol(fs.binding());
        return h;
    }

    @Test
    void fetchAnswersWithForgedOrGarbageRecordsAreRefusedAndTheHonestOneWins() throws Exception {
        IpnsRecord forged = IpnsRecord.builder(PrivKey.generateEd25519()).value("/ipfs/bafkqaaa").sequence(99).build();
        io.ipnslink.p2p.Host forger = liar(forged.raw());
        io.ipnslink.p2p.Host babbler = liar(new byte[] {0x0a, 0x7f, 1, 2, 3});
        Node late = net.node();
        for (io.ipnslink.p2p.Host h : java.util.List.of(forger, babbler)) {
            late.host().connect(h.peerId(), h.listenAddresses()).get(PubsubNet.WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        // only liars connected: nothing, and within the timeout
        assertTrue(late.router().resolve(name, Duration.ofSeconds(5)).get(15, TimeUnit.SECONDS).isEmpty(),
                "a forged or garbage answer is never taken");
        // with an honest peer too: its record, not the liars' higher "sequence"
        Node honest = net.node();
        honest.router().publish(name, record(5)).get(5, TimeUnit.SECONDS);
        PubsubNet.connect(late, honest);
        Optional<IpnsRecord> r = late.router().resolve(name, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        assertEquals(5, r.orElseThrow().sequence());
        assertEquals(5, late.router().cached(name).orElseThrow().sequence());
    }

    @Test
    void publishingAnInvalidRecordFailsLocally() throws Exception {
        Node a = net.node();
        IpnsRecord other = IpnsRecord.builder(PrivKey.generateEd25519()).value("/ipfs/bafkqaaa").sequence(1).build();
        org.junit.jupiter.api.Assertions.assertThrows(io.ipnslink.core.ipns.IpnsRecordException.class,
                () -> a.router().publish(name, other));
    }

    @Test
    void invalidRecordsGetTheSenderGraylistedAndStaleOnesAreIgnored() throws Exception {
        Node victim = net.node();
        LinkedBlockingQueue<IpnsRecord> heard = new LinkedBlockingQueue<>();
        victim.router().subscribe(name, heard::add);
        Node honest = net.node();
        honest.router().publish(name, record(5)).get(5, TimeUnit.SECONDS);
        PubsubNet.connect(victim, honest);
        assertEquals(5, heard.poll(PubsubNet.WAIT.toSeconds(), TimeUnit.SECONDS).sequence());

        // a hostile node speaks raw gossipsub on the topic: signed pubsub messages, bad IPNS records
        Node hostile = net.node();
        String topic = IpnsPubsubRouter.topic(name);
        hostile.router().close();
        hostile.gossipsub().subscribe(topic, m -> { });
        PubsubNet.connect(hostile, victim);
        PubsubNet.await("hostile sees the victim in the topic",
                () -> hostile.gossipsub().topicPeers(topic).contains(victim.host().peerId()));
        // a stale record (lower sequence, valid): ignored, no penalty
        hostile.gossipsub().publish(topic, record(3).raw()).get(5, TimeUnit.SECONDS);
        PubsubNet.await("stale record ignored", () -> victim.gossipsub().stats().ignored() >= 1);
        assertTrue(victim.gossipsub().score(hostile.host().peerId()) >= 0);
        // a record signed by another key: rejected
        IpnsRecord forged = IpnsRecord.builder(PrivKey.generateEd25519()).value("/ipfs/bafkqaaa").sequence(99).build();
        for (int i = 0; i < 3; i++) {
            hostile.gossipsub().publish(topic, forged.raw()).get(5, TimeUnit.SECONDS);
        }
        PubsubNet.await("three rejections", () -> victim.gossipsub().stats().rejected() >= 3);
        double score = victim.gossipsub().score(hostile.host().peerId());
        assertTrue(score < victim.gossipsub().config().score().graylistThreshold(), "graylisted: " + score);
        // from now on everything it sends is dropped unread
        long before = victim.gossipsub().stats().graylistedRpcs();
        hostile.gossipsub().publish(topic, garbage()).get(5, TimeUnit.SECONDS);
        PubsubNet.await("graylisted RPC dropped", () -> victim.gossipsub().stats().graylistedRpcs() > before);
        assertEquals(5, victim.router().cached(name).orElseThrow().sequence());
        assertTrue(heard.isEmpty(), "nothing but the honest record was reported");
        PubsubNet.await("the next heartbeat takes it out of the mesh",
                () -> !victim.gossipsub().meshPeers(topic).contains(hostile.host().peerId()));
    }

    @Test
    void followedNamesAreBoundedLeastRecentlyUsedFirstOwnNamesKept() throws Exception {
        Node a = net.node();
        IpnsPubsubRouter small = IpnsPubsubRouter.start(a.host(), a.gossipsub(),
                new io.ipnslink.p2p.protocol.fetch.FetchService(), IpnsPubsubRouter.Settings.defaults().withMaxNames(2));
        try {
            small.publish(name, record(1)).get(5, TimeUnit.SECONDS); // own
            IpnsName n1 = IpnsName.of(PrivKey.generateEd25519().peerId());
            IpnsName n2 = IpnsName.of(PrivKey.generateEd25519().peerId());
            small.subscribe(n1, null);
            small.subscribe(n2, null);
            assertEquals(java.util.Set.of(name, n2), small.names(), "n1 was the least recently used non-own name");
            assertFalse(a.gossipsub().subscriptions().contains(IpnsPubsubRouter.topic(n1)), "its topic was left");
            assertTrue(a.gossipsub().subscriptions().contains(IpnsPubsubRouter.topic(n2)));
            small.unsubscribe(n2);
            assertEquals(java.util.Set.of(name), small.names());
        } finally {
            small.close();
        }
    }

    private static byte[] garbage() {
        return new byte[] {1, 2, 3};
    }
}
