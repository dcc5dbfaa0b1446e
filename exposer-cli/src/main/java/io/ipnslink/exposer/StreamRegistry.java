package io.ipnslink.exposer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.ipns.IpnsName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams that {@code ipns-link stream} processes run for sites, so that a running
 * {@code expose} of the site puts them in its manifest ({@code t}) and its bitswap serves their
 * blocks: one small JSON file per stream, {@code <home>/streams/<site name>-<prefix hash>.json},
 * written atomically at the stream's start and removed at its stop. A registration whose process
 * is no longer alive (killed without cleaning up) is left out by {@link #live}.
 *
 * <p>Bounded: at most {@link #MAX_FILES} files are looked at, each at most {@link #MAX_FILE_BYTES}.
 */
public final class StreamRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);
    /** Most registration files read per look. */
    public static final int MAX_FILES = 256;
    /** Largest registration file read. */
    public static final int MAX_FILE_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One registration.
     *
     * @param site the site's key name
     * @param siteName the site's IPNS name (what the expose matches)
     * @param prefix the site path prefix
     * @param name the stream's IPNS name
     * @param pid the stream process
     * @param dir the stream directory (for status output)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Registration(String site, String siteName, String prefix, String name, long pid, String dir) {}

    private final Path dir;

    public StreamRegistry(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** The file of the stream of {@code siteName} under {@code prefix}. */
    public Path fileOf(IpnsName siteName, String prefix) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(prefix.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(siteName + "-" + HexFormat.of().formatHex(h, 0, 8) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes the registration (replacing one of the same site and prefix).
     *
     * @throws ExposerException when another live process has registered the same site and prefix
     */
    public Path register(Registration r) {
        IpnsName site = IpnsName.parse(r.siteName());
        Path f = fileOf(site, PathPrefixes.check(r.prefix()));
        read(f).filter(old -> old.pid() != r.pid() && alive(old.pid())).ifPresent(old -> {
            throw new ExposerException("another stream (process " + old.pid() + ", directory " + old.dir()
                    + ") already runs " + r.prefix() + " of site " + r.site());
        });
        try {
            Home.writePrivate(f, JSON.writeValueAsBytes(r));
        } catch (IOException e) {
            throw new ExposerException("cannot register the stream in " + f + ": " + e.getMessage(), e);
        }
        return f;
    }

    /** Removes the registration of {@code siteName}/{@code prefix} if it is this process's. */
    public void unregister(IpnsName siteName, String prefix, long pid) {
        Path f = fileOf(siteName, prefix);
        if (read(f).map(r -> r.pid() == pid).orElse(false)) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot remove the stream registration {}: {}", f, e.toString());
            }
        }
    }

    /** The registrations whose process is alive (unreadable or malformed files are skipped). */
    public List<Registration> live() {
        List<Registration> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        int seen = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : ds) {
                if (++seen > MAX_FILES) {
                    LOG.warn("more than {} stream registrations in {}; the rest are ignored", MAX_FILES, dir);
                    break;
                }
                read(f).filter(r -> alive(r.pid())).ifPresent(out::add);
            }
        } catch (IOException e) {
            LOG.warn("cannot list the stream registrations in {}: {}", dir, e.toString());
        }
        return out;
    }

    private java.util.Optional<Registration> read(Path f) {
        try {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > MAX_FILE_BYTES) {
                return java.util.Optional.empty();
            }
            Registration r = JSON.readValue(Files.readAllBytes(f), Registration.class);
            if (r.siteName() == null || r.prefix() == null || r.name() == null) {
                return java.util.Optional.empty();
            }
            IpnsName.parse(r.siteName());
            IpnsName.parse(r.name());
            PathPrefixes.check(r.prefix());
            return java.util.Optional.of(r);
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.debug("skipping the stream registration {}: {}", f, e.toString());
            return java.util.Optional.empty();
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
