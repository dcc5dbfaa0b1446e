package io.ipnslink.core.multiformats;

import java.util.HexFormat;

/** Test helper: hex with spaces allowed. */
final class Hex {
    private Hex() {}

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
