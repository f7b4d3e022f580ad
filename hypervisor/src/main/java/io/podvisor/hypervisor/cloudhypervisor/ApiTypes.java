package io.podvisor.hypervisor.cloudhypervisor;

import java.util.List;

/**
 * The request and response bodies the driver uses, named and shaped as the schemas of Cloud
 * Hypervisor's OpenAPI document (cloud-hypervisor.yaml, {@code components/schemas}). Only the
 * properties the driver sets are modelled; Cloud Hypervisor's defaults apply to the rest.
 */
final class ApiTypes {
    private ApiTypes() {}

    record VmConfig(
            PayloadConfig payload,
            CpusConfig cpus,
            MemoryConfig memory,
            List<DiskConfig> disks,
            List<PmemConfig> pmem,
            BalloonConfig balloon,
            List<FsConfig> fs,
            List<NetConfig> net,
            VsockConfig vsock,
            ConsoleConfig serial,
            ConsoleConfig console) {}

    record PayloadConfig(String kernel, String initramfs, String cmdline) {}

    record CpusConfig(int bootVcpus, int maxVcpus) {}

    record MemoryConfig(long size, boolean shared) {}

    record DiskConfig(String path, boolean readonly, String id) {}

    /** {@code discardWrites}: the guest may write to its mapping, the file never changes. */
    record PmemConfig(String file, boolean discardWrites, String id) {}

    /** {@code size} 0: no memory taken from the guest, only the free pages it reports given back. */
    record BalloonConfig(long size, boolean freePageReporting) {}

    record FsConfig(String tag, String socket, int numQueues, int queueSize) {}

    /** {@code numQueues} is null to keep Cloud Hypervisor's default (one queue pair). */
    record NetConfig(String tap, String mac, Integer numQueues) {}

    record VsockConfig(long cid, String socket) {}

    /** {@code mode} is one of the document's ConsoleMode values: Off, Pty, Tty, File, Socket, Null. */
    record ConsoleConfig(String mode, String file) {}

    record VmResize(Integer desiredVcpus, Long desiredRam) {}

    /** The response of vm.add-*: the PCI device Cloud Hypervisor hot-plugged. */
    record PciDeviceInfo(String id, String bdf) {}

    record VmmPingResponse(String version, String buildVersion, Long pid) {}

    /** The part of VmInfo the driver reads. {@code state}: Created, Running, Shutdown, Paused, BreakPoint. */
    record VmInfo(String state, Long memoryActualSize) {}
}
