package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressesAndStateTest {
    @TempDir
    Path dir;

    static Multiaddr ma(String s) {
        return Multiaddr.parse(s);
    }

    @Test
    void loopbackIsLeftOutUnlessConfigured() {
        List<Multiaddr> bound = List.of(ma("/ip4/127.0.0.1/tcp/4021"), ma("/ip4/192.0.2.5/tcp/4021"));
        assertEquals(List.of(ma("/ip4/192.0.2.5/tcp/4021")),
                Addresses.forManifest(bound, List.of(ma("/ip4/0.0.0.0/tcp/4021")), List.of(), false));
        assertEquals(bound, Addresses.forManifest(bound, List.of(), List.of(), true));
        assertEquals(bound, Addresses.forManifest(bound, List.of(ma("/ip4/127.0.0.1/tcp/4021")), List.of(), false),
                "an explicit loopback --listen counts as configured");
    }

    @Test
    void wildcardExpandsToInterfacesWithoutLinkLocal() {
        List<Multiaddr> out = Addresses.forManifest(List.of(ma("/ip4/0.0.0.0/tcp/4021")), List.of(), List.of(), true);
        assertTrue(out.contains(ma("/ip4/127.0.0.1/tcp/4021")), out.toString());
        for (Multiaddr a : out) {
            assertFalse(a.toString().startsWith("/ip4/0.0.0.0") || a.toString().startsWith("/ip4/169.254."), a.toString());
            assertTrue(a.toString().endsWith("/tcp/4021"));
        }
        List<Multiaddr> noLoop = Addresses.forManifest(List.of(ma("/ip4/0.0.0.0/tcp/4021")), List.of(), List.of(), false);
        assertFalse(noLoop.contains(ma("/ip4/127.0.0.1/tcp/4021")));
    }

    @Test
    void announceReplacesAndEverythingIsCapped() {
        List<Multiaddr> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(ma("/ip4/192.0.2." + i + "/tcp/4021"));
        }
        assertEquals(Manifest.MAX_ADDRESSES, Addresses.forManifest(many, List.of(), List.of(), false).size());
        assertEquals(List.of(ma("/dns4/blog.example/tcp/4021")),
                Addresses.forManifest(many, List.of(), List.of(ma("/dns4/blog.example/tcp/4021")), false));
    }

    @Test
    void loopbackRouterTurnsOnLoopbackAndGatewaysDefaultToRouterOrigins() {
        Exposer.Options local = new Exposer.Options(List.of(), List.of(), false,
                List.of(URI.create("http://127.0.0.1:8080"), URI.create("http://127.0.0.1:8080/x")), List.of(), Duration.ofSeconds(1));
        assertTrue(local.loopbackInManifest());
        assertEquals(List.of("http://127.0.0.1:8080"), local.effectiveGateways());
        Exposer.Options remote = new Exposer.Options(List.of(), List.of(), false,
                List.of(URI.create("https://gw.example")), List.of("https://{name}.ipns.gw.example"), Duration.ofSeconds(1));
        assertFalse(remote.loopbackInManifest());
        assertEquals(List.of("https://{name}.ipns.gw.example"), remote.effectiveGateways());
    }

    @Test
    void sequenceStoreNeverGoesDownAndRefusesCorruptFiles() throws Exception {
        SequenceStore s = new SequenceStore(dir);
        IpnsName n = IpnsName.of(PrivKey.generateEd25519().peerId());
        assertEquals(100, s.next(n, OptionalLong.empty(), 100));
        assertEquals(101, s.next(n, OptionalLong.empty(), 5));
        assertEquals(501, s.next(n, OptionalLong.of(500), 5));
        assertEquals(502, new SequenceStore(dir).next(n, OptionalLong.of(3), 5), "survives a restart");
        assertEquals(-1L, s.next(n, OptionalLong.of(-2L), 0), "unsigned: up to 2^64-1");
        assertThrows(ExposerException.class, () -> s.next(n, OptionalLong.empty(), 0));
        Files.writeString(s.file(n), "garbage");
        ExposerException e = assertThrows(ExposerException.class, () -> s.last(n));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void hostKeyIsMadeOnceAndKeptPrivate() throws Exception {
        Home home = new Home(dir.resolve("h"));
        PrivKey k = home.hostKey();
        assertEquals(k.peerId(), new Home(dir.resolve("h")).hostKey().peerId());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(home.hostKeyFile())));
        assertNotEquals(k.peerId(), new Home(dir.resolve("other")).hostKey().peerId());
        assertEquals(dir.resolve("e"), Home.resolve(null, Map.of(Home.ENV, dir.resolve("e").toString())).dir());
        assertEquals(dir.resolve("o"), Home.resolve(dir.resolve("o").toString(), Map.of(Home.ENV, "/x")).dir());
        Files.write(home.hostKeyFile(), new byte[] {1, 2, 3});
        assertThrows(ExposerException.class, () -> new Home(dir.resolve("h")).hostKey());
    }
}
