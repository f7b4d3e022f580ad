package io.podvisor.hypervisor.vsock.vhostuser;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;

import io.podvisor.hypervisor.vsock.virtq.GuestMemory;
import io.podvisor.hypervisor.vsock.virtq.SplitVirtqueue;

import static io.podvisor.hypervisor.vsock.vhostuser.VhostUserMessage.*;
import static io.podvisor.libc.Libc.LIBC;

/**
 * The back-end side of one vhost-user front-end connection: turns each message into calls on the
 * device and produces the bytes to answer with. Knows nothing of sockets.
 */
final class VhostUserSession {
    static final long F_PROTOCOL_FEATURES = 1L << 30;
    static final long PROTOCOL_F_REPLY_ACK = 1L << 3;
    static final long PROTOCOL_F_CONFIG = 1L << 9;
    static final long PROTOCOL_FEATURES = PROTOCOL_F_REPLY_ACK | PROTOCOL_F_CONFIG;

    private static final System.Logger LOG = System.getLogger(VhostUserSession.class.getName());

    private final String vmName;
    private final VhostUserDevice device;
    private long ackedFeatures;
    private long ackedProtocolFeatures;
    /** Whether the current message's fds were handed on (so an error must not close them). */
    private boolean fdsHandedOn;

    VhostUserSession(String vmName, VhostUserDevice device) {
        this.vmName = vmName;
        this.device = device;
    }

    /**
     * Applies one message. Returns the bytes to send back (a reply or a REPLY_ACK), or null.
     * Throws if the front-end broke the protocol badly enough to drop the connection.
     */
    byte[] handle(VhostUserMessage m) throws VhostUserException {
        LOG.log(Level.DEBUG, () -> "vm " + vmName + ": vhost-user " + name(m.request())
                + (m.fds().length > 0 ? " fds=" + Arrays.toString(m.fds()) : ""));
        byte[] reply;
        fdsHandedOn = false;
        try {
            reply = apply(m);
            if (!fdsHandedOn) {
                closeAll(m.fds());
            }
        } catch (VhostUserException e) {
            if (!fdsHandedOn) {
                closeAll(m.fds());
            }
            if (hasNaturalReply(m.request())) {
                throw e;
            }
            LOG.log(Level.WARNING, "vm {0}: vhost-user {1} failed: {2}", vmName, name(m.request()), e.getMessage());
            return wantsAck(m) ? VhostUserMessage.reply(m.request(), u64(1)) : null;
        }
        if (reply != null) {
            return VhostUserMessage.reply(m.request(), reply);
        }
        return wantsAck(m) ? VhostUserMessage.reply(m.request(), u64(0)) : null;
    }

    private boolean wantsAck(VhostUserMessage m) {
        return m.needsReply() && (ackedProtocolFeatures & PROTOCOL_F_REPLY_ACK) != 0;
    }

    private static boolean hasNaturalReply(int request) {
        return switch (request) {
            case GET_FEATURES, GET_PROTOCOL_FEATURES, GET_VRING_BASE, GET_CONFIG, GET_QUEUE_NUM,
                 GET_MAX_MEM_SLOTS -> true;
            default -> false;
        };
    }

    private byte[] apply(VhostUserMessage m) throws VhostUserException {
        switch (m.request()) {
            case GET_FEATURES -> {
                return u64(offeredFeatures());
            }
            case SET_FEATURES -> {
                long features = m.u64();
                long unknown = features & ~offeredFeatures();
                if (unknown != 0) {
                    throw new VhostUserException("front-end acked features not offered: 0x" + Long.toHexString(unknown));
                }
                ackedFeatures = features;
                if ((features & F_PROTOCOL_FEATURES) == 0) {
                    for (int q = 0; q < device.queueCount(); q++) {
                        device.setRingEnabled(q, true);
                    }
                }
                return null;
            }
            case GET_PROTOCOL_FEATURES -> {
                return u64(PROTOCOL_FEATURES);
            }
            case SET_PROTOCOL_FEATURES -> {
                long features = m.u64();
                ackedProtocolFeatures = features & PROTOCOL_FEATURES;
                if (features != ackedProtocolFeatures) {
                    LOG.log(Level.WARNING, "vm {0}: front-end acked protocol features not offered: 0x{1}", vmName,
                            Long.toHexString(features & ~PROTOCOL_FEATURES));
                }
                return null;
            }
            case GET_QUEUE_NUM -> {
                return u64(device.queueCount());
            }
            case SET_OWNER -> {
                return null;
            }
            case RESET_OWNER, RESET_DEVICE -> {
                device.reset();
                ackedFeatures = 0;
                return null;
            }
            case SET_MEM_TABLE -> {
                GuestMemory memory;
                try {
                    var regions = m.memoryRegions();
                    fdsHandedOn = true;
                    memory = GuestMemory.map(regions, m.fds());
                } catch (VhostUserException e) {
                    throw e;
                } catch (IOException e) {
                    throw new VhostUserException("cannot map guest memory: " + e.getMessage(), e);
                }
                device.setMemory(memory);
                return null;
            }
            case SET_VRING_NUM -> {
                VringState s = m.vringState();
                checkQueue(s.index());
                if (s.num() <= 0 || s.num() > SplitVirtqueue.MAX_SIZE || Integer.bitCount(s.num()) != 1) {
                    throw new VhostUserException("queue " + s.index() + " size " + s.num() + " is not a power of two");
                }
                device.setRingSize(s.index(), s.num());
                return null;
            }
            case SET_VRING_ADDR -> {
                VringAddress a = m.vringAddress();
                checkQueue(a.index());
                device.setRingAddresses(a.index(), a.desc(), a.used(), a.avail());
                return null;
            }
            case SET_VRING_BASE -> {
                VringState s = m.vringState();
                checkQueue(s.index());
                device.setRingBase(s.index(), s.num() & 0xffff);
                return null;
            }
            case GET_VRING_BASE -> {
                VringState s = m.vringState();
                checkQueue(s.index());
                int base = device.stopRing(s.index());
                return stateBytes(s.index(), base);
            }
            case SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR -> {
                long value = m.u64();
                int queue = (int) (value & VRING_INDEX_MASK);
                checkQueue(queue);
                int fd = -1;
                if ((value & VRING_NOFD_MASK) == 0) {
                    if (m.fds().length != 1) {
                        throw new VhostUserException(name(m.request()) + " for queue " + queue + " came with "
                                + m.fds().length + " fds, expected 1");
                    }
                    fd = m.fds()[0];
                }
                fdsHandedOn = fd >= 0;
                switch (m.request()) {
                    case SET_VRING_KICK -> {
                        if (fd < 0) {
                            LOG.log(Level.WARNING, "vm {0}: queue {1} has no kick fd; polling mode is not supported",
                                    vmName, queue);
                        }
                        device.setKick(queue, fd);
                    }
                    case SET_VRING_CALL -> device.setCall(queue, fd);
                    default -> LIBC.closeQuietly(fd);
                }
                return null;
            }
            case SET_VRING_ENABLE -> {
                VringState s = m.vringState();
                checkQueue(s.index());
                device.setRingEnabled(s.index(), s.num() != 0);
                return null;
            }
            case GET_CONFIG -> {
                ConfigRequest r = m.configRequest();
                byte[] config = device.config();
                byte[] data = new byte[r.size()];
                if (r.offset() >= 0 && r.offset() < config.length) {
                    System.arraycopy(config, r.offset(), data, 0, Math.min(r.size(), config.length - r.offset()));
                }
                return configReply(r, data);
            }
            case SET_CONFIG -> throw new VhostUserException("the vsock configuration space is read-only");
            case SET_LOG_BASE, SET_LOG_FD -> throw new VhostUserException("dirty logging is not supported");
            default -> throw new VhostUserException("unsupported request " + name(m.request()));
        }
    }

    private long offeredFeatures() {
        return device.features() | F_PROTOCOL_FEATURES;
    }

    private void checkQueue(int index) throws VhostUserException {
        if (index < 0 || index >= device.queueCount()) {
            throw new VhostUserException("queue index " + index + " out of range (the device has "
                    + device.queueCount() + ")");
        }
    }

    private static byte[] stateBytes(int index, int num) {
        byte[] b = new byte[8];
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(index).putInt(num);
        return b;
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            LIBC.closeQuietly(fd);
        }
    }
}
