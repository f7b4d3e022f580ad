package io.podvisor.agent;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/** Tells the host the agent is serving: one connection that writes {@code READY <version>\n} and closes. */
final class ReadinessAnnouncer {

    private static final Logger LOG = Logger.getLogger(ReadinessAnnouncer.class.getName());

    private ReadinessAnnouncer() {}

    /** Completes when the line is written or the attempt failed; a failure is logged, not fatal. */
    static Future<Void> announce(Endpoint target, String agentVersion, EventLoopGroup group) {
        byte[] line = ("READY " + agentVersion + "\n").getBytes(StandardCharsets.US_ASCII);
        var done = group.next().<Void>newPromise();
        new Bootstrap().group(group).channelFactory(target::newClientChannel)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(target.address())
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        LOG.warning("cannot announce readiness to " + target + ": " + connected.cause()
                                + " (serving anyway; the host must find the agent by connecting)");
                        done.setSuccess(null);
                        return;
                    }
                    connected.channel().writeAndFlush(Unpooled.wrappedBuffer(line)).addListener(
                            (ChannelFutureListener) written -> {
                                if (written.isSuccess()) {
                                    LOG.info("readiness announced to " + target);
                                } else {
                                    LOG.warning("cannot announce readiness to " + target + ": " + written.cause());
                                }
                                written.channel().close();
                                done.setSuccess(null);
                            });
                });
        return done;
    }
}
