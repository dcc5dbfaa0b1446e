package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The last published sequence number of each site, one file per name ({@code state/<k51...>.seq},
 * decimal unsigned), written atomically before a record with that number leaves the process.
 */
public final class SequenceStore {
    /** Largest sequence file read. */
    public static final int MAX_FILE_BYTES = 64;

    private final Path dir;

    public SequenceStore(Path dir) {
        this.dir = dir;
    }

    /** The last sequence saved for {@code name}, if any. */
    public synchronized OptionalLong last(IpnsName name) {
        Path f = file(name);
        try {
            if (!Files.exists(f)) {
                return OptionalLong.empty();
            }
            if (Files.size(f) > MAX_FILE_BYTES) {
                throw new ExposerException("sequence file " + f + " is corrupt (too large); delete it to start over");
            }
            return OptionalLong.of(Long.parseUnsignedLong(Files.readString(f, StandardCharsets.US_ASCII).trim()));
        } catch (IOException e) {
            throw new ExposerException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            throw new ExposerException("sequence file " + f + " is corrupt; delete it to start over", e);
        }
    }

    /**
     * Picks and saves the next sequence: above the saved one, above {@code seenElsewhere} (the best
     * record the routers hold, unsigned, or empty) and at least {@code floor}.
     *
     * @throws ExposerException when the sequence space is exhausted or the file cannot be written
     */
    public synchronized long next(IpnsName name, OptionalLong seenElsewhere, long floor) {
        long next = floor;
        OptionalLong last = last(name);
        for (OptionalLong seen : new OptionalLong[] {last, seenElsewhere}) {
            if (seen.isPresent()) {
                if (seen.getAsLong() == -1L) {
                    throw new ExposerException("sequence number of " + name + " is at its maximum (2^64-1)");
                }
                if (Long.compareUnsigned(seen.getAsLong() + 1, next) > 0) {
                    next = seen.getAsLong() + 1;
                }
            }
        }
        try {
            Home.writePrivate(file(name), (Long.toUnsignedString(next) + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new ExposerException("cannot save the sequence number in " + file(name) + ": " + e.getMessage(), e);
        }
        return next;
    }

    Path file(IpnsName name) {
        return dir.resolve(name + ".seq");
    }
}
