package io.ipnslink.core.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Properties;

/** Test helper: the libp2p key vectors in src/test/resources/keys/peer-id-vectors.properties. */
final class Vectors {
    private static final Properties PROPS = load();

    private Vectors() {}

    static byte[] hex(String key) {
        String v = PROPS.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("no vector " + key);
        }
        return HexFormat.of().parseHex(v.toLowerCase());
    }

    static byte[] resource(String name) {
        try (InputStream in = Vectors.class.getResourceAsStream("/keys/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Vectors.class.getResourceAsStream("/keys/peer-id-vectors.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }
}
