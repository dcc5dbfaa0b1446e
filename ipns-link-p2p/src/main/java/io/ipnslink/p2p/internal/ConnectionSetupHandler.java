package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.multistream.MultistreamSelect;
import io.ipnslink.p2p.mux.yamux.InboundBufferBudget;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.p2p.mux.yamux.YamuxMuxer;
import io.ipnslink.p2p.security.noise.NoiseSecurityHandler;
import io.ipnslink.p2p.security.noise.NoiseTransportCodec;
import io.ipnslink.p2p.security.noise.SecureSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upgrade pipeline of one raw TCP channel, and afterwards its last handler (it logs and closes
 * on errors that reach the end of the pipeline).
 *
 * <p>Steps, all on the channel's event loop, bounded together by {@link Host.Timeouts#upgrade()}:
 * multistream-select {@value NoiseSecurityHandler#PROTOCOL_ID}; the Noise XX handshake (which checks
 * the expected peer id, and offers {@value YamuxMuxer#PROTOCOL_ID} in its extensions); when the
 * handshake did not agree on a muxer, multistream-select {@value YamuxMuxer#PROTOCOL_ID}; then the
 * yamux session, whose inbound streams go to {@link InboundStreamInitializer}. In a private network
 * (a {@link Settings#swarmKey()}) a {@link io.ipnslink.p2p.security.pnet.PnetCodec} goes before
 * all of them.
 */
final class ConnectionSetupHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionSetupHandler.class);

    static final String NAME = "p2p-connection";
    static final String YAMUX_NAME = "yamux";

    /** What the handler needs from its host. */
    record Settings(PrivKey identity, Host.Timeouts timeouts, YamuxConfig yamuxConfig, ProtocolRegistry registry,
            InboundBufferBudget inboundBudget, io.ipnslink.p2p.security.pnet.SwarmKey swarmKey) {
        /** Not in a private network. */
        Settings(PrivKey identity, Host.Timeouts timeouts, YamuxConfig yamuxConfig, ProtocolRegistry registry,
                InboundBufferBudget inboundBudget) {
            this(identity, timeouts, yamuxConfig, registry, inboundBudget, null);
        }
    }

    private final Settings settings;
    private final String id;
    private final boolean initiator;
    private final PeerId expectedPeer;
    private final io.ipnslink.core.multiformats.Multiaddr remoteAddress;
    private final CompletableFuture<ConnectionImpl> result = new CompletableFuture<>();
    private boolean started;
    /** multistream-select agreed on Noise: past the point where another swarm key shows. */
    private boolean securityNegotiated;
    private ScheduledFuture<?> deadline;
    private Channel channel;

    ConnectionSetupHandler(Settings settings, String id, boolean initiator, PeerId expectedPeer) {
        this(settings, id, initiator, expectedPeer, null);
    }

    /**
     * {@code remoteAddress}: the connection's remote address when the channel is not a TCP socket
     * (a relayed connection on a stream), else null.
     */
    ConnectionSetupHandler(Settings settings, String id, boolean initiator, PeerId expectedPeer,
            io.ipnslink.core.multiformats.Multiaddr remoteAddress) {
        this.settings = settings;
        this.id = id;
        this.initiator = initiator;
        this.expectedPeer = expectedPeer;
        this.remoteAddress = remoteAddress;
    }

    /** Completes with the ready connection, or fails (and the channel is closed). */
    CompletableFuture<ConnectionImpl> result() {
        return result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        if (channel.isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        long ms = settings.timeouts().upgrade().toMillis();
        deadline = channel.eventLoop().schedule(() -> fail(new P2pException.Timeout(
                "connection " + id + " to " + channel.remoteAddress() + " not ready within " + ms + " ms"), "upgrade"),
                ms, TimeUnit.MILLISECONDS);
        log.debug("{}: {} connection {} -> {}", id, initiator ? "outbound" : "inbound", channel.localAddress(),
                channel.remoteAddress());
        if (settings.swarmKey() != null) {
            // the private network protector goes first: nothing else is readable without the key
            channel.pipeline().addBefore(NAME, io.ipnslink.p2p.security.pnet.PnetCodec.HANDLER_NAME,
                    new io.ipnslink.p2p.security.pnet.PnetCodec(settings.swarmKey()));
        }
        String noise = NoiseSecurityHandler.PROTOCOL_ID;
        String after = settings.swarmKey() == null ? null : io.ipnslink.p2p.security.pnet.PnetCodec.HANDLER_NAME;
        Future<String> security = initiator
                ? MultistreamSelect.initiate(channel, List.of(noise), settings.timeouts().negotiation(), after)
                : MultistreamSelect.respond(channel, noise::equals, () -> List.of(noise),
                        settings.timeouts().negotiation(), after);
        security.addListener(f -> {
            if (f.isSuccess()) {
                startNoise();
            } else {
                fail(f.cause(), "negotiating security");
            }
        });
    }

    private void startNoise() {
        if (result.isDone()) {
            return;
        }
        securityNegotiated = true;
        NoiseSecurityHandler noise = new NoiseSecurityHandler(settings.identity(), initiator,
                List.of(YamuxMuxer.PROTOCOL_ID), expectedPeer, settings.timeouts().upgrade());
        channel.pipeline().addBefore(NAME, NoiseSecurityHandler.HANDLER_NAME, noise);
        noise.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                onSecured(noise.handshakeFuture().getNow());
            } else {
                fail(f.cause(), "Noise handshake");
            }
        });
    }

    private void onSecured(SecureSession session) {
        if (result.isDone()) {
            return;
        }
        if (expectedPeer != null && !expectedPeer.equals(session.remotePeer())) {
            fail(new P2pException.BadPeer("dialed " + expectedPeer + " at " + channel.remoteAddress()
                    + " but the remote is " + session.remotePeer()), "Noise handshake");
            return;
        }
        String yamux = YamuxMuxer.PROTOCOL_ID;
        if (yamux.equals(session.muxer())) {
            installMuxer(session);
            return;
        }
        // Negotiated inside the secure channel: the handler goes right after the Noise codec.
        String after = NoiseTransportCodec.HANDLER_NAME;
        Future<String> mux = initiator
                ? MultistreamSelect.initiate(channel, List.of(yamux), settings.timeouts().negotiation(), after)
                : MultistreamSelect.respond(channel, yamux::equals, () -> List.of(yamux),
                        settings.timeouts().negotiation(), after);
        mux.addListener(f -> {
            if (f.isSuccess()) {
                installMuxer(session);
            } else {
                fail(f.cause(), "negotiating the muxer");
            }
        });
    }

    private void installMuxer(SecureSession session) {
        if (result.isDone()) {
            return;
        }
        ConnectionImpl conn = new ConnectionImpl(id, channel, initiator, session.remotePeer(), session.remoteKey(),
                settings.timeouts().negotiation(), remoteAddress);
        YamuxMuxer muxer = new YamuxMuxer(initiator, settings.yamuxConfig(),
                new InboundStreamInitializer(conn, settings.registry(), settings.timeouts().negotiation()),
                settings.inboundBudget());
        conn.setMuxer(muxer);
        channel.pipeline().addBefore(NAME, YAMUX_NAME, muxer);
        deadline.cancel(false);
        log.debug("{}: secured and multiplexed with {}", id, session.remotePeer());
        if (!result.complete(conn)) {
            channel.close();
        }
    }

    private void fail(Throwable cause, String step) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        P2pException e = Errors.toP2p(cause, step + " with " + channel.remoteAddress() + " (" + id + ")");
        if (settings.swarmKey() != null && !securityNegotiated) {
            e = privateNetworkHint(e);
        }
        if (result.completeExceptionally(e)) {
            log.debug("{}: {} failed: {}", id, step, e.getMessage());
        }
        channel.close();
    }

    /**
     * In a private network a remote with another key (or none) looks like a peer that speaks noise
     * or hangs up: the error says so.
     */
    private static P2pException privateNetworkHint(P2pException e) {
        String msg = e.getMessage() + " (private network: does the remote have the same swarm key?)";
        P2pException hinted = e instanceof P2pException.Timeout ? new P2pException.Timeout(msg)
                : e instanceof P2pException.ConnectionClosed ? new P2pException.ConnectionClosed(msg, e)
                : new P2pException.ProtocolViolation(msg, e);
        if (hinted.getCause() == null) {
            hinted.initCause(e);
        }
        return hinted;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Nothing should get this far: the muxer consumes everything.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!result.isDone()) {
            fail(new P2pException.ConnectionClosed("connection " + id + " closed during the upgrade"), "upgrade");
        } else {
            log.debug("{}: closed", id);
        }
        super.channelInactive(ctx);
    }

    /**
     * A relayed connection runs on a stream, which reports the remote's FIN as an event where a TCP
     * socket (without half-closure) would close: a connection cannot live on half a transport.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            log.debug("{}: the transport stream was closed by the remote", id);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!result.isDone()) {
            fail(cause, "upgrade");
        } else {
            log.debug("{}: closing after error: {}", id, cause.toString());
            ctx.close();
        }
    }
}
