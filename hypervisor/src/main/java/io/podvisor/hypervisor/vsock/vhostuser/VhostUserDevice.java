package io.podvisor.hypervisor.vsock.vhostuser;

import io.podvisor.hypervisor.vsock.virtq.GuestMemory;

/**
 * What the vhost-user protocol configures on a device back-end. Implementations apply each call
 * in order before returning; they take ownership of every fd and memory map passed in.
 */
public interface VhostUserDevice {

    int queueCount();

    /** The virtio feature bits the device offers (the protocol's own bit 30 is added by the session). */
    long features();

    /** The device's configuration space. */
    byte[] config();

    void setMemory(GuestMemory memory);

    void setRingSize(int queue, int size);

    void setRingAddresses(int queue, long desc, long used, long avail);

    void setRingBase(int queue, int nextAvail);

    /** Stops the ring; returns the next available index it would have taken. */
    int stopRing(int queue);

    /** The eventfd the driver kicks; -1 for none. */
    void setKick(int queue, int fd);

    /** The eventfd to signal the driver; -1 for none. */
    void setCall(int queue, int fd);

    void setRingEnabled(int queue, boolean enabled);

    /** The front-end went away or reset the device: forget rings, memory and streams. */
    void reset();
}
