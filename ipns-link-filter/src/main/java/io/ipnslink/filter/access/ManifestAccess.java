package io.ipnslink.filter.access;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestException;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.manifest.RecipientKey;
import io.ipnslink.filter.errors.GatewayException;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.errors.SiteException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of allow-lists and sealed manifests, asked where the manifest is checked before
 * dialing: a gateway not on the manifest's allow-list ({@code w}), or not a recipient of its sealed
 * part, refuses with 403 and a page naming the site's own gateways (the manifest's {@code g}); a
 * recipient opens the sealed part with the X25519 key derived from its Ed25519 identity.
 *
 * <p>Opened manifests are kept in a bounded cache ({@value #CACHE_SIZE} entries, by record
 * content and site name), so a site's visitors cost one HPKE open per record, not one per request.
 */
public final class ManifestAccess {
    /** Most opened manifests kept. */
    public static final int CACHE_SIZE = 1024;
    /** Title of the refusal page. */
    public static final String TITLE = "Not served by this gateway";

    private static final Logger LOG = LoggerFactory.getLogger(ManifestAccess.class);

    private final PeerId self;
    private final RecipientKey key;
    /** Key of an opened manifest: the site too, since a sealed part opens only for the site it was sealed for. */
    private record Sealed(IpnsName name, Manifest manifest) {}

    private final int cacheSize;
    private final Map<Sealed, Manifest> opened;

    /**
     * @param self this gateway's peer id
     * @param key its recipient key, or null when its identity is not Ed25519 (it then never opens a
     *     sealed manifest and shows those sites' refusal page)
     */
    public ManifestAccess(PeerId self, RecipientKey key) {
        this(self, key, CACHE_SIZE);
    }

    ManifestAccess(PeerId self, RecipientKey key, int cacheSize) {
        this.self = Objects.requireNonNull(self, "self");
        this.key = key;
        this.cacheSize = cacheSize;
        this.opened = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Sealed, Manifest> eldest) {
                return size() > ManifestAccess.this.cacheSize;
            }
        };
    }

    /** For the gateway's libp2p identity. */
    public static ManifestAccess forIdentity(PrivKey identity) {
        RecipientKey k = null;
        try {
            k = RecipientKey.of(identity);
        } catch (ManifestException e) {
            LOG.warn("gateway identity {} is {}: sealed manifests cannot be opened here", identity.peerId(), identity.type());
        }
        return new ManifestAccess(identity.peerId(), k);
    }

    /** This gateway's peer id (the one site owners put on their allow-lists). */
    public PeerId self() {
        return self;
    }

    /**
     * The manifest to forward with: {@code m} itself, or opened when sealed.
     *
     * @param pathAndQuery the visitor's path in the site, kept in the links of the refusal page
     * @throws RefusedException (403) when this gateway is not allowed or not a recipient
     * @throws SiteException INVALID_MANIFEST when the sealed part does not open
     */
    public Manifest admit(IpnsName name, Manifest m, String pathAndQuery) throws GatewayException {
        if (!m.admits(self) || (m.sealed() != null && key == null)) {
            throw refusal(name, m, pathAndQuery);
        }
        if (m.sealed() == null) {
            return m;
        }
        Sealed cacheKey = new Sealed(name, m);
        synchronized (opened) {
            Manifest hit = opened.get(cacheKey);
            if (hit != null) {
                return hit;
            }
        }
        Manifest open;
        try {
            open = ManifestSeal.open(m, name, key);
        } catch (ManifestSeal.NotRecipientException e) {
            throw refusal(name, m, pathAndQuery);
        } catch (ManifestException e) {
            throw new SiteException(SiteException.Kind.INVALID_MANIFEST, name,
                    "the record of " + name + " has an invalid IPNS-Link manifest: " + e.getMessage());
        }
        synchronized (opened) {
            opened.put(cacheKey, open);
        }
        return open;
    }

    /** Opened manifests kept now. */
    int cachedForTests() {
        synchronized (opened) {
            return opened.size();
        }
    }

    /** The 403: this gateway is not one of the site's, and where the visitor can go instead. */
    RefusedException refusal(IpnsName name, Manifest m, String pathAndQuery) {
        return new RefusedException(RefusedException.Kind.GATEWAY_NOT_ALLOWED, name, text(name, m.gateways(), pathAndQuery), null);
    }

    /** The page's text: why, this gateway's peer id, and the site's own gateways with the same path. */
    static String text(IpnsName name, List<String> gateways, String pathAndQuery) {
        StringBuilder b = new StringBuilder("The owner of this site lets only the gateways they chose serve it, and this"
                + " gateway is not one of them. ");
        String rest = pathAndQuery == null || pathAndQuery.isEmpty() || pathAndQuery.equals("/") ? "/" : pathAndQuery;
        if (gateways.isEmpty()) {
            b.append("The site's record names no gateway to open it through.");
        } else {
            b.append("Open it through ").append(gateways.size() == 1 ? "its gateway: " : "one of its gateways: ");
            for (int i = 0; i < gateways.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(Manifest.gatewayUrl(gateways.get(i), name)).append(rest);
            }
            b.append('.');
        }
        return b.toString();
    }
}
