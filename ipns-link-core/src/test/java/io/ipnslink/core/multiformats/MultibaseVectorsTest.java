package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Test vectors of the multiformats/multibase repository (see src/test/resources/multibase/README.md). */
class MultibaseVectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"basic.csv", "leading_zero.csv", "two_leading_zeros.csv", "test1.csv", "test3.csv", "test6.csv"})
    void implementedBasesMatchTheMultibaseVectors(String file) throws IOException {
        List<String> lines = read(file).lines().filter(l -> !l.isBlank()).toList();
        String header = lines.get(0);
        boolean canonical = header.startsWith("encoding,");
        byte[] input = unescape(quoted(header));
        Set<Multibase.Base> seen = EnumSet.noneOf(Multibase.Base.class);
        for (String line : lines.subList(1, lines.size())) {
            String name = line.substring(0, line.indexOf(',')).trim();
            String text = quoted(line);
            Multibase.Base base = byName(name);
            if (base == null) {
                continue; // a base this project does not implement
            }
            seen.add(base);
            assertArrayEquals(input, Multibase.decode(text), file + " " + name);
            assertEquals(base, Multibase.baseOf(text));
            if (canonical) {
                assertEquals(text, Multibase.encode(base, input), file + " " + name);
            }
        }
        // each file must have exercised a real share of the bases we implement
        assertEquals(true, seen.size() >= 4, file + " checked only " + seen);
        if (canonical && !file.equals("test3.csv")) {
            assertEquals(EnumSet.allOf(Multibase.Base.class), seen, file);
        }
    }

    private static Multibase.Base byName(String name) {
        for (Multibase.Base b : Multibase.Base.values()) {
            if (b.displayName().equals(name)) {
                return b;
            }
        }
        return null;
    }

    private static String quoted(String line) {
        int a = line.indexOf('"');
        int b = line.lastIndexOf('"');
        return line.substring(a + 1, b);
    }

    private static byte[] unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            if (s.startsWith("\\x", i)) {
                out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 3;
            } else {
                out.write(s.charAt(i));
            }
        }
        return out.toByteArray();
    }

    private static String read(String file) throws IOException {
        try (InputStream in = MultibaseVectorsTest.class.getResourceAsStream("/multibase/" + file)) {
            assertNotNull(in, file);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
