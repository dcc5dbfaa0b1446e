package io.ipnslink.samples;

import io.ipnslink.samples.demo.DemoMain;
import io.ipnslink.samples.gateway.GatewayMain;
import java.util.Arrays;

/** Entry point of the samples jar: {@code gateway} or {@code demo} (what {@code ./ipns-link} runs for them). */
public final class SamplesMain {
    private SamplesMain() {}

    public static void main(String[] args) throws Exception {
        String cmd = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "gateway" -> GatewayMain.main(rest);
            case "demo" -> DemoMain.main(rest);
            default -> {
                System.err.println("usage: ipns-link gateway [--port N] [--data DIR] [--set KEY=VALUE]...\n"
                        + "       ipns-link demo [--port N] [--json]");
                System.exit(2);
            }
        }
    }
}
