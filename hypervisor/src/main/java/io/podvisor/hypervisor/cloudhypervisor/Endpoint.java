package io.podvisor.hypervisor.cloudhypervisor;

/** The Cloud Hypervisor API operations the driver calls (paths as in its OpenAPI document). */
enum Endpoint {
    VMM_PING("vmm.ping", "GET"),
    VMM_SHUTDOWN("vmm.shutdown", "PUT"),
    VM_CREATE("vm.create", "PUT"),
    VM_BOOT("vm.boot", "PUT"),
    VM_INFO("vm.info", "GET"),
    VM_SHUTDOWN("vm.shutdown", "PUT"),
    VM_POWER_BUTTON("vm.power-button", "PUT"),
    VM_ADD_NET("vm.add-net", "PUT"),
    VM_ADD_FS("vm.add-fs", "PUT"),
    VM_ADD_DISK("vm.add-disk", "PUT"),
    VM_RESIZE("vm.resize", "PUT"),
    VM_COUNTERS("vm.counters", "GET");

    static final String API_ROOT = "/api/v1";

    /** The operation's name as Cloud Hypervisor and its documentation spell it, e.g. {@code vm.boot}. */
    final String operation;
    final String method;

    Endpoint(String operation, String method) {
        this.operation = operation;
        this.method = method;
    }

    /** The path below the API root, as the OpenAPI document lists it. */
    String documentPath() {
        return "/" + operation;
    }

    String target() {
        return API_ROOT + documentPath();
    }
}
