package io.podvisor.hypervisor.vsock.device;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.util.Arrays;

import io.podvisor.hypervisor.os.Eventfd;
import io.podvisor.hypervisor.os.PollFds;
import io.podvisor.libc.Libc;

import static io.podvisor.libc.Libc.LIBC;

/**
 * One platform thread that polls the queues' kick eventfds and tells the device loop when the
 * driver kicked. It alone closes replaced kick fds, so it never polls an fd number that was
 * closed (and possibly reused) under it.
 */
final class KickWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KickWatcher.class.getName());

    private final String vmName;
    private final Runnable onKick;
    private final int wakeFd;
    private final Thread thread;
    /** Requested kick fds per queue, -1 for none; guarded by this. */
    private final int[] requested;
    private boolean changed;
    /** Replaced kick fds the poll thread closes once it no longer polls them; guarded by this. */
    private int[] pendingClose = new int[0];
    private volatile boolean closing;

    KickWatcher(String vmName, int queues, Runnable onKick) throws IOException {
        this.vmName = vmName;
        this.onKick = onKick;
        this.requested = new int[queues];
        Arrays.fill(requested, -1);
        this.wakeFd = Eventfd.create(Eventfd.EFD_CLOEXEC | Eventfd.EFD_NONBLOCK);
        this.thread = Thread.ofPlatform().name("vsock-kick-" + vmName).daemon().unstarted(this::run);
        thread.start();
    }

    /** Watches {@code fd} for queue {@code queue} from now on (-1: none); the old fd gets closed. */
    void watch(int queue, int fd) {
        synchronized (this) {
            if (closing) {
                LIBC.closeQuietly(fd);
                return;
            }
            int old = requested[queue];
            requested[queue] = fd;
            changed = true;
            if (old >= 0 && old != fd && !isWatchedElsewhere(old)) {
                // The poll thread may still poll old: it closes it after it picks up the change.
                pendingClose = appendFd(pendingClose, old);
            }
        }
        Eventfd.signal(wakeFd);
    }

    private boolean isWatchedElsewhere(int fd) {
        for (int r : requested) {
            if (r == fd) {
                return true;
            }
        }
        return false;
    }

    private static int[] appendFd(int[] fds, int fd) {
        int[] out = Arrays.copyOf(fds, fds.length + 1);
        out[fds.length] = fd;
        return out;
    }

    private void run() {
        int[] watched = new int[0];
        int[] queueOf = new int[0];
        try (Arena arena = Arena.ofConfined()) {
            PollFds pollfds = new PollFds(arena, requested.length + 1);
            while (!closing) {
                int[] toClose;
                synchronized (this) {
                    if (changed || watched.length == 0) {
                        int n = 0;
                        watched = new int[requested.length];
                        queueOf = new int[requested.length];
                        for (int q = 0; q < requested.length; q++) {
                            if (requested[q] >= 0) {
                                watched[n] = requested[q];
                                queueOf[n++] = q;
                            }
                        }
                        watched = Arrays.copyOf(watched, n);
                        queueOf = Arrays.copyOf(queueOf, n);
                        changed = false;
                    }
                    toClose = pendingClose;
                    pendingClose = new int[0];
                }
                for (int fd : toClose) {
                    LIBC.closeQuietly(fd);
                }
                pollfds.set(0, wakeFd, PollFds.POLLIN);
                for (int i = 0; i < watched.length; i++) {
                    pollfds.set(i + 1, watched[i], PollFds.POLLIN);
                }
                int ready = pollfds.poll(watched.length + 1, -1);
                if (ready == -Libc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.log(Level.ERROR, "vm {0}: polling vsock kick fds failed: {1}", vmName, LIBC.strerror(-ready));
                    return;
                }
                if ((pollfds.revents(0) & PollFds.POLLIN) != 0) {
                    Eventfd.drain(wakeFd);
                }
                boolean kicked = false;
                for (int i = 0; i < watched.length; i++) {
                    short revents = pollfds.revents(i + 1);
                    if ((revents & PollFds.POLLIN) != 0) {
                        Eventfd.drain(watched[i]);
                        kicked = true;
                    } else if ((revents & (PollFds.POLLERR | PollFds.POLLHUP | PollFds.POLLNVAL)) != 0) {
                        LOG.log(Level.WARNING, "vm {0}: kick fd of queue {1} failed (revents 0x{2}); no longer watched",
                                vmName, queueOf[i], Integer.toHexString(revents));
                        synchronized (this) {
                            if (requested[queueOf[i]] == watched[i]) {
                                requested[queueOf[i]] = -1;
                                pendingClose = appendFd(pendingClose, watched[i]);
                                changed = true;
                            }
                        }
                    }
                }
                if (kicked) {
                    onKick.run();
                }
            }
        } finally {
            synchronized (this) {
                closing = true;
                for (int q = 0; q < requested.length; q++) {
                    LIBC.closeQuietly(requested[q]);
                    requested[q] = -1;
                }
                for (int fd : pendingClose) {
                    LIBC.closeQuietly(fd);
                }
                pendingClose = new int[0];
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        Eventfd.signal(wakeFd);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            LIBC.closeQuietly(wakeFd);
        } else {
            LOG.log(Level.WARNING, "vm {0}: vsock kick thread did not stop", vmName);
        }
    }
}
