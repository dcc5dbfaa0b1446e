package io.ipnslink.core.manifest;

import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** TEMPORARY STUB of the contract (CONTRACTS-EXPOSER-GATEWAY.md); replaced by EXPOSER-CLI's class from main. */
public record Manifest(PeerId peer, List<Multiaddr> addresses, String host, String onfail, boolean offline,
        List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways) {
    public static final int FORMAT_VERSION = 1;
    public static final String DATA_KEY = "_ipnslink";

    public record StaticEntry(String pathPrefix, String cid) {}

    public record StreamEntry(String pathPrefix, String ipnsName) {}

    public CborValue toCbor() {
        CborValue.Map.Builder b = CborValue.Map.builder();
        b.put("v", FORMAT_VERSION);
        b.put("peer", peer.toString());
        List<CborValue> a = new ArrayList<>();
        for (Multiaddr m : addresses) {
            a.add(new CborValue.Text(m.toString()));
        }
        b.put("addrs", new CborValue.Array(a));
        if (host != null) {
            b.put("host", host);
        }
        if (onfail != null) {
            b.put("onfail", onfail);
        }
        b.put("offline", CborValue.Bool.of(offline));
        return b.build();
    }

    public static Manifest fromCbor(CborValue value) {
        try {
            CborValue.Map m = (CborValue.Map) value;
            PeerId peer = PeerId.parse(((CborValue.Text) m.get("peer").orElseThrow()).value());
            List<Multiaddr> addrs = new ArrayList<>();
            for (CborValue v : ((CborValue.Array) m.get("addrs").orElseThrow()).items()) {
                addrs.add(Multiaddr.parse(((CborValue.Text) v).value()));
            }
            String host = m.get("host").map(v -> ((CborValue.Text) v).value()).orElse(null);
            String onfail = m.get("onfail").map(v -> ((CborValue.Text) v).value()).orElse(null);
            boolean offline = m.get("offline").map(v -> ((CborValue.Bool) v).value()).orElse(false);
            return new Manifest(peer, addrs, host, onfail, offline, List.of(), List.of(), List.of());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid manifest: " + e, e);
        }
    }

    public static Optional<Manifest> fromRecord(IpnsRecord r) {
        return r.extraData(DATA_KEY).map(Manifest::fromCbor);
    }

    public static String siteProtocol(IpnsName name) {
        return "/x/" + name + "/http";
    }
}
