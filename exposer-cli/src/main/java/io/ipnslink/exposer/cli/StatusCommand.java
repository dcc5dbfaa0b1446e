package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.exposer.AdminClient;
import picocli.CommandLine.Command;

/** {@code ipns-link status}: asks the running expose. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the running expose: sites, addresses, last publish per router, connections, request counters.")
final class StatusCommand extends Base implements Runnable {
    @Override
    public void run() {
        AdminClient c = AdminClient.find(home()).orElseThrow(() -> new CliException(
                "no expose is running for " + home().dir() + " (start one with: ipns-link expose SITE ORIGIN_URL --publish-to ROUTER_URL)"));
        JsonNode s = c.get("/status");
        if (json()) {
            root().printJson(s);
            return;
        }
        out().println("peer " + s.path("peer").asText());
        out().println("listening " + s.path("listen"));
        out().println("announced " + s.path("announced"));
        JsonNode routes = s.path("p2pRoutes");
        if (!routes.isMissingNode()) {
            out().println("p2p routes on this peer: pubsub " + (routes.path("pubsub").asBoolean() ? "on" : "off")
                    + ", DHT " + routes.path("dht").asText() + ", bootstrap " + routes.path("bootstrap"));
        }
        for (JsonNode r : s.path("reservations")) {
            out().println("relay " + r.path("relay").asText() + (r.path("held").asBoolean()
                    ? " reserved until " + r.path("expires").asText() + " " + r.path("addresses")
                    : " no reservation (trying again)") + (r.has("source") ? " (from " + r.path("source").asText() + ")" : ""));
        }
        for (JsonNode g : s.path("gateways")) {
            out().println("gateway " + g.path("origin").asText() + ": " + g.path("state").asText());
        }
        JsonNode r = s.path("reachability");
        if (!r.isMissingNode()) {
            out().println("reachability " + r.path("state").asText() + " (confidence " + r.path("confidence").asInt()
                    + ", announce-direct " + r.path("announceDirect").asText() + ")"
                    + (r.path("confirmed").isEmpty() ? "" : " confirmed " + r.path("confirmed")));
            for (JsonNode a : r.path("answers")) {
                out().println("  " + a.path("at").asText() + " " + a.path("server").asText() + ": "
                        + a.path("status").asText() + (a.has("address") ? " " + a.path("address").asText() : "")
                        + (a.path("text").asText().isEmpty() ? "" : " (" + a.path("text").asText() + ")"));
            }
        }
        for (JsonNode site : s.path("sites")) {
            out().println("site " + site.path("site").asText() + " (" + site.path("name").asText() + ") -> "
                    + site.path("origin").asText() + (site.path("hidden").asBoolean() ? " [hidden]" : ""));
            if (site.has("lastPublish")) {
                PublishCommand.printResult(out(), site.path("lastPublish"));
            }
            if (site.has("lastError")) {
                out().println("  last error: " + site.path("lastError").asText());
            }
            site.path("statics").fields().forEachRemaining(e ->
                    out().println("  static " + e.getKey() + " -> /ipfs/" + e.getValue().asText()));
            site.path("streams").fields().forEachRemaining(e ->
                    out().println("  stream " + e.getKey() + " -> /ipns/" + e.getValue().asText()));
            if (site.has("requests")) {
                out().println("  requests: " + site.path("requests"));
            }
        }
        out().println("connections: " + s.path("connections").size());
        for (JsonNode c2 : s.path("connections")) {
            out().println("  " + c2.path("id").asText() + " " + c2.path("peer").asText() + " " + c2.path("remote").asText()
                    + (c2.path("inbound").asBoolean() ? " inbound" : " outbound"));
        }
    }
}
