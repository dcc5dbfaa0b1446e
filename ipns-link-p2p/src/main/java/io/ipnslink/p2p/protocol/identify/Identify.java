package io.ipnslink.p2p.protocol.identify;

import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.ProtocolHandler;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * libp2p identify ({@value #PROTOCOL_ID}) and identify push ({@value #PUSH_PROTOCOL_ID}),
 * libp2p/specs identify/README.md. A message is varint-length-prefixed protobuf; the sender closes
 * its side after writing.
 */
public final class Identify {
    public static final String PROTOCOL_ID = "/ipfs/id/1.0.0";
    public static final String PUSH_PROTOCOL_ID = "/ipfs/id/push/1.0.0";
    /** The protocolVersion this host sends. */
    public static final String PROTOCOL_VERSION = "ipfs/0.1.0";
    /** Largest identify data accepted on one stream (all messages together). */
    public static final int MAX_MESSAGE_SIZE = 64 * 1024;

    private Identify() {}

    /** Asks the remote of {@code connection} for its identify message. */
    public static CompletableFuture<IdentifyProtos.Identify> request(Connection connection, Duration timeout) {
        IdentifyReader reader = new IdentifyReader(timeout);
        return connection.newStream(List.of(PROTOCOL_ID), stream -> stream.channel().pipeline().addLast(reader))
                .thenCompose(stream -> {
                    // We have nothing to say: half-close right away.
                    stream.closeWrite();
                    return reader.result();
                });
    }

    /** Sends {@code message} as a push and closes the stream. */
    public static CompletableFuture<Void> push(Connection connection, IdentifyProtos.Identify message) {
        return connection.newStream(PUSH_PROTOCOL_ID).thenCompose(stream -> writeAndClose(stream, message));
    }

    /** Responder of {@value #PROTOCOL_ID}: writes the message built for this stream, then closes. */
    public static ProtocolHandler responder(Function<Stream, IdentifyProtos.Identify> messageFor, Duration linger) {
        return stream -> {
            // Ignore (and release) anything the initiator sends; close when it closes.
            stream.channel().pipeline().addLast(new CloseOnInputEnd());
            stream.channel().eventLoop().schedule(() -> {
                stream.channel().close();
            }, linger.toMillis(), TimeUnit.MILLISECONDS);
            writeAndClose(stream, messageFor.apply(stream));
        };
    }

    /** Receiver of {@value #PUSH_PROTOCOL_ID}: hands every complete push to {@code onPush}. */
    public static ProtocolHandler pushReceiver(BiConsumer<Stream, IdentifyProtos.Identify> onPush, Duration timeout) {
        return stream -> {
            IdentifyReader reader = new IdentifyReader(timeout);
            stream.channel().pipeline().addLast(reader);
            reader.result().thenAccept(msg -> onPush.accept(stream, msg));
        };
    }

    private static CompletableFuture<Void> writeAndClose(Stream stream, IdentifyProtos.Identify message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        stream.channel().writeAndFlush(Unpooled.wrappedBuffer(IdentifyMessages.encodeDelimited(message)))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        done.completeExceptionally(f.cause());
                        stream.channel().close();
                        return;
                    }
                    if (stream.channel() instanceof DuplexChannel d) {
                        d.shutdownOutput();
                    } else {
                        stream.channel().close();
                    }
                    done.complete(null);
                });
        return done;
    }

    /** Drops inbound bytes and closes the stream once the remote closed its side. */
    private static final class CloseOnInputEnd extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
