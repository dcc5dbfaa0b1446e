package io.ipnslink.exposer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;

/** Talks to a running {@code expose} through its control file and loopback admin endpoint. */
public final class AdminClient {
    /** How long an admin request may take (a publish with retries can take a while). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);
    /** Largest control file read. */
    public static final int MAX_CONTROL_BYTES = 4096;

    private final AdminServer.Control control;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private AdminClient(AdminServer.Control control) {
        this.control = control;
    }

    /** The running expose of {@code home}, if its control file exists. */
    public static Optional<AdminClient> find(Home home) {
        try {
            if (!Files.exists(home.controlFile()) || Files.size(home.controlFile()) > MAX_CONTROL_BYTES) {
                return Optional.empty();
            }
            AdminServer.Control c = AdminServer.JSON.readValue(Files.readAllBytes(home.controlFile()), AdminServer.Control.class);
            if (ProcessHandle.of(c.pid()).map(p -> !p.isAlive()).orElse(true) && c.pid() != ProcessHandle.current().pid()) {
                return Optional.empty();
            }
            return Optional.of(new AdminClient(c));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public JsonNode get(String path) {
        return call(HttpRequest.newBuilder(uri(path)).GET());
    }

    public JsonNode post(String path) {
        return call(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + control.port() + path);
    }

    private JsonNode call(HttpRequest.Builder b) {
        try {
            HttpResponse<byte[]> r = http.send(b.header("Authorization", "Bearer " + control.token())
                    .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = AdminServer.JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                throw new ExposerException(body.path("error").asText("running expose answered " + r.statusCode()));
            }
            return body;
        } catch (IOException e) {
            throw new ExposerException("cannot reach the running expose (pid " + control.pid() + ", port "
                    + control.port() + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExposerException("interrupted");
        }
    }
}
