package io.podvisor.hypervisor.vsock.connection;

/**
 * The guest-to-host bytes one VM's connections may hold in host memory together, so that a guest
 * cannot grow the shim's memory by opening connections whose host side does not read.
 * Used on the device thread only.
 */
public final class BufferBudget {
    private final long limit;
    private long used;

    public BufferBudget(long limit) {
        this.limit = limit;
    }

    boolean tryReserve(int bytes) {
        if (used + bytes > limit) {
            return false;
        }
        used += bytes;
        return true;
    }

    void release(int bytes) {
        used -= bytes;
    }

    public long used() {
        return used;
    }

    public long limit() {
        return limit;
    }
}
