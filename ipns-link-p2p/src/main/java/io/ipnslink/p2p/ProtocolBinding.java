package io.ipnslink.p2p;

import java.util.List;
import java.util.Objects;

/**
 * A protocol this host answers: the protocol ids it accepts in multistream-select (first one is
 * the preferred/advertised one, all are advertised through identify) and the handler that takes
 * over an inbound stream once one of them is negotiated.
 */
public record ProtocolBinding(List<String> protocolIds, ProtocolHandler handler) {
    /** Longest protocol id accepted (multistream-select caps a message at about 1 KiB). */
    public static final int MAX_PROTOCOL_ID_LENGTH = 1000;

    public ProtocolBinding {
        Objects.requireNonNull(handler, "handler");
        protocolIds = List.copyOf(Objects.requireNonNull(protocolIds, "protocolIds"));
        if (protocolIds.isEmpty()) {
            throw new IllegalArgumentException("a protocol binding needs at least one protocol id");
        }
        for (String id : protocolIds) {
            checkProtocolId(id);
        }
    }

    public static ProtocolBinding of(String protocolId, ProtocolHandler handler) {
        return new ProtocolBinding(List.of(protocolId), handler);
    }

    /** @throws IllegalArgumentException when {@code id} cannot be a multistream protocol id */
    public static String checkProtocolId(String id) {
        if (id == null || id.isEmpty() || !id.startsWith("/")) {
            throw new IllegalArgumentException("protocol id must start with '/': " + id);
        }
        if (id.length() > MAX_PROTOCOL_ID_LENGTH) {
            throw new IllegalArgumentException("protocol id longer than " + MAX_PROTOCOL_ID_LENGTH + " chars");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '\n' || c == '\r' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("protocol id contains a control character: " + id);
            }
        }
        return id;
    }
}
