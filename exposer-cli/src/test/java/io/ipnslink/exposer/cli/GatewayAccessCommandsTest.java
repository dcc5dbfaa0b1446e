package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.manifest.RecipientKey;
import io.ipnslink.exposer.cli.CliFixture.Running;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --allow-gateway}, {@code --encrypt-to}, {@code --encrypt-host} on expose, publish and hide, and in the config file. */
class GatewayAccessCommandsTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    final PrivKey gwA = Ed25519PrivKey.generate();
    final PrivKey gwB = Ed25519PrivKey.generate();

    Manifest stored(IpnsName name) throws Exception {
        return fx.storedManifest(name);
    }

    @Test
    void exposeSealsToRecipientsAllowsBothAndTheTunnelRefusesOthers() throws Exception {
        Running expose = fx.startExpose("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0", "--host", "blog.internal", "--allow-gateway", gwA.peerId().toString(),
                "--encrypt-to", gwB.peerId().toString(), "--encrypt-host");
        Manifest m = stored(fx.blog);
        assertEquals(2, m.version());
        assertEquals(List.of(gwA.peerId(), gwB.peerId()), m.allowedGateways());
        assertTrue(m.addresses().isEmpty(), "addresses are sealed");
        assertNull(m.host(), "host is sealed");
        assertTrue(m.gateways().isEmpty(), "gateways are sealed");
        Manifest open = ManifestSeal.open(m, fx.blog, RecipientKey.of(gwB));
        assertFalse(open.addresses().isEmpty());
        assertEquals("blog.internal", open.host());
        assertEquals(Set.of(gwA.peerId(), gwB.peerId()), fx.tunnel.allowed.get(fx.blog));

        var status = fx.cli.run("status", "--json");
        assertEquals(0, status.code(), status.err());

        CliRunner.Run refused = fx.cli.run("publish", "blog", "--encrypt-to", gwA.peerId().toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("running expose"), refused.err());

        assertEquals(0, fx.cli.run("hide", "blog").code());
        Manifest hidden = stored(fx.blog);
        assertTrue(hidden.offline());
        assertEquals(List.of(gwA.peerId(), gwB.peerId()), hidden.allowedGateways());
        assertEquals(0, expose.stop().code());
        // no expose running: publish and hide write what the last expose saved
        CliRunner.Run pub = fx.cli.run("publish", "blog", "--publish-to", fx.router.uri().toString());
        assertEquals(0, pub.code(), pub.err());
        Manifest later = stored(fx.blog);
        assertEquals(List.of(gwB.peerId()), later.sealed().recipients().stream().map(Manifest.Recipient::peer).toList());
        assertEquals("blog.internal", ManifestSeal.open(later, fx.blog, RecipientKey.of(gwB)).host());
        // ...or what this command says
        pub = fx.cli.run("publish", "blog", "--publish-to", fx.router.uri().toString(), "--allow-gateway", gwA.peerId().toString());
        assertEquals(0, pub.code(), pub.err());
        Manifest listed = stored(fx.blog);
        assertNull(listed.sealed());
        assertEquals(List.of(gwA.peerId()), listed.allowedGateways());
        assertEquals(1, listed.version());
    }

    @Test
    void configFileSitesHaveTheirOwnLists() throws Exception {
        IpnsName shop = IpnsName.parse(fx.cli.run("key", "gen", "shop", "--json").json().path("id").asText());
        Path cfg = fx.dir.resolve("expose.json");
        Files.writeString(cfg, "{\"publishTo\": [\"" + fx.router.uri() + "\"], \"listen\": [\"/ip4/127.0.0.1/tcp/0\"],"
                + " \"sites\": [{\"site\": \"shop\", \"origin\": \"http://127.0.0.1:9\", \"allowGateways\": [\""
                + gwA.peerId() + "\"]}, {\"site\": \"blog\", \"origin\": \"http://127.0.0.1:9\", \"encryptTo\": [\""
                + gwB.peerId() + "\"]}]}");
        Running expose = fx.startExpose("expose", "--config", cfg.toString());
        Manifest s = stored(shop);
        assertEquals(List.of(gwA.peerId()), s.allowedGateways());
        assertNull(s.sealed());
        assertFalse(s.addresses().isEmpty());
        Manifest b = stored(fx.blog);
        assertEquals(List.of(gwB.peerId()), b.allowedGateways());
        assertTrue(b.addresses().isEmpty());
        assertFalse(b.gateways().isEmpty(), "gateways stay clear without encryptHost");
        assertEquals(Set.of(gwA.peerId()), fx.tunnel.allowed.get(shop));
        assertEquals(Set.of(gwB.peerId()), fx.tunnel.allowed.get(fx.blog));
        assertEquals(0, expose.stop().code());
    }

    @Test
    void mistakesGetOneLineMessages() {
        String r = fx.router.uri().toString();
        CliRunner.Run bad = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--allow-gateway", "nope");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("ipns-link: --allow-gateway 'nope' is not a peer id"), bad.err());
        PeerId rsa = RsaPrivKey.generate(2048).peerId();
        bad = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--encrypt-to", rsa.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("Ed25519"), bad.err());
        bad = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--encrypt-host");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--encrypt-host needs"), bad.err());
        List<String> args = new ArrayList<>(List.of("expose", "blog", "http://127.0.0.1:9", "--publish-to", r));
        for (int i = 0; i <= Manifest.MAX_ALLOWED_GATEWAYS; i++) {
            args.add("--allow-gateway");
            args.add(Ed25519PrivKey.generate().peerId().toString());
        }
        bad = fx.cli.run(args.toArray(String[]::new));
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("at most " + Manifest.MAX_ALLOWED_GATEWAYS), bad.err());
        for (CliRunner.Run run : List.of(bad)) {
            assertEquals(1, run.err().trim().lines().count(), run.err());
        }
    }
}
