package io.ipnslink.samples;

/** Small command-line helpers shared by {@code ipns-link gateway} and {@code ipns-link demo}. */
public final class Args {
    private Args() {}

    /** The innermost cause's message, for a one-line error. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    public static int port(String cmd, String v) {
        try {
            int p = Integer.parseInt(v);
            if (p < 0 || p > 65535) {
                usage(cmd, "--port must be 0..65535");
            }
            return p;
        } catch (NumberFormatException e) {
            usage(cmd, "--port takes a number, got '" + v + "'");
            return -1;
        }
    }

    public static String need(String cmd, String option, String value) {
        if (value == null) {
            usage(cmd, option + " needs a value");
        }
        return value;
    }

    /** Prints the mistake and exits with code 2 (usage error). */
    public static void usage(String cmd, String message) {
        System.err.println("ipns-link: " + message);
        System.err.println("Try 'ipns-link " + cmd + " --help'");
        System.exit(2);
    }
}
