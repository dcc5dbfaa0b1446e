package io.ipnslink.p2p.protocol.fetch;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchRequest;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchResponse;
import io.ipnslink.p2p.protocol.pubsub.FrameReader;
import io.ipnslink.p2p.protocol.pubsub.Frames;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of libp2p Fetch: reads one request (identifier at most
 * {@link Fetch#MAX_IDENTIFIER_BYTES}, within {@link #REQUEST_TIMEOUT}), finds the {@link Lookup}
 * registered for the identifier's prefix and answers OK with the data, NOT_FOUND, or ERROR (no
 * lookup for that prefix, as js-libp2p answers, or a lookup that failed). At most
 * {@link #MAX_CONCURRENT_REQUESTS} requests are served at once; beyond, a new stream is reset.
 * Lookups run on the stream's event loop: they must answer from memory.
 */
public final class FetchService {
    private static final Logger log = LoggerFactory.getLogger(FetchService.class);

    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int MAX_CONCURRENT_REQUESTS = 256;
    public static final int MAX_LOOKUPS = 16;

    /** Answers one identifier: the data, or empty when not found. Must not block. */
    @FunctionalInterface
    public interface Lookup {
        Optional<byte[]> lookup(byte[] identifier);
    }

    private final Map<String, Lookup> lookups = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();

    /** Serves identifiers starting with {@code prefix} (ASCII, e.g. {@code /ipns/}). */
    public void register(String prefix, Lookup lookup) {
        if (!lookups.containsKey(prefix) && lookups.size() >= MAX_LOOKUPS) {
            throw new IllegalStateException("at most " + MAX_LOOKUPS + " fetch lookups");
        }
        lookups.put(prefix, lookup);
    }

    public void unregister(String prefix) {
        lookups.remove(prefix);
    }

    /** Requests answered (any status) since the start. */
    public long served() {
        return served.get();
    }

    public ProtocolBinding binding() {
        return ProtocolBinding.of(Fetch.PROTOCOL_ID, this::onStream);
    }

    private void onStream(Stream stream) {
        if (active.incrementAndGet() > MAX_CONCURRENT_REQUESTS) {
            active.decrementAndGet();
            log.debug("{}: fetch request from {} refused: {} requests running", stream.connection().id(),
                    stream.remotePeer(), MAX_CONCURRENT_REQUESTS);
            stream.reset();
            return;
        }
        stream.channel().closeFuture().addListener(f -> active.decrementAndGet());
        stream.channel().pipeline().addLast(new FrameReader(Fetch.MAX_IDENTIFIER_BYTES + 8, "fetch request"),
                new RequestHandler(stream));
    }

    private FetchResponse answer(byte[] identifier) {
        Lookup lookup = null;
        for (Map.Entry<String, Lookup> e : lookups.entrySet()) {
            byte[] p = e.getKey().getBytes(StandardCharsets.US_ASCII);
            if (identifier.length >= p.length && Arrays.equals(identifier, 0, p.length, p, 0, p.length)) {
                lookup = e.getValue();
                break;
            }
        }
        if (lookup == null) {
            return FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.ERROR).build();
        }
        try {
            Optional<byte[]> data = lookup.lookup(identifier);
            return data.map(d -> FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.OK)
                            .setData(ByteString.copyFrom(d)).build())
                    .orElseGet(() -> FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.NOT_FOUND).build());
        } catch (RuntimeException e) {
            log.warn("fetch lookup failed: {}", e.toString());
            return FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.ERROR).build();
        }
    }

    private final class RequestHandler extends ChannelInboundHandlerAdapter {
        private final Stream stream;
        private ScheduledFuture<?> timer;
        private boolean answered;

        RequestHandler(Stream stream) {
            this.stream = stream;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> {
                if (!answered) {
                    log.debug("{}: no fetch request from {} within {} ms", stream.connection().id(), stream.remotePeer(),
                            REQUEST_TIMEOUT.toMillis());
                    answered = true;
                    stream.reset();
                }
            }, REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof byte[] frame) || answered) {
                ReferenceCountUtil.release(msg);
                return;
            }
            answered = true;
            timer.cancel(false);
            FetchRequest request;
            try {
                request = FetchRequest.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                log.info("{}: malformed fetch request from {}: {}", stream.connection().id(), stream.remotePeer(),
                        e.getMessage());
                stream.reset();
                return;
            }
            byte[] id = request.getIdentifier().toByteArray();
            FetchResponse response = id.length == 0 || id.length > Fetch.MAX_IDENTIFIER_BYTES
                    ? FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.ERROR).build()
                    : answer(id);
            served.incrementAndGet();
            log.debug("{}: fetch from {}: {}", stream.connection().id(), stream.remotePeer(), response.getStatus());
            ctx.writeAndFlush(Frames.encode(ctx.alloc(), response.toByteArray()))
                    .addListener((ChannelFutureListener) f -> stream.close());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.info("{}: fetch stream from {} closed: {}", stream.connection().id(), stream.remotePeer(),
                    cause.getMessage());
            answered = true;
            if (timer != null) {
                timer.cancel(false);
            }
            stream.reset();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
