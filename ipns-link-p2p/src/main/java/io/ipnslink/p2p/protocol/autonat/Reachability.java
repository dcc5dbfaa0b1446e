package io.ipnslink.p2p.protocol.autonat;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the AutoNAT client found out about this host.
 *
 * @param state PUBLIC (a server dialed an address back), PRIVATE (servers could not), UNKNOWN (no
 *     answer that says either yet)
 * @param confidence agreeing answers in a row behind the state, 0 to {@link AutonatClient.Settings#maxConfidence()}
 * @param confirmed addresses servers dialed back (PUBLIC only)
 * @param answers the latest answers, newest last (at most {@link #MAX_ANSWERS})
 */
public record Reachability(State state, int confidence, List<Multiaddr> confirmed, List<Answer> answers) {
    /** Answers kept for {@code status}. */
    public static final int MAX_ANSWERS = 8;

    public enum State {
        PUBLIC, PRIVATE, UNKNOWN
    }

    public Reachability {
        Objects.requireNonNull(state, "state");
        confirmed = List.copyOf(confirmed);
        answers = List.copyOf(answers);
    }

    public static Reachability unknown() {
        return new Reachability(State.UNKNOWN, 0, List.of(), List.of());
    }

    /**
     * One server's answer. {@code status}: the protocol's status name ({@code OK}, {@code E_DIAL_ERROR},
     * {@code E_DIAL_REFUSED}, {@code E_BAD_REQUEST}, {@code E_INTERNAL_ERROR}), or {@code NO_ANSWER}
     * when the server did not answer in time or the stream failed. {@code counted}: whether it went
     * into the state (not when the server is on one of the IP addresses checked, loopback aside: its
     * dial-back would not cross any NAT or firewall).
     */
    public record Answer(PeerId server, String status, String text, Multiaddr address, Instant at, boolean counted) {
        public Answer {
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(status, "status");
            text = text == null ? "" : text;
            Objects.requireNonNull(at, "at");
        }
    }
}
