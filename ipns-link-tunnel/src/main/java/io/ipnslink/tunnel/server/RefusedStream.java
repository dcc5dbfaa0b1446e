package io.ipnslink.tunnel.server;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream of a site from a gateway that is not on the site's allow-list: once the request head is
 * read, a 403 with {@link TunnelErrors#HEADER} {@link TunnelErrors#GATEWAY_NOT_ALLOWED} and the
 * stream is closed. The origin is never contacted; the request body is read and dropped.
 */
final class RefusedStream extends ChannelInboundHandlerAdapter {
    static final String HANDLER = "refused";
    private static final Logger LOG = LoggerFactory.getLogger(RefusedStream.class);

    private final Stream stream;
    private final IpnsName site;
    private final PeerId peer;
    private final TunnelStats.Site stats;
    private boolean answered;

    RefusedStream(Stream stream, IpnsName site, PeerId peer, TunnelStats.Site stats) {
        this.stream = stream;
        this.site = site;
        this.peer = peer;
        this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest && !answered) {
                answered = true;
                answer(ctx);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void answer(ChannelHandlerContext ctx) {
        LOG.info("[{}] refused a stream for {} from {}: not on the site's gateway allow-list",
                stream.channel().id().asShortText(), site, peer);
        stats.error(TunnelErrors.GATEWAY_NOT_ALLOWED);
        byte[] body = ("403 Forbidden: this site is served only through the gateways its owner allowed; "
                + "peer " + peer + " is not one of them\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        r.headers().set(HttpHeaderNames.VIA, StreamExchange.VIA);
        r.headers().set(TunnelErrors.HEADER, TunnelErrors.GATEWAY_NOT_ALLOWED);
        ctx.writeAndFlush(r).addListener(x -> stream.close());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stream.reset();
    }
}
