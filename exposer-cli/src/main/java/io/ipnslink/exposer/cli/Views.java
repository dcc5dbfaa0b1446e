package io.ipnslink.exposer.cli;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestException;
import io.ipnslink.core.multiformats.Multiaddr;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Records and manifests as JSON-ready maps and as text. */
final class Views {
    private Views() {}

    static Map<String, Object> record(IpnsRecord r, Boolean valid, String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (valid != null) {
            m.put("valid", valid);
        }
        if (reason != null) {
            m.put("reason", reason);
        }
        m.put("value", r.valuePath());
        m.put("sequence", Long.toUnsignedString(r.sequence()));
        m.put("validity", r.validityText());
        m.put("ttl", Durations.format(r.ttl()));
        m.put("ttlNanos", r.ttlNanos());
        m.put("v1", r.hasV1());
        m.put("v2", r.hasV2());
        m.put("bytes", r.size());
        try {
            Optional<Manifest> man = Manifest.fromRecord(r);
            man.ifPresent(x -> m.put("manifest", manifest(x)));
        } catch (ManifestException e) {
            m.put("manifestError", e.getMessage());
        }
        return m;
    }

    static Map<String, Object> manifest(Manifest x) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", x.version());
        m.put("peer", x.peer().toString());
        m.put("addresses", x.addresses().stream().map(Multiaddr::toString).toList());
        m.put("host", x.host());
        m.put("onfail", x.onfail());
        m.put("offline", x.offline());
        m.put("statics", x.statics().stream().map(e -> Map.of("pathPrefix", e.pathPrefix(), "cid", e.cid())).toList());
        m.put("streams", x.streams().stream().map(e -> Map.of("pathPrefix", e.pathPrefix(), "name", e.ipnsName())).toList());
        m.put("gateways", x.gateways());
        if (!x.allowedGateways().isEmpty()) {
            m.put("allowedGateways", x.allowedGateways().stream().map(Object::toString).toList());
        }
        if (x.sealed() != null) {
            m.put("sealedTo", x.sealed().recipients().stream().map(r -> r.peer().toString()).toList());
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter out, Map<String, Object> m, String indent) {
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map) {
                out.println(indent + e.getKey() + ":");
                print(out, (Map<String, Object>) v, indent + "  ");
            } else if (v instanceof List<?> l) {
                out.println(indent + e.getKey() + ": " + (l.isEmpty() ? "[]" : ""));
                for (Object o : l) {
                    out.println(indent + "  - " + o);
                }
            } else if (v != null) {
                out.println(indent + e.getKey() + ": " + v);
            }
        }
    }
}
