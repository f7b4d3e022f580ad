package io.podvisor.hypervisor.vsock.device;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.podvisor.hypervisor.os.Eventfd;
import io.podvisor.hypervisor.vsock.muxer.VsockMuxer;
import io.podvisor.hypervisor.vsock.packet.RxBuffer;
import io.podvisor.hypervisor.vsock.packet.TxPacket;
import io.podvisor.hypervisor.vsock.vhostuser.VhostUserDevice;
import io.podvisor.hypervisor.vsock.virtq.BadChainException;
import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;
import io.podvisor.hypervisor.vsock.virtq.GuestFaultLog;
import io.podvisor.hypervisor.vsock.virtq.GuestMemory;
import io.podvisor.hypervisor.vsock.virtq.SplitVirtqueue;
import io.podvisor.hypervisor.vsock.virtq.VirtqueueException;
import io.podvisor.libc.Libc;

import static io.podvisor.libc.Libc.LIBC;

/**
 * The virtio-vsock device: its three virtqueues (RX 0, TX 1, event 2) over the guest's shared
 * memory, moving packets between them and the {@link VsockMuxer}. Everything runs on one
 * platform thread (a selector loop over the host sockets); vhost-user configuration calls from
 * other threads are run on it and waited for.
 */
public final class VsockDevice implements VhostUserDevice, AutoCloseable {
    static final int RX = 0;
    static final int TX = 1;
    static final int EVENT = 2;
    static final int QUEUES = 3;
    static final long VIRTIO_F_VERSION_1 = 1L << 32;

    private static final System.Logger LOG = System.getLogger(VsockDevice.class.getName());
    private static final long CALL_TIMEOUT_SECONDS = 10;

    /** What the front-end told us about one queue, and the live queue once it can run. */
    private static final class Ring {
        int size;
        long desc;
        long used;
        long avail;
        boolean addressed;
        int nextAvail;
        boolean enabled;
        boolean started;
        int callFd = -1;
        SplitVirtqueue queue;
    }

    private final String vmName;
    private final long guestCid;
    private final Selector selector;
    private final VsockMuxer muxer;
    private final KickWatcher kicks;
    private final GuestFaultLog faults;
    private final Ring[] rings = new Ring[QUEUES];
    private final ConcurrentLinkedQueue<FutureTask<?>> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean stopping;
    private GuestMemory memory;
    private boolean moreWork;
    /** Set when the guest broke the rings: no queue runs until the driver resets the device. */
    private boolean broken;

    public VsockDevice(String vmName, long guestCid, Path hybridSocket) throws IOException {
        this.vmName = vmName;
        this.guestCid = guestCid;
        for (int i = 0; i < QUEUES; i++) {
            rings[i] = new Ring();
        }
        this.selector = Selector.open();
        this.faults = new GuestFaultLog(vmName, LOG);
        this.muxer = new VsockMuxer(vmName, guestCid, hybridSocket, selector, faults);
        try {
            muxer.listen();
            this.kicks = new KickWatcher(vmName, QUEUES, selector::wakeup);
        } catch (IOException | RuntimeException e) {
            muxer.close();
            selector.close();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("vsock-device-" + vmName).daemon().unstarted(this::loop);
        thread.start();
    }

    // ---- VhostUserDevice: called from the vhost-user thread ----

    @Override
    public int queueCount() {
        return QUEUES;
    }

    @Override
    public long features() {
        return VIRTIO_F_VERSION_1;
    }

    @Override
    public byte[] config() {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(guestCid).array();
    }

    @Override
    public void setMemory(GuestMemory newMemory) {
        boolean ran = run(() -> {
            for (int q = 0; q < QUEUES; q++) {
                deactivate(q);
            }
            GuestMemory old = memory;
            memory = newMemory;
            if (old != null) {
                old.close();
            }
            LOG.log(Level.DEBUG, "vm {0}: guest memory: {1} region(s), {2} MiB", vmName, newMemory.regionCount(),
                    newMemory.totalSize() >> 20);
            for (int q = 0; q < QUEUES; q++) {
                activate(q);
            }
        });
        if (!ran) {
            newMemory.close();
        }
    }

    @Override
    public void setRingSize(int queue, int size) {
        run(() -> {
            deactivate(queue);
            rings[queue].size = size;
            activate(queue);
        });
    }

    @Override
    public void setRingAddresses(int queue, long desc, long used, long avail) {
        run(() -> {
            deactivate(queue);
            Ring r = rings[queue];
            r.desc = desc;
            r.used = used;
            r.avail = avail;
            r.addressed = true;
            activate(queue);
        });
    }

    @Override
    public void setRingBase(int queue, int nextAvail) {
        run(() -> {
            deactivate(queue);
            rings[queue].nextAvail = nextAvail;
            activate(queue);
        });
    }

    @Override
    public int stopRing(int queue) {
        int[] base = new int[1];
        run(() -> {
            deactivate(queue);
            Ring r = rings[queue];
            r.started = false;
            base[0] = r.nextAvail;
            repaired();
            if (queue == RX || queue == TX) {
                muxer.resetGuestSide();
            }
        });
        return base[0];
    }

    @Override
    public void setKick(int queue, int fd) {
        kicks.watch(queue, fd);
        run(() -> {
            rings[queue].started = true;
            activate(queue);
        });
    }

    @Override
    public void setCall(int queue, int fd) {
        boolean ran = run(() -> {
            Ring r = rings[queue];
            LIBC.closeQuietly(r.callFd);
            r.callFd = fd;
        });
        if (!ran) {
            LIBC.closeQuietly(fd);
        }
    }

    @Override
    public void setRingEnabled(int queue, boolean enabled) {
        run(() -> {
            deactivate(queue);
            rings[queue].enabled = enabled;
            activate(queue);
        });
    }

    @Override
    public void reset() {
        for (int q = 0; q < QUEUES; q++) {
            kicks.watch(q, -1);
        }
        run(this::resetOnLoop);
    }

    private void resetOnLoop() {
        muxer.resetGuestSide();
        repaired();
        for (int q = 0; q < QUEUES; q++) {
            deactivate(q);
            LIBC.closeQuietly(rings[q].callFd);
            rings[q] = new Ring();
        }
        if (memory != null) {
            memory.close();
            memory = null;
        }
    }

    /** Runs {@code action} on the device thread and waits; false if the device is gone. */
    private boolean run(Runnable action) {
        return call(() -> {
            action.run();
            return Boolean.TRUE;
        }) != null;
    }

    /**
     * Runs {@code action} on the device thread and returns its result; null if the device is gone
     * or stuck, in which case the action has not run and never will.
     */
    private <T> T call(Callable<T> action) {
        if (Thread.currentThread() == thread) {
            try {
                return action.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (stopping || !thread.isAlive()) {
            return null;
        }
        FutureTask<T> task = new FutureTask<>(action);
        tasks.add(task);
        selector.wakeup();
        try {
            try {
                return task.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                if (task.cancel(false)) {
                    LOG.log(Level.ERROR, "vm {0}: vsock device thread did not answer within {1} s", vmName,
                            CALL_TIMEOUT_SECONDS);
                    return null;
                }
                return task.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            task.cancel(false);
            return null;
        } catch (CancellationException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("vm " + vmName + ": vsock device task failed", e.getCause());
        }
    }

    // ---- device thread ----

    private void deactivate(int queue) {
        Ring r = rings[queue];
        if (r.queue != null) {
            r.nextAvail = r.queue.nextAvail();
            r.queue = null;
        }
    }

    private void activate(int queue) {
        Ring r = rings[queue];
        if (r.queue != null || !r.started || !r.enabled || !r.addressed || r.size == 0 || memory == null || broken) {
            return;
        }
        try {
            r.queue = new SplitVirtqueue(memory, r.size,
                    memory.user(r.desc, SplitVirtqueue.descTableSize(r.size)),
                    memory.user(r.avail, SplitVirtqueue.availRingSize(r.size)),
                    memory.user(r.used, SplitVirtqueue.usedRingSize(r.size)),
                    r.nextAvail);
            LOG.log(Level.DEBUG, "vm {0}: vsock queue {1} running, size {2}, next avail {3}", vmName, queue, r.size,
                    r.nextAvail);
        } catch (VirtqueueException e) {
            LOG.log(Level.ERROR, "vm {0}: vsock queue {1} cannot run: {2}", vmName, queue, e.getMessage());
        }
    }

    private void loop() {
        try {
            while (!stopping) {
                long waitNanos = muxer.nanosToNextDeadline();
                if (moreWork || !tasks.isEmpty() || waitNanos == 0) {
                    selector.selectNow();
                } else if (waitNanos < 0) {
                    selector.select();
                } else {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
                }
                moreWork = false;
                runTasks();
                try {
                    Iterator<SelectionKey> selected = selector.selectedKeys().iterator();
                    while (selected.hasNext()) {
                        SelectionKey key = selected.next();
                        selected.remove();
                        if (key.isValid()) {
                            muxer.onSelected(key);
                        }
                    }
                    processTx();
                    muxer.expireDeadlines();
                    processRx();
                } catch (RuntimeException e) {
                    // A check is missing somewhere: this guest's device stops, the thread and other VMs carry on.
                    LOG.log(Level.ERROR, "vm " + vmName + ": vsock device failed on guest input", e);
                    breakDevice("internal error: " + e);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            LOG.log(Level.ERROR, "vm " + vmName + ": vsock device thread failed; host<->guest vsock is down", e);
        } finally {
            stopping = true;
            runTasks();
            resetOnLoop();
            muxer.close();
            try {
                selector.close();
            } catch (IOException ignored) {
                // Closing a selector we are done with.
            }
            FutureTask<?> t;
            while ((t = tasks.poll()) != null) {
                t.cancel(false);
            }
        }
    }

    private void runTasks() {
        FutureTask<?> t;
        while ((t = tasks.poll()) != null) {
            t.run();
        }
    }

    private void processTx() {
        Ring ring = rings[TX];
        SplitVirtqueue q = ring.queue;
        if (q == null) {
            return;
        }
        if (!q.hasAvailable()) {
            return;
        }
        q.suppressNotifications(true);
        int used = 0;
        try {
            while (used < q.size()) {
                DescriptorChain chain;
                try {
                    chain = q.pop();
                } catch (BadChainException e) {
                    faults.warn(() -> "vsock TX: " + e.getMessage());
                    q.addUsed(e.head, 0);
                    used++;
                    continue;
                }
                if (chain == null) {
                    break;
                }
                try {
                    muxer.onGuestPacket(TxPacket.parse(chain));
                } catch (BadChainException e) {
                    faults.warn(() -> "vsock TX: " + e.getMessage());
                }
                q.addUsed(chain.head(), 0);
                used++;
            }
            // The thread may sleep after this: the guest must kick for new packets.
            q.suppressNotifications(false);
            if (q.hasAvailable()) {
                q.suppressNotifications(true);
                moreWork = true;
            }
        } catch (VirtqueueException e) {
            broken(TX, e);
        }
        if (used > 0 && q.needsInterrupt()) {
            interrupt(ring);
        }
    }

    private void processRx() {
        Ring ring = rings[RX];
        SplitVirtqueue q = ring.queue;
        if (q == null) {
            return;
        }
        int used = 0;
        try {
            while (muxer.hasPendingRx() && used < q.size()) {
                DescriptorChain chain;
                try {
                    chain = q.pop();
                } catch (BadChainException e) {
                    faults.warn(() -> "vsock RX: " + e.getMessage());
                    q.addUsed(e.head, 0);
                    used++;
                    continue;
                }
                if (chain == null) {
                    break;
                }
                RxBuffer buffer = new RxBuffer(chain);
                if (!buffer.holdsHeader()) {
                    faults.warn(() -> "vsock RX buffer of " + chain.writableLength() + " bytes cannot hold a header");
                    q.addUsed(chain.head(), 0);
                    used++;
                    continue;
                }
                int written = muxer.fillRx(buffer);
                if (written == 0) {
                    q.undoPop();
                    break;
                }
                q.addUsed(chain.head(), written);
                used++;
            }
            // Kicks for new RX buffers matter only while packets wait for them.
            boolean waiting = muxer.hasPendingRx();
            q.suppressNotifications(!waiting);
            if (waiting && q.hasAvailable()) {
                moreWork = true;
            }
        } catch (VirtqueueException e) {
            broken(RX, e);
        }
        if (used > 0 && q.needsInterrupt()) {
            interrupt(ring);
        }
    }

    private void broken(int queue, VirtqueueException e) {
        breakDevice("queue " + queue + ": " + e.getMessage());
    }

    /** Stops every queue and closes every connection until the guest's driver resets the device. */
    private void breakDevice(String reason) {
        LOG.log(Level.ERROR, "vm {0}: vsock device broken by the guest ({1}); its connections are closed and it stays"
                + " stopped until the guest resets it", vmName, reason);
        broken = true;
        for (int q = 0; q < QUEUES; q++) {
            deactivate(q);
        }
        muxer.resetGuestSide();
        muxer.refuseHostClients("its vsock device is broken (" + reason + ")");
    }

    /** The front-end stopped or reset the device: it may run again once set up. */
    private void repaired() {
        if (broken) {
            broken = false;
            muxer.refuseHostClients(null);
            LOG.log(Level.INFO, "vm {0}: vsock device reset by the guest after it broke", vmName);
        }
    }

    private void interrupt(Ring ring) {
        if (ring.callFd >= 0) {
            long rc = Eventfd.signal(ring.callFd);
            if (rc < 0 && rc != -Libc.EAGAIN) {
                LOG.log(Level.WARNING, "vm {0}: signalling the guest failed: {1}", vmName, LIBC.strerror((int) -rc));
            }
        }
    }

    @Override
    public void close() {
        kicks.close();
        stopping = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(Level.WARNING, "vm {0}: vsock device thread did not stop", vmName);
        }
    }
}
