package io.ipnslink.p2p.internal;

import io.ipnslink.p2p.ProtocolHandler;
import io.ipnslink.p2p.multistream.MultistreamSelect;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on every stream the remote opens: multistream-select against the host's protocols, then
 * the protocol's handler. A stream whose protocol is unknown or whose negotiation fails is closed.
 */
@Sharable
final class InboundStreamInitializer extends ChannelInitializer<Channel> {
    private static final Logger log = LoggerFactory.getLogger(InboundStreamInitializer.class);

    private final ConnectionImpl connection;
    private final ProtocolRegistry registry;
    private final Duration timeout;

    InboundStreamInitializer(ConnectionImpl connection, ProtocolRegistry registry, Duration timeout) {
        this.connection = connection;
        this.registry = registry;
        this.timeout = timeout;
    }

    @Override
    protected void initChannel(Channel ch) {
        Future<String> negotiated = MultistreamSelect.respond(ch, registry::supports, registry::ids, timeout);
        negotiated.addListener(f -> {
            if (!f.isSuccess()) {
                log.debug("{}: inbound stream negotiation failed: {}", connection.id(), f.cause().toString());
                ch.close();
                return;
            }
            String protocol = negotiated.getNow();
            ProtocolHandler handler = registry.get(protocol);
            StreamImpl stream = new StreamImpl(ch, protocol, connection, false);
            if (handler == null) {
                log.debug("{}: protocol {} went away during negotiation", connection.id(), protocol);
                stream.reset();
                return;
            }
            try {
                handler.handle(stream);
            } catch (Exception e) {
                log.warn("{}: handler of {} failed: {}", connection.id(), protocol, e.toString());
                stream.reset();
            }
        });
    }
}
