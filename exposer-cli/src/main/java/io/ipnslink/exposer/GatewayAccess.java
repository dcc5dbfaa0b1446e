package io.ipnslink.exposer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestException;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.manifest.RecipientKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which gateways may serve a site ({@code --allow-gateway}) and to which the manifest's addresses are
 * sealed ({@code --encrypt-to}, {@code --encrypt-host}). The manifest's allow-list ({@code w}) and the
 * tunnel's are both {@link #allowList()}: the allowed gateways and the recipients together, so a
 * recipient is always allowed. Saved next to {@link SiteSettings} so that {@code publish} and
 * {@code hide} without a running expose write the same kind of record.
 *
 * @param allowGateways gateways allowed besides the recipients
 * @param encryptTo gateways that can open the sealed part (Ed25519 peer ids)
 * @param encryptHost also seal the Host header and the preferred gateways
 */
public record GatewayAccess(List<PeerId> allowGateways, List<PeerId> encryptTo, boolean encryptHost) {
    /** No restriction, nothing sealed. */
    public static final GatewayAccess NONE = new GatewayAccess(List.of(), List.of(), false);

    public GatewayAccess {
        allowGateways = List.copyOf(new LinkedHashSet<>(allowGateways));
        encryptTo = List.copyOf(new LinkedHashSet<>(encryptTo));
        if (encryptTo.size() > Manifest.MAX_RECIPIENTS) {
            throw new ExposerException("--encrypt-to: at most " + Manifest.MAX_RECIPIENTS + " gateways, got " + encryptTo.size());
        }
        for (PeerId p : encryptTo) {
            try {
                RecipientKey.x25519PublicKey(p);
            } catch (ManifestException e) {
                throw new ExposerException("--encrypt-to " + p + ": " + e.getMessage(), e);
            }
        }
        if (encryptHost && encryptTo.isEmpty()) {
            throw new ExposerException("--encrypt-host needs at least one --encrypt-to PEER_ID");
        }
        Set<PeerId> all = new LinkedHashSet<>(allowGateways);
        all.addAll(encryptTo);
        if (all.size() > Manifest.MAX_ALLOWED_GATEWAYS) {
            throw new ExposerException("--allow-gateway and --encrypt-to: at most " + Manifest.MAX_ALLOWED_GATEWAYS
                    + " gateways together, got " + all.size());
        }
    }

    /** True when nothing is restricted or sealed. */
    public boolean isNone() {
        return allowGateways.isEmpty() && encryptTo.isEmpty();
    }

    /** The allowed gateways and the recipients, in that order, each once. */
    public List<PeerId> allowList() {
        Set<PeerId> all = new LinkedHashSet<>(allowGateways);
        all.addAll(encryptTo);
        return List.copyOf(all);
    }

    /** {@code m} with the allow-list, sealed when there are recipients. */
    public Manifest apply(IpnsName site, Manifest m) {
        if (isNone()) {
            return m;
        }
        Manifest listed = m.withAllowedGateways(allowList());
        return encryptTo.isEmpty() ? listed : ManifestSeal.seal(listed, site, encryptTo, encryptHost);
    }

    /** This and {@code other} together (both lists; host sealed if either asks). */
    public GatewayAccess and(GatewayAccess other) {
        List<PeerId> a = new ArrayList<>(allowGateways);
        a.addAll(other.allowGateways);
        List<PeerId> e = new ArrayList<>(encryptTo);
        e.addAll(other.encryptTo);
        return new GatewayAccess(a, e, encryptHost || other.encryptHost);
    }

    /** The saved form: peer ids as text. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Saved(List<String> allowGateways, List<String> encryptTo, Boolean encryptHost) {}

    static Path file(Home home, String site) {
        return home.sitesDir().resolve(io.ipnslink.core.keystore.Keystore.fileNameFor(site) + ".access.json");
    }

    /** Saves this for {@code site}; removes the file when there is nothing to save. */
    public void save(Home home, String site) {
        Path f = file(home, site);
        try {
            if (isNone()) {
                Files.deleteIfExists(f);
                return;
            }
            Saved s = new Saved(allowGateways.stream().map(PeerId::toString).toList(),
                    encryptTo.stream().map(PeerId::toString).toList(), encryptHost);
            Home.writePrivate(f, AdminServer.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(s));
        } catch (IOException e) {
            throw new ExposerException("cannot save " + f + ": " + e.getMessage(), e);
        }
    }

    /** What the last expose of {@code site} used; {@link #NONE} when it saved nothing. */
    public static GatewayAccess load(Home home, String site) {
        Path f = file(home, site);
        try {
            if (!Files.exists(f)) {
                return NONE;
            }
            if (Files.size(f) > SiteSettings.MAX_FILE_BYTES) {
                throw new ExposerException(f + " is larger than " + SiteSettings.MAX_FILE_BYTES + " bytes");
            }
            Saved s = AdminServer.JSON.readValue(Files.readAllBytes(f), Saved.class);
            return new GatewayAccess(peers(s.allowGateways(), f), peers(s.encryptTo(), f), Boolean.TRUE.equals(s.encryptHost()));
        } catch (IOException | RuntimeException e) {
            throw e instanceof ExposerException x ? x : new ExposerException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static List<PeerId> peers(List<String> texts, Path f) {
        List<PeerId> out = new ArrayList<>();
        for (String t : texts == null ? List.<String>of() : texts) {
            out.add(PeerId.parse(t));
        }
        return out;
    }

    /** Peer ids of the site's allowed gateways as a set (for the tunnel). */
    public Set<PeerId> allowSet() {
        return Set.copyOf(allowList());
    }
}
