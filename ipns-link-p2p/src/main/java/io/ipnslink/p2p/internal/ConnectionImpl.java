package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.ProtocolHandler;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.multistream.MultistreamSelect;
import io.ipnslink.p2p.mux.yamux.YamuxMuxer;
import io.ipnslink.p2p.protocol.identify.Identify;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.identify.IdentifyMessages;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One upgraded connection: the TCP channel with Noise and yamux in its pipeline. */
final class ConnectionImpl implements Connection {
    private static final Logger log = LoggerFactory.getLogger(ConnectionImpl.class);

    private final String id;
    private final Channel channel;
    private final boolean initiator;
    private final PeerId remotePeer;
    private final PubKey remoteKey;
    private final Multiaddr remoteAddress;
    private final Multiaddr localAddress;
    private final Duration negotiationTimeout;
    private final CompletableFuture<IdentifyInfo> identify = new CompletableFuture<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private volatile YamuxMuxer muxer;
    private volatile IdentifyProtos.Identify identifyMessage;
    private volatile IdentifyInfo identifyInfo;
    /** Registration order in the {@link ConnectionTable} (older = smaller). */
    volatile long serial;

    ConnectionImpl(String id, Channel channel, boolean initiator, PeerId remotePeer, PubKey remoteKey,
            Duration negotiationTimeout) {
        this(id, channel, initiator, remotePeer, remoteKey, negotiationTimeout, null);
    }

    /** {@code remoteAddress}: the address of a connection that is not a TCP socket (a relayed one), else null. */
    ConnectionImpl(String id, Channel channel, boolean initiator, PeerId remotePeer, PubKey remoteKey,
            Duration negotiationTimeout, Multiaddr remoteAddress) {
        this.id = id;
        this.channel = channel;
        this.initiator = initiator;
        this.remotePeer = remotePeer;
        this.remoteKey = remoteKey;
        this.remoteAddress = remoteAddress != null ? remoteAddress
                : Multiaddr.tcp((InetSocketAddress) channel.remoteAddress());
        this.localAddress = Multiaddr.tcp((InetSocketAddress) channel.localAddress());
        this.negotiationTimeout = negotiationTimeout;
        channel.closeFuture().addListener(f -> {
            closeFuture.complete(null);
            identify.completeExceptionally(new P2pException.ConnectionClosed("connection " + id + " closed"));
        });
    }

    void setMuxer(YamuxMuxer muxer) {
        this.muxer = muxer;
    }

    YamuxMuxer muxer() {
        return muxer;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public PeerId remotePeer() {
        return remotePeer;
    }

    @Override
    public PubKey remotePublicKey() {
        return remoteKey;
    }

    @Override
    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    @Override
    public Multiaddr localAddress() {
        return localAddress;
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public CompletableFuture<Stream> newStream(String... protocolIds) {
        return newStream(Arrays.asList(protocolIds), null);
    }

    @Override
    public CompletableFuture<Stream> newStream(List<String> protocolIds, ProtocolHandler initializer) {
        return open(protocolIds, initializer, false);
    }

    @Override
    public CompletableFuture<Stream> newStreamPipelined(String protocolId, ProtocolHandler initializer) {
        return open(List.of(protocolId), initializer, true);
    }

    private CompletableFuture<Stream> open(List<String> protocolIds, ProtocolHandler initializer, boolean lazy) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        if (protocolIds.isEmpty()) {
            throw new IllegalArgumentException("newStream needs at least one protocol id");
        }
        protocolIds.forEach(ProtocolBinding::checkProtocolId);
        List<String> ids = List.copyOf(protocolIds);
        if (!isOpen() || muxer == null) {
            result.completeExceptionally(new P2pException.ConnectionClosed("connection " + id + " is closed"));
            return result;
        }
        ChannelHandler streamInit = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                Future<String> negotiated = lazy
                        ? MultistreamSelect.initiateLazy(ch, ids.get(0), negotiationTimeout, null)
                        : MultistreamSelect.initiate(ch, ids, negotiationTimeout);
                negotiated.addListener(nf -> {
                    if (!nf.isSuccess()) {
                        ch.close();
                        result.completeExceptionally(Errors.toP2p(nf.cause(), "negotiating " + ids + " on " + id));
                        return;
                    }
                    StreamImpl stream = new StreamImpl(ch, negotiated.getNow(), ConnectionImpl.this, true);
                    try {
                        if (initializer != null) {
                            initializer.handle(stream);
                        }
                    } catch (Exception e) {
                        stream.reset();
                        result.completeExceptionally(new P2pException("stream initializer failed: " + e.getMessage(), e));
                        return;
                    }
                    if (!result.complete(stream)) {
                        stream.reset();
                    }
                });
            }
        };
        channel.eventLoop().execute(() -> {
            if (!channel.isActive()) {
                result.completeExceptionally(new P2pException.ConnectionClosed("connection " + id + " is closed"));
                return;
            }
            muxer.openStream(streamInit).addListener(of -> {
                if (!of.isSuccess()) {
                    result.completeExceptionally(Errors.toP2p(of.cause(), "opening a stream on " + id));
                }
            });
        });
        return result;
    }

    @Override
    public void keepOpen(boolean hold) {
        YamuxMuxer m = muxer;
        if (m != null) {
            m.keepOpen(hold);
        }
    }

    /** Runs identify against the remote; the result lands in {@link #identify()}. */
    void startIdentify(Duration timeout) {
        Identify.request(this, timeout).thenApply(msg -> {
            IdentifyInfo info = toInfo(msg);
            identifyMessage = msg;
            identifyInfo = info;
            return info;
        }).whenComplete((info, err) -> {
            if (err != null) {
                Throwable cause = Errors.unwrap(err);
                log.debug("{}: identify of {} failed: {}", id, remotePeer, cause.getMessage());
                identify.completeExceptionally(cause);
            } else {
                log.debug("{}: identified {} ({}, {} protocols)", id, remotePeer, info.agentVersion(),
                        info.protocols().size());
                identify.complete(info);
            }
        });
    }

    /** A push from the remote: fields it carries replace ours. */
    void onIdentifyPush(IdentifyProtos.Identify push) {
        IdentifyProtos.Identify base = identifyMessage == null ? IdentifyProtos.Identify.getDefaultInstance()
                : identifyMessage;
        IdentifyProtos.Identify merged = IdentifyMessages.applyPush(base, push);
        try {
            IdentifyInfo info = toInfo(merged);
            identifyMessage = merged;
            identifyInfo = info;
            log.debug("{}: identify push from {}: {} protocols", id, remotePeer, info.protocols().size());
        } catch (CompletionException e) {
            log.debug("{}: rejected identify push from {}: {}", id, remotePeer, e.getCause().getMessage());
        }
    }

    private IdentifyInfo toInfo(IdentifyProtos.Identify msg) {
        try {
            return IdentifyMessages.toInfo(msg, remotePeer, remoteKey);
        } catch (P2pException e) {
            throw new CompletionException(e);
        }
    }

    @Override
    public Optional<IdentifyInfo> identifyInfo() {
        return Optional.ofNullable(identifyInfo);
    }

    @Override
    public CompletableFuture<IdentifyInfo> identify() {
        return identify.copy();
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public int openStreams() {
        YamuxMuxer m = muxer;
        return m == null ? 0 : m.activeStreams();
    }

    @Override
    public CompletableFuture<Void> close() {
        if (channel.eventLoop().isShuttingDown()) {
            channel.close();
            return closeFuture.copy();
        }
        channel.eventLoop().execute(() -> {
            YamuxMuxer m = muxer;
            if (m != null && channel.isActive()) {
                try {
                    m.goAway(0);
                } catch (RuntimeException e) {
                    log.debug("{}: go-away failed: {}", id, e.getMessage());
                }
            }
            channel.close();
        });
        return closeFuture.copy();
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture.copy();
    }

    @Override
    public String toString() {
        return "Connection{" + id + " " + (initiator ? "to " : "from ") + remotePeer + " at " + remoteAddress + "}";
    }
}
