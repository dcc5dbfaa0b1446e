package io.ipnslink.p2p.protocol.autonat;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message.ResponseStatus;
import io.netty.channel.ChannelFutureListener;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of AutoNAT v1: on a {@code DIAL} request it dials the client's claimed addresses
 * back on a <em>new</em> connection (never the one the request came on; the peer id is checked by
 * the Noise handshake of that new connection) and answers {@code OK} with the address that worked,
 * or {@code E_DIAL_ERROR}.
 *
 * <p>Only addresses whose IP is the one the request came from are dialed (the spec's rule against
 * using the server to attack third parties), never relayed ones, private ones only when
 * {@link Host.AutonatLimits#dialPrivate()}, at most {@link Host.AutonatLimits#maxAddresses()}, all
 * within {@link Host.AutonatLimits#dialTimeout()}. Refusals: {@code E_BAD_REQUEST} (not a DIAL, no
 * or another peer id, malformed), {@code E_DIAL_REFUSED} (request over a relayed connection, no
 * address that may be dialed, over a rate or concurrency bound), {@code E_INTERNAL_ERROR}
 * (host closing, unexpected failure). Each refusal is logged with its reason.
 */
public final class AutonatService {
    private static final Logger log = LoggerFactory.getLogger(AutonatService.class);

    /** Time for the request to arrive on a new stream. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Peers whose request rate is tracked at once; beyond, new peers are refused until windows end. */
    public static final int MAX_TRACKED_PEERS = 4096;

    /** Opens a new connection (never a pooled one) to {@code peer} at {@code target}, verifying its id. */
    @FunctionalInterface
    public interface DialBack {
        CompletableFuture<? extends Connection> dial(PeerId peer, InetSocketAddress target);
    }

    private final Host.AutonatLimits limits;
    private final DialBack dialBack;
    private final LongSupplier nanoTime;
    /** Guarded by {@code this}: request windows per peer and in all, dial-backs running. */
    private final Map<PeerId, Window> perPeer = new HashMap<>();
    private final Map<String, Integer> dialingPerIp = new HashMap<>();
    private Window all;
    private int dialing;
    private long served;
    private long refused;

    private static final class Window {
        final long start;
        int count;

        Window(long start) {
            this.start = start;
        }
    }

    public AutonatService(Host.AutonatLimits limits, DialBack dialBack, LongSupplier nanoTime) {
        this.limits = limits;
        this.dialBack = dialBack;
        this.nanoTime = nanoTime;
        this.all = new Window(nanoTime.getAsLong());
    }

    /** The binding to add to the host ({@link Autonat#PROTOCOL_ID}). */
    public ProtocolBinding binding() {
        return ProtocolBinding.of(Autonat.PROTOCOL_ID, this::onStream);
    }

    /** Dial-backs running now. */
    public synchronized int dialing() {
        return dialing;
    }

    /** Requests answered with a dial-back (OK or E_DIAL_ERROR) since the start. */
    public synchronized long served() {
        return served;
    }

    /** Requests refused (any other status) since the start. */
    public synchronized long refused() {
        return refused;
    }

    private void onStream(Stream stream) {
        AutonatMessageReader reader = AutonatMessageReader.install(stream.channel(), REQUEST_TIMEOUT);
        reader.result().whenComplete((msg, err) -> {
            if (err != null) {
                if (err instanceof P2pException.ProtocolViolation) {
                    answer(stream, ResponseStatus.E_BAD_REQUEST, err.getMessage(), null);
                } else {
                    log.debug("{}: autonat request from {} not read: {}", stream.connection().id(),
                            stream.remotePeer(), err.getMessage());
                    countRefused();
                    stream.reset();
                }
                return;
            }
            try {
                onRequest(stream, msg);
            } catch (RuntimeException e) {
                log.warn("{}: autonat request from {} failed: {}", stream.connection().id(), stream.remotePeer(),
                        e.toString());
                answer(stream, ResponseStatus.E_INTERNAL_ERROR, "internal error", null);
            }
        });
    }

    private void onRequest(Stream stream, Message msg) {
        Connection conn = stream.connection();
        if (!msg.hasType() || msg.getType() != Message.MessageType.DIAL || !msg.hasDial()
                || !msg.getDial().hasPeer()) {
            answer(stream, ResponseStatus.E_BAD_REQUEST, "expected a DIAL message with peer info", null);
            return;
        }
        Message.PeerInfo info = msg.getDial().getPeer();
        PeerId claimed;
        try {
            if (!info.hasId()) {
                answer(stream, ResponseStatus.E_BAD_REQUEST, "missing peer id", null);
                return;
            }
            claimed = PeerId.fromBytes(info.getId().toByteArray());
        } catch (RuntimeException e) {
            answer(stream, ResponseStatus.E_BAD_REQUEST, "bad peer id", null);
            return;
        }
        PeerId peer = conn.remotePeer();
        if (!claimed.equals(peer)) {
            answer(stream, ResponseStatus.E_BAD_REQUEST, "peer id mismatch", null);
            return;
        }
        if (conn.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            answer(stream, ResponseStatus.E_DIAL_REFUSED, "request over a relayed connection", null);
            return;
        }
        Optional<InetSocketAddress> from = conn.remoteAddress().toTcpSocketAddress();
        if (from.isEmpty() || from.get().isUnresolved()) {
            answer(stream, ResponseStatus.E_DIAL_REFUSED, "request over a connection without an IP address", null);
            return;
        }
        InetAddress source = from.get().getAddress();
        Selection sel = select(info.getAddrsList(), peer, source);
        if (sel.targets.isEmpty()) {
            answer(stream, ResponseStatus.E_DIAL_REFUSED, "no dialable address (" + sel.skipped + ")", null);
            return;
        }
        String ip = ipKey(source);
        String refusal = admit(peer, ip);
        if (refusal != null) {
            answer(stream, ResponseStatus.E_DIAL_REFUSED, refusal, null);
            return;
        }
        log.debug("{}: autonat dial-back of {} at {}", conn.id(), peer, sel.targets);
        CompletableFuture<Multiaddr> done = new CompletableFuture<>();
        io.netty.util.concurrent.ScheduledFuture<?> timer = stream.channel().eventLoop().schedule(
                () -> done.completeExceptionally(new P2pException.Timeout("no dial-back within "
                        + limits.dialTimeout().toMillis() + " ms")),
                limits.dialTimeout().toMillis(), TimeUnit.MILLISECONDS);
        tryNext(peer, sel.targets, 0, done, new ArrayList<>());
        done.whenComplete((addr, err) -> {
            timer.cancel(false);
            release(ip);
            if (err == null) {
                answer(stream, ResponseStatus.OK, "", addr);
            } else {
                Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (c instanceof P2pException.ConnectionClosed && String.valueOf(c.getMessage()).contains("closing")) {
                    answer(stream, ResponseStatus.E_INTERNAL_ERROR, "host closing", null);
                } else {
                    answer(stream, ResponseStatus.E_DIAL_ERROR, "dial-back failed: " + c.getMessage(), null);
                }
            }
        });
    }

    /** Dials {@code targets} one after the other until one works, {@code done} completes or all failed. */
    private void tryNext(PeerId peer, List<Multiaddr> targets, int i, CompletableFuture<Multiaddr> done,
            List<String> errors) {
        if (done.isDone()) {
            return;
        }
        if (i >= targets.size()) {
            done.completeExceptionally(new P2pException.DialFailed(String.join("; ", errors), null));
            return;
        }
        Multiaddr target = targets.get(i);
        CompletableFuture<? extends Connection> attempt;
        try {
            attempt = dialBack.dial(peer, target.toTcpSocketAddress().orElseThrow());
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        attempt.whenComplete((c, err) -> {
            if (c != null) {
                c.close(); // only the handshake mattered; also when the answer timed out meanwhile
            }
            if (err == null) {
                done.complete(target);
                return;
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (cause instanceof P2pException.ConnectionClosed
                    && String.valueOf(cause.getMessage()).contains("closing")) {
                done.completeExceptionally(cause);
                return;
            }
            errors.add(target + ": " + cause.getMessage());
            tryNext(peer, targets, i + 1, done, errors);
        });
    }

    record Selection(List<Multiaddr> targets, String skipped) {}

    /** The claimed addresses that may be dialed: same IP as {@code source}, TCP, not relayed, deduplicated, capped. */
    Selection select(List<ByteString> claimed, PeerId peer, InetAddress source) {
        Set<Multiaddr> out = new LinkedHashSet<>();
        int bad = 0;
        int relayed = 0;
        int otherIp = 0;
        int priv = 0;
        int unsupported = 0;
        for (ByteString b : claimed) {
            Multiaddr a;
            try {
                a = Multiaddr.decode(b.toByteArray());
            } catch (RuntimeException e) {
                bad++;
                continue;
            }
            if (a.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                relayed++;
                continue;
            }
            Optional<InetSocketAddress> sa = a.toTcpSocketAddress();
            if (sa.isEmpty() || sa.get().isUnresolved() || sa.get().getPort() == 0) {
                unsupported++;
                continue;
            }
            Optional<String> p2p = a.valueOf(Multiaddr.Protocol.P2P);
            if (p2p.isPresent() && !p2p.get().equals(peer.toBase58()) && !p2p.get().equals(peer.toString())) {
                bad++;
                continue;
            }
            InetAddress ip = sa.get().getAddress();
            if (!ip.equals(source)) {
                otherIp++;
                continue;
            }
            if (!limits.dialPrivate() && !isPublic(ip)) {
                priv++;
                continue;
            }
            if (out.size() < limits.maxAddresses()) {
                out.add(Multiaddr.tcp(sa.get()));
            }
        }
        String skipped = "of " + claimed.size() + ": " + relayed + " relayed, " + otherIp + " other IP, " + priv
                + " private, " + unsupported + " not TCP, " + bad + " malformed";
        return new Selection(List.copyOf(out), skipped);
    }

    /** Counts the request against the rate and concurrency bounds; a refusal reason, or null when admitted. */
    private synchronized String admit(PeerId peer, String ip) {
        long now = nanoTime.getAsLong();
        long period = limits.ratePeriod().toNanos();
        if (now - all.start >= period) {
            all = new Window(now);
        }
        Window w = perPeer.get(peer);
        if (w != null && now - w.start >= period) {
            perPeer.remove(peer);
            w = null;
        }
        if (w == null && perPeer.size() >= MAX_TRACKED_PEERS) {
            for (Iterator<Window> it = perPeer.values().iterator(); it.hasNext();) {
                if (now - it.next().start >= period) {
                    it.remove();
                }
            }
            if (perPeer.size() >= MAX_TRACKED_PEERS) {
                return "too many peers asking (" + MAX_TRACKED_PEERS + ")";
            }
        }
        if (w != null && w.count >= limits.maxRequestsPerPeer()) {
            return "too many requests: at most " + limits.maxRequestsPerPeer() + " per "
                    + limits.ratePeriod().toSeconds() + " s per peer";
        }
        if (all.count >= limits.maxRequests()) {
            return "too many requests: at most " + limits.maxRequests() + " per " + limits.ratePeriod().toSeconds()
                    + " s";
        }
        if (dialing >= limits.maxConcurrentDials()) {
            return "busy: " + limits.maxConcurrentDials() + " dial-backs running";
        }
        if (dialingPerIp.getOrDefault(ip, 0) >= limits.maxConcurrentDialsPerIp()) {
            return "busy: " + limits.maxConcurrentDialsPerIp() + " dial-backs running for " + ip;
        }
        if (w == null) {
            w = new Window(now);
            perPeer.put(peer, w);
        }
        w.count++;
        all.count++;
        dialing++;
        dialingPerIp.merge(ip, 1, Integer::sum);
        return null;
    }

    private synchronized void release(String ip) {
        dialing--;
        dialingPerIp.computeIfPresent(ip, (k, v) -> v <= 1 ? null : v - 1);
    }

    private synchronized void countRefused() {
        refused++;
    }

    private void answer(Stream stream, ResponseStatus status, String text, Multiaddr addr) {
        String id = stream.connection().id();
        synchronized (this) {
            if (status == ResponseStatus.OK || status == ResponseStatus.E_DIAL_ERROR) {
                served++;
            } else {
                refused++;
            }
        }
        if (status == ResponseStatus.OK) {
            log.debug("{}: autonat: {} reachable at {}", id, stream.remotePeer(), addr);
        } else {
            log.debug("{}: autonat: {} to {}: {}", id, status, stream.remotePeer(), text);
        }
        Message.DialResponse.Builder r = Message.DialResponse.newBuilder().setStatus(status)
                .setStatusText(Autonat.printable(text));
        if (addr != null) {
            r.setAddr(ByteString.copyFrom(addr.bytes()));
        }
        Message m = Message.newBuilder().setType(Message.MessageType.DIAL_RESPONSE).setDialResponse(r).build();
        stream.channel().eventLoop().execute(() -> {
            if (!stream.channel().isActive()) {
                return;
            }
            stream.channel().writeAndFlush(Autonat.encode(stream.channel().alloc(), m))
                    .addListener((ChannelFutureListener) f -> stream.close());
        });
    }

    /** Neither loopback, link-local, site-local (RFC 1918, fc00::/7), CGNAT, any-local nor multicast. */
    static boolean isPublic(InetAddress ip) {
        if (ip.isLoopbackAddress() || ip.isLinkLocalAddress() || ip.isSiteLocalAddress() || ip.isAnyLocalAddress()
                || ip.isMulticastAddress()) {
            return false;
        }
        byte[] b = ip.getAddress();
        if (ip instanceof Inet4Address) {
            int a0 = b[0] & 0xFF;
            int a1 = b[1] & 0xFF;
            return a0 != 0 && !(a0 == 100 && a1 >= 64 && a1 < 128) && a0 < 224;
        }
        if (ip instanceof Inet6Address) {
            return (b[0] & 0xFE) != 0xFC;
        }
        return true;
    }

    /** The IPv4 address, or the IPv6 /64. */
    static String ipKey(InetAddress ia) {
        if (ia instanceof Inet4Address) {
            return ia.getHostAddress();
        }
        return "ip6:" + java.util.HexFormat.of().formatHex(Arrays.copyOf(ia.getAddress(), 8)) + "/64";
    }
}
