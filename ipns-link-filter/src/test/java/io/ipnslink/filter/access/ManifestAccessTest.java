package io.ipnslink.filter.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.errors.GatewayErrors;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.errors.SiteException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway's allow-list and sealed-manifest check on its own. */
class ManifestAccessTest {
    final PrivKey me = Ed25519PrivKey.generate();
    final PrivKey exposer = Ed25519PrivKey.generate();
    final IpnsName site = IpnsName.of(Ed25519PrivKey.generate().peerId());
    final ManifestAccess access = ManifestAccess.forIdentity(me);

    Manifest clear() {
        return new Manifest(exposer.peerId(), List.of(Multiaddr.parse("/ip4/192.0.2.1/tcp/4001")), "blog.internal", null,
                false, List.of(), List.of(), List.of("https://gw.example"));
    }

    @Test
    void aManifestWithoutListOrSealIsTakenAsItIs() throws Exception {
        Manifest m = clear();
        assertSame(m, access.admit(site, m, "/"));
        Manifest listed = m.withAllowedGateways(List.of(me.peerId()));
        assertSame(listed, access.admit(site, listed, "/"));
    }

    @Test
    void notOnTheListIs403WithTheSitesGatewaysAndThePath() {
        Manifest m = clear().withAllowedGateways(List.of(Ed25519PrivKey.generate().peerId()));
        RefusedException e = assertThrows(RefusedException.class, () -> access.admit(site, m, "/a/b?c=d"));
        assertEquals(RefusedException.Kind.GATEWAY_NOT_ALLOWED, e.kind());
        assertEquals(403, e.kind().status());
        assertTrue(e.getMessage().contains("https://gw.example/ipns/" + site + "/a/b?c=d"), e.getMessage());
        GatewayErrors.Answer a = GatewayErrors.answer(e, new GatewayErrors.Context("r1", "text/html", m, ""));
        assertEquals(403, ((GatewayErrors.Answer.Write) a).page().status());
    }

    @Test
    void sealedToAnotherGatewayIsRefusedAndToThisOneOpened() throws Exception {
        Manifest toOther = ManifestSeal.seal(clear(), site, List.of(Ed25519PrivKey.generate().peerId()), true);
        RefusedException e = assertThrows(RefusedException.class, () -> access.admit(site, toOther, "/"));
        assertTrue(e.getMessage().contains("names no gateway"), e.getMessage());
        Manifest toMe = ManifestSeal.seal(clear(), site, List.of(me.peerId()), true);
        Manifest open = access.admit(site, toMe, "/");
        assertEquals(clear(), open);
        assertSame(open, access.admit(site, toMe, "/x"), "opened once");
        IpnsName elsewhere = IpnsName.of(Ed25519PrivKey.generate().peerId());
        SiteException bad = assertThrows(SiteException.class, () -> access.admit(elsewhere, toMe, "/"));
        assertEquals(SiteException.Kind.INVALID_MANIFEST, bad.kind());
    }

    @Test
    void aGatewayWithoutEd25519IdentityRefusesSealedManifestsButServesListedOnes() throws Exception {
        PrivKey rsa = RsaPrivKey.generate(2048);
        ManifestAccess r = ManifestAccess.forIdentity(rsa);
        Manifest listed = clear().withAllowedGateways(List.of(rsa.peerId()));
        assertSame(listed, r.admit(site, listed, "/"));
        Manifest sealed = ManifestSeal.seal(clear(), site, List.of(me.peerId()), false);
        assertThrows(RefusedException.class, () -> r.admit(site, sealed, "/"));
    }

    @Test
    void manySealedSitesKeepTheCacheBounded() throws Exception {
        ManifestAccess small = new ManifestAccess(me.peerId(), io.ipnslink.core.manifest.RecipientKey.of(me), 16);
        Manifest first = ManifestSeal.seal(clear(), site, List.of(me.peerId()), false);
        Manifest opened = small.admit(site, first, "/");
        for (int i = 0; i < 40; i++) { // a publisher republishing: a new sealed part each time
            small.admit(site, ManifestSeal.seal(clear(), site, List.of(me.peerId()), false), "/");
            assertTrue(small.cachedForTests() <= 16);
        }
        assertEquals(16, small.cachedForTests());
        Manifest again = small.admit(site, first, "/");
        assertEquals(opened, again);
        assertTrue(opened != again, "the oldest was dropped and opened again");
    }
}
