package io.ipnslink.p2p.protocol.fetch;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchRequest;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchResponse;
import io.ipnslink.p2p.protocol.pubsub.FrameReader;
import io.ipnslink.p2p.protocol.pubsub.Frames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * libp2p Fetch ({@code /libp2p/fetch/0.0.1}, libp2p/specs fetch/): one request
 * ({@code FetchRequest{identifier}}) and one answer ({@code FetchResponse{status, data}}) per
 * stream, each uvarint-delimited. The client side is {@link #fetch}; the server is
 * {@link FetchService}.
 */
public final class Fetch {
    public static final String PROTOCOL_ID = "/libp2p/fetch/0.0.1";
    /** Longest identifier accepted by the server and sent by the client. */
    public static final int MAX_IDENTIFIER_BYTES = 1024;
    /** Longest response accepted by the client by default (an IPNS record is at most 10 KiB). */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

    private Fetch() {}

    /**
     * Asks {@code connection}'s peer for {@code identifier}: the data when found, empty on
     * NOT_FOUND. Fails with {@link P2pException.NoSuchProtocol} (the peer does not serve fetch),
     * {@link P2pException.ProtocolViolation} (status ERROR, malformed or oversized answer),
     * {@link P2pException.Timeout} (no answer within {@code timeout}, the stream is reset) or
     * {@link P2pException.ConnectionClosed}.
     */
    public static CompletableFuture<Optional<byte[]>> fetch(Connection connection, byte[] identifier, Duration timeout,
            int maxResponseBytes) {
        if (identifier.length == 0 || identifier.length > MAX_IDENTIFIER_BYTES) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "fetch identifier must have 1 to " + MAX_IDENTIFIER_BYTES + " bytes"));
        }
        CompletableFuture<Optional<byte[]>> result = new CompletableFuture<>();
        byte[] request = FetchRequest.newBuilder().setIdentifier(ByteString.copyFrom(identifier)).build().toByteArray();
        connection.newStream(List.of(PROTOCOL_ID), stream -> {
            stream.channel().pipeline().addLast(new FrameReader(maxResponseBytes, "fetch response"),
                    new ResponseHandler(stream, timeout, result));
        }).whenComplete((stream, e) -> {
            if (e != null) {
                result.completeExceptionally(e instanceof java.util.concurrent.CompletionException ? e.getCause() : e);
                return;
            }
            stream.channel().writeAndFlush(Frames.encode(stream.channel().alloc(), request)).addListener(f -> {
                if (f.isSuccess()) {
                    stream.closeWrite();
                } else {
                    result.completeExceptionally(new P2pException.ConnectionClosed("fetch request not sent: " + f.cause()));
                    stream.reset();
                }
            });
        });
        return result;
    }

    /** Same with {@link #DEFAULT_MAX_RESPONSE_BYTES}. */
    public static CompletableFuture<Optional<byte[]>> fetch(Connection connection, byte[] identifier, Duration timeout) {
        return fetch(connection, identifier, timeout, DEFAULT_MAX_RESPONSE_BYTES);
    }

    private static final class ResponseHandler extends ChannelInboundHandlerAdapter {
        private final Stream stream;
        private final Duration timeout;
        private final CompletableFuture<Optional<byte[]>> result;
        private ScheduledFuture<?> timer;

        ResponseHandler(Stream stream, Duration timeout, CompletableFuture<Optional<byte[]>> result) {
            this.stream = stream;
            this.timeout = timeout;
            this.result = result;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> {
                if (result.completeExceptionally(new P2pException.Timeout(
                        "no fetch response within " + timeout.toMillis() + " ms"))) {
                    stream.reset();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof byte[] frame) || result.isDone()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            timer.cancel(false);
            try {
                FetchResponse r = FetchResponse.parseFrom(frame);
                switch (r.getStatus()) {
                    case OK -> result.complete(Optional.of(r.getData().toByteArray()));
                    case NOT_FOUND -> result.complete(Optional.empty());
                    default -> result.completeExceptionally(new P2pException.ProtocolViolation(
                            "fetch answered " + r.getStatus() + " (" + r.getStatusValue() + ")"));
                }
            } catch (InvalidProtocolBufferException e) {
                result.completeExceptionally(new P2pException.ProtocolViolation(
                        "fetch response is not valid protobuf: " + e.getMessage(), e));
            }
            stream.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                closed("fetch stream ended before a response");
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed("fetch stream closed before a response");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (timer != null) {
                timer.cancel(false);
            }
            result.completeExceptionally(cause instanceof P2pException ? cause
                    : new P2pException.ProtocolViolation("fetch: " + cause, cause));
            stream.reset();
        }

        private void closed(String why) {
            if (timer != null) {
                timer.cancel(false);
            }
            result.completeExceptionally(new P2pException.ConnectionClosed(why));
        }
    }
}
