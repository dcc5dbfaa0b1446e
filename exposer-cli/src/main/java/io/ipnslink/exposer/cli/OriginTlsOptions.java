package io.ipnslink.exposer.cli;

import io.ipnslink.tunnel.server.OriginTls;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --origin-ca FILE} and {@code --origin-insecure}: how the certificate of an
 * {@code https://} origin is checked (the JDK's trust store and the origin URL's host name by
 * default). They apply to every site whose config-file entry does not say otherwise
 * ({@code originCa}, {@code originInsecure}); given with no {@code https://} site at all, they are
 * a mistake.
 */
final class OriginTlsOptions {
    @Option(names = "--origin-ca", paramLabel = "FILE",
            description = "PEM certificate(s) of a private CA that signed the https:// origin's certificate;"
                    + " trusted for the origin in addition to the JDK's trust store")
    Path originCa;
    @Option(names = "--origin-insecure", description = "trust any certificate of the https:// origin and check no"
            + " host name (self-signed development servers only; a warning is printed)")
    boolean originInsecure;

    /** Whether either option was given. */
    boolean given() {
        return originCa != null || originInsecure;
    }

    /**
     * The TLS settings of one site: the site's own config-file fields when it has any, else these
     * options. {@code configDir} resolves a relative {@code originCa} of the config file.
     *
     * @throws CliException for a CA file that cannot be read, both a CA and insecure, or site
     *     fields on an {@code http://} origin
     */
    OriginTls forSite(String site, URI origin, String siteCa, Boolean siteInsecure, Path configDir) {
        boolean https = "https".equalsIgnoreCase(origin.getScheme());
        boolean own = siteCa != null || siteInsecure != null;
        if (own && !https) {
            throw new CliException("config: site " + site + ": \"originCa\" and \"originInsecure\" need an https:// origin,"
                    + " not " + origin);
        }
        if (!https) {
            return OriginTls.DEFAULT;
        }
        if (own) {
            boolean insecure = Boolean.TRUE.equals(siteInsecure);
            if (insecure && siteCa != null) {
                throw new CliException("config: site " + site + ": \"originCa\" and \"originInsecure\" exclude each other");
            }
            if (insecure) {
                return OriginTls.trustingAnything();
            }
            if (siteCa == null) {
                return OriginTls.DEFAULT;
            }
            Path file = configDir == null ? Path.of(siteCa) : configDir.resolve(siteCa);
            return read(file, "config: site " + site + ": \"originCa\"");
        }
        if (originInsecure && originCa != null) {
            throw new CliException("--origin-ca and --origin-insecure exclude each other");
        }
        if (originInsecure) {
            return OriginTls.trustingAnything();
        }
        return originCa == null ? OriginTls.DEFAULT : read(originCa, "--origin-ca");
    }

    private static OriginTls read(Path file, String what) {
        try {
            return new OriginTls(OriginTls.readCas(file), false);
        } catch (IOException e) {
            String m = e instanceof java.nio.file.NoSuchFileException ? file + ": no such file" : e.getMessage();
            throw new CliException(what + ": " + m);
        }
    }

    /** Checks that the options concern at least one site: given with only http:// origins they are a mistake. */
    void checkUsed(List<URI> origins) {
        if (given() && origins.stream().noneMatch(o -> "https".equalsIgnoreCase(o.getScheme()))) {
            throw new CliException((originCa != null ? "--origin-ca" : "--origin-insecure")
                    + " concerns https:// origins only, and no site has one");
        }
    }
}
