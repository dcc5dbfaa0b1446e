package io.ipnslink.samples.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import io.ipnslink.samples.Args;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ipns-link gateway [--port 8080] [--data DIR] [--address 127.0.0.1] [--set KEY=VALUE]...
 * [--connector ATTRIBUTE=VALUE]...}: the gateway in embedded Tomcat. Configuration keys are the WAR's
 * (docs/configuration.md): {@code --set}, {@code -Dipnslink.KEY=...} or {@code IPNSLINK_KEY}.
 * {@code --connector} sets an attribute of Tomcat's HTTP connector, as on server.xml's
 * {@code <Connector>} ({@code maxThreads=50}, {@code maxKeepAliveRequests=-1}...).
 */
public final class GatewayMain {
    private GatewayMain() {}

    static boolean isLoopback(String address) {
        try {
            return java.net.InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Puts {@code KEY=VALUE} into {@code into}; a usage error otherwise. */
    private static void keyValue(String option, String kv, Map<String, String> into) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            Args.usage("gateway", option + " takes KEY=VALUE, got '" + kv + "'");
        }
        into.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    public static void main(String[] args) throws Exception {
        int port = 8080;
        String address = "127.0.0.1";
        Path data = Path.of(System.getProperty("user.home"), ".ipns-link", "gateway");
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, String> connector = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> port = Args.port("gateway", Args.need("gateway", a, v));
                case "--data" -> data = Path.of(Args.need("gateway", a, v));
                case "--address" -> address = Args.need("gateway", a, v);
                case "--set" -> keyValue(a, Args.need("gateway", a, v), params);
                case "--connector" -> keyValue(a, Args.need("gateway", a, v), connector);
                case "--help", "-h" -> {
                    System.out.println("usage: ipns-link gateway [--port 8080] [--data DIR] [--address 127.0.0.1] [--set KEY=VALUE]..."
                            + " [--connector ATTRIBUTE=VALUE]...");
                    return;
                }
                default -> Args.usage("gateway", "unknown option '" + a + "'");
            }
            if (!a.equals("--help")) {
                i++;
            }
        }
        if (isLoopback(address) && !params.containsKey("allow-private-addresses")
                && System.getProperty("ipnslink.allow-private-addresses") == null
                && System.getenv("IPNSLINK_ALLOW_PRIVATE_ADDRESSES") == null) {
            // only this machine can reach a loopback gateway, so sites on this machine or network may be dialed
            params.put("allow-private-addresses", "true");
        }
        Files.createDirectories(data);
        EmbeddedGateway gw;
        try {
            gw = EmbeddedGateway.start(address, port, data, params, connector);
        } catch (IllegalArgumentException e) {
            Args.usage("gateway", e.getMessage());
            return;
        } catch (Exception e) {
            System.err.println("ipns-link: the gateway could not start on " + address + ":" + port + ": " + Args.rootMessage(e));
            System.exit(1);
            return;
        }
        String url = "http://" + (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + gw.port();
        System.out.println("IPNS-Link gateway on " + url + "/  (data: " + data + ")");
        System.out.println("status page: " + url + EmbeddedGateway.STATUS_PATH
                + "  (loopback clients only; --set status=public|off)");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gw.close();
            stopped.countDown();
        }, "ipns-link-gateway-stop"));
        stopped.await();
    }
}
