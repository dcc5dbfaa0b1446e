package io.ipnslink.exposer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code expose} last used for a site, saved as {@code sites/key_<base32 site name>.json} so that
 * {@code publish} and {@code hide} work without a running expose: origin, Host header, onfail,
 * routers, gateways and the addresses last announced.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SiteSettings(String site, String origin, String host, String onfail, List<String> publishTo,
        List<String> gateways, List<String> addresses) {
    /** Largest settings file read. */
    public static final int MAX_FILE_BYTES = 64 * 1024;

    public SiteSettings {
        publishTo = publishTo == null ? List.of() : List.copyOf(publishTo);
        gateways = gateways == null ? List.of() : List.copyOf(gateways);
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
    }

    static Path file(Home home, String site) {
        return home.sitesDir().resolve(io.ipnslink.core.keystore.Keystore.fileNameFor(site) + ".json");
    }

    public void save(Home home) {
        try {
            Home.writePrivate(file(home, site), AdminServer.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
        } catch (IOException e) {
            throw new ExposerException("cannot save " + file(home, site) + ": " + e.getMessage(), e);
        }
    }

    public static Optional<SiteSettings> load(Home home, String site) {
        Path f = file(home, site);
        try {
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            if (Files.size(f) > MAX_FILE_BYTES) {
                throw new ExposerException(f + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Optional.of(AdminServer.JSON.readValue(Files.readAllBytes(f), SiteSettings.class));
        } catch (IOException e) {
            throw new ExposerException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
