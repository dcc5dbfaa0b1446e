package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Go-signed IPNS records kept in this module's test resources under {@value #FOLDER} (origin and
 * licence in the README beside them). Read from the class path, so other modules reach them through
 * core's test jar; {@value #INDEX} names the files, since a folder inside a jar cannot be listed.
 */
public final class Fixtures {
    /** The class-path folder of the IPNS fixtures. */
    public static final String FOLDER = "io/ipnslink/fixtures/ipns/";
    /** The list of record files in {@link #FOLDER}, one name a line. */
    public static final String INDEX = "index.txt";
    private static final String SUFFIX = ".ipns-record";

    /** One fixture: its file name (which carries the IPNS name) and its bytes. */
    public record Fixture(String fileName, byte[] bytes) {
        /** The file name without {@code .ipns-record}. */
        public String stem() {
            return fileName.substring(0, fileName.length() - SUFFIX.length());
        }

        @Override
        public String toString() {
            return fileName;
        }
    }

    private Fixtures() {}

    /** Every record named in the index, sorted by file name; fails the test (never skips) when one is missing. */
    public static List<Fixture> ipnsRecords() {
        return indexedNames().stream().map(n -> new Fixture(n, read(FOLDER + n))).toList();
    }

    /** The names {@value #INDEX} lists, sorted. */
    public static List<String> indexedNames() {
        String text = new String(read(FOLDER + INDEX), StandardCharsets.UTF_8);
        List<String> names = text.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
        for (String n : names) {
            if (!n.endsWith(SUFFIX) || n.contains("/")) {
                fail(INDEX + " names something that is not a record file in its folder: " + n);
            }
        }
        return names;
    }

    /** Where the fixture folder is on the class path (a directory in core's own tests, a jar entry elsewhere). */
    public static URL folderUrl() {
        URL url = Fixtures.class.getClassLoader().getResource(FOLDER + INDEX);
        if (url == null) {
            return fail("IPNS fixtures not on the class path: " + FOLDER + INDEX);
        }
        return url;
    }

    private static byte[] read(String resource) {
        try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return fail("IPNS fixture missing from the class path: " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            return fail("cannot read " + resource + ": " + e);
        }
    }
}
