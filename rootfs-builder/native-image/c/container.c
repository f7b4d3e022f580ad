/* The container library Substrate VM asks for cgroup limits (com.oracle.svm.core.container.ContainerLibrary).
 * Podvisor's images run as a VM's agent, not in a container: this one reports "not containerized", and the
 * image then sizes itself from the machine. */
#include <sched.h>
#include <unistd.h>

#define SUCCESS_IS_NOT_CONTAINERIZED 0

int svm_container_initialize(int version) {
    return SUCCESS_IS_NOT_CONTAINERIZED;
}

unsigned long svm_container_physical_memory(void) {
    return (unsigned long) sysconf(_SC_PHYS_PAGES) * (unsigned long) sysconf(_SC_PAGESIZE);
}

int svm_container_active_processor_count(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int) online : 1;
}

/* No limit and no usage figures: -1 as the JDK's container code means "unlimited" or "unavailable". */
long svm_container_memory_limit_in_bytes(void) { return -1; }
long svm_container_memory_and_swap_limit_in_bytes(void) { return -1; }
long svm_container_memory_soft_limit_in_bytes(void) { return -1; }
long svm_container_memory_usage_in_bytes(void) { return -1; }
long svm_container_memory_max_usage_in_bytes(void) { return -1; }
long svm_container_rss_usage_in_bytes(void) { return -1; }
long svm_container_cache_usage_in_bytes(void) { return -1; }
