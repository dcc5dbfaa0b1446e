package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.p2p.Host;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/** Runs the command in-process with a temp home and captures its output. */
final class CliRunner {
    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }
    }

    final Path home;
    final Function<Host, SiteTunnel> tunnels;
    byte[] stdin = new byte[0];

    CliRunner(Path home, Function<Host, SiteTunnel> tunnels) {
        this.home = home;
        this.tunnels = tunnels;
    }

    Run run(String... args) {
        return run(new CountDownLatch(0), args);
    }

    Run run(CountDownLatch stop, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(home.toString());
        int code = Main.run(new Main.Env(Map.of(), new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(stdin), stop, tunnels), all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }
}
