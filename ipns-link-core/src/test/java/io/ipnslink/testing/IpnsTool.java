package io.ipnslink.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The js {@code ipns} package as an independent reference: creates and validates IPNS records over
 * one long-lived {@code ipns-tool.mjs} process. Start it once per test class.
 *
 * <pre>{@code
 * try (IpnsTool js = IpnsTool.start()) {
 *     IpnsTool.Created rec = js.create(IpnsTool.CreateRequest.of(keyProtobuf, "/ipfs/bafy...", 1));
 *     IpnsTool.Verified v = js.verify(rec.name(), rec.record());
 * }
 * }</pre>
 */
public final class IpnsTool implements AutoCloseable {
    /** How long one request may take (node start-up is included in the first one). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final HexFormat HEX = HexFormat.of();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final NodeScript script;

    private IpnsTool(NodeScript script) {
        this.script = script;
    }

    /** Watchdog of the tool process: long enough for a whole test class (it also exits when stdin closes). */
    public static final Duration TOOL_LIFETIME = Duration.ofMinutes(10);

    /** Starts {@code node ipns-tool.mjs}. */
    public static IpnsTool start() {
        return new IpnsTool(NodeScript.start("ipns-tool.mjs", "--timeout", Long.toString(TOOL_LIFETIME.toSeconds())));
    }

    /**
     * What to create. {@code extraData} adds keys to the signed CBOR data (values: String, a
     * non-negative Integer/Long, or byte[]); the standard keys cannot be replaced.
     *
     * @param privateKey  libp2p PrivateKey protobuf bytes
     * @param value       the record value, e.g. {@code /ipfs/bafy...}
     * @param sequence    unsigned 64-bit sequence number
     * @param lifetime    validity = now + lifetime
     * @param ttl         the TTL field (nanosecond precision)
     * @param v1Compatible also write the V1 fields and signature
     */
    public record CreateRequest(byte[] privateKey, String value, long sequence, Duration lifetime, Duration ttl,
                                boolean v1Compatible, Map<String, Object> extraData) {
        public CreateRequest {
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(lifetime, "lifetime");
            Objects.requireNonNull(ttl, "ttl");
            privateKey = privateKey.clone();
            extraData = extraData == null ? Map.of() : new LinkedHashMap<>(extraData);
        }

        /** One hour lifetime, 5 minute TTL, V1-compatible, no extra data. */
        public static CreateRequest of(byte[] privateKey, String value, long sequence) {
            return new CreateRequest(privateKey, value, sequence, Duration.ofHours(1), Duration.ofMinutes(5), true,
                    Map.of());
        }

        public CreateRequest withLifetime(Duration l) {
            return new CreateRequest(privateKey, value, sequence, l, ttl, v1Compatible, extraData);
        }

        public CreateRequest withTtl(Duration t) {
            return new CreateRequest(privateKey, value, sequence, lifetime, t, v1Compatible, extraData);
        }

        public CreateRequest withV1Compatible(boolean v1) {
            return new CreateRequest(privateKey, value, sequence, lifetime, ttl, v1, extraData);
        }

        public CreateRequest withExtraData(Map<String, Object> extra) {
            return new CreateRequest(privateKey, value, sequence, lifetime, ttl, v1Compatible, extra);
        }
    }

    /** A record made by js-ipns: the marshalled protobuf and the k51... name of its key. */
    public record Created(byte[] record, String name) {
        public Created {
            record = record.clone();
        }
    }

    /**
     * The js-ipns verdict. When {@code valid} the fields are filled (sequence is unsigned, ttlNs
     * may be null when absent); otherwise {@code error} says why.
     */
    public record Verified(boolean valid, String error, String value, long sequence, Long ttlNs, String validity,
                           boolean v1) {
    }

    /** Creates and marshals a record with js-ipns. */
    public Created create(CreateRequest req) {
        ObjectNode r = F.objectNode();
        r.put("op", "create");
        r.put("privateKey", HEX.formatHex(req.privateKey()));
        r.put("value", req.value());
        r.put("sequence", Long.toUnsignedString(req.sequence()));
        r.put("lifetimeMs", req.lifetime().toMillis());
        r.put("ttlNs", Long.toString(req.ttl().toNanos()));
        r.put("v1Compatible", req.v1Compatible());
        if (!req.extraData().isEmpty()) {
            ObjectNode extra = r.putObject("extraData");
            req.extraData().forEach((k, v) -> {
                if (v instanceof String s) {
                    extra.put(k, s);
                } else if (v instanceof Integer || v instanceof Long) {
                    extra.put(k, ((Number) v).longValue());
                } else if (v instanceof byte[] b) {
                    extra.putObject(k).put("hex", HEX.formatHex(b));
                } else {
                    throw new IllegalArgumentException("extraData \"" + k + "\": unsupported type " + v);
                }
            });
        }
        JsonNode resp = ok(request(r));
        return new Created(HEX.parseHex(resp.path("record").asText()), resp.path("name").asText());
    }

    /** Validates {@code record} for {@code name} (k51..., bafz..., 12D3..., Qm..., optionally /ipns/...). */
    public Verified verify(String name, byte[] record) {
        ObjectNode r = F.objectNode();
        r.put("op", "verify");
        r.put("name", name);
        r.put("record", HEX.formatHex(record));
        JsonNode resp = ok(request(r));
        if (!resp.path("valid").asBoolean(false)) {
            return new Verified(false, resp.path("error").asText("(no error message)"), null, 0, null, null, false);
        }
        JsonNode ttl = resp.get("ttl");
        return new Verified(true, null, resp.path("value").asText(),
                Long.parseUnsignedLong(resp.path("sequence").asText()),
                ttl == null || ttl.isNull() ? null : Long.parseUnsignedLong(ttl.asText()),
                resp.path("validity").asText(), resp.path("v1").asBoolean());
    }

    /** Sends a raw request and returns the raw response (for ops this wrapper does not cover). */
    public JsonNode request(JsonNode request) {
        return script.call(request, REQUEST_TIMEOUT);
    }

    private JsonNode ok(JsonNode resp) {
        if (!resp.path("ok").asBoolean(false)) {
            throw script.failure("ipns-tool refused the request: " + resp.path("error").asText(resp.toString()));
        }
        return resp;
    }

    @Override
    public void close() {
        script.close();
    }
}
