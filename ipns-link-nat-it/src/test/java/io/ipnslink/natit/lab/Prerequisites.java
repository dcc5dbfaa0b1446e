package io.ipnslink.natit.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the lab needs from the machine: root (network namespaces, veth pairs, nftables) and the
 * commands {@code ip} (iproute2) and {@code nft} (nftables). Missing any of them is a test
 * failure with a message that says what to install or how to leave the module out, never a skip.
 */
final class Prerequisites {
    static final String HOW_TO_SKIP = "Developers without root can leave this module out with -Dnat-it.skip=true"
            + " (CI runs as root and never sets it).";
    private static final List<String> DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private Prerequisites() {}

    static void check() {
        List<String> missing = new ArrayList<>();
        long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        if (uid != 0) {
            missing.add("root (running as uid " + uid + ")");
        }
        if (find("ip") == null) {
            missing.add("the command ip (Debian/Ubuntu: apt-get install iproute2)");
        }
        if (find("nft") == null) {
            missing.add("the command nft (Debian/Ubuntu: apt-get install nftables)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("The tests in network namespaces (ipns-link-nat-it) need root and the"
                    + " commands ip and nft; missing: " + String.join(", ", missing) + ". " + HOW_TO_SKIP);
        }
    }

    static String ip() {
        return require("ip");
    }

    static String nft() {
        return require("nft");
    }

    private static String require(String name) {
        String p = find(name);
        if (p == null) {
            throw new IllegalStateException("no command " + name + " on PATH or in " + DIRS + ". " + HOW_TO_SKIP);
        }
        return p;
    }

    /** The command's path: the PATH's directories, then the sbin folders root's PATH usually has. */
    private static String find(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
        }
        dirs.addAll(DIRS);
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
