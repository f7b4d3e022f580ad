package io.podvisor.shim.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;

/** Writes {@link Frame}s with their 10-byte header. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) {
        if (frame.payload().length > Frame.MAX_PAYLOAD) {
            throw new EncoderException("ttrpc frame of " + frame.payload().length
                    + " bytes exceeds the maximum of " + Frame.MAX_PAYLOAD + " bytes");
        }
        out.ensureWritable(Frame.HEADER_LENGTH + frame.payload().length);
        out.writeInt(frame.payload().length);
        out.writeInt(frame.streamId());
        out.writeByte(frame.type());
        out.writeByte(frame.flags());
        out.writeBytes(frame.payload());
    }
}
