/*
 * The metric tables: names, units and meanings of every column, in the
 * order of the enums in include/vitals/collector.h. docs/schema.md is
 * checked against these tables by a unit test.
 */
#include <string.h>
#include <vitals/collector.h>

#include "collect/internal.h"

#define I    VITALS_METRIC_INT
#define R    VITALS_METRIC_REAL
#define CTR  VITALS_METRIC_COUNTER
#define RATE VITALS_METRIC_RATE
#define ID   VITALS_METRIC_IDENTITY

static const struct vitals_metric system_metrics[VITALS_SYS_METRIC_COUNT] = {
    [VITALS_SYS_UPTIME] = {"uptime_seconds", "seconds", "Time since boot.", R, 0},
    [VITALS_SYS_LOAD1] = {"load1", "count", "Load average over 1 minute.", R, 0},
    [VITALS_SYS_LOAD5] = {"load5", "count", "Load average over 5 minutes.", R, 0},
    [VITALS_SYS_LOAD15] = {"load15", "count", "Load average over 15 minutes.", R, 0},
    [VITALS_SYS_MEM_TOTAL] = {"mem_total_bytes", "bytes", "Usable physical memory.", I, 0},
    [VITALS_SYS_MEM_AVAILABLE] = {"mem_available_bytes", "bytes",
                                  "Memory available for new work without swapping (MemAvailable).",
                                  I, 0},
    [VITALS_SYS_MEM_USED] = {"mem_used_bytes", "bytes", "Total minus available, as free(1) shows.",
                             I, 0},
    [VITALS_SYS_MEM_FREE] = {"mem_free_bytes", "bytes", "Memory not used at all (MemFree).", I, 0},
    [VITALS_SYS_MEM_BUFFERS] = {"mem_buffers_bytes", "bytes", "Block device buffers.", I, 0},
    [VITALS_SYS_MEM_CACHED] = {"mem_cached_bytes", "bytes",
                               "Page cache plus reclaimable slab (Cached + SReclaimable).", I, 0},
    [VITALS_SYS_MEM_SHARED] = {"mem_shared_bytes", "bytes", "Shared memory and tmpfs (Shmem).", I,
                               0},
    [VITALS_SYS_SWAP_TOTAL] = {"swap_total_bytes", "bytes", "Swap space.", I, 0},
    [VITALS_SYS_SWAP_USED] = {"swap_used_bytes", "bytes", "Swap space in use.", I, 0},
    [VITALS_SYS_SWAP_FREE] = {"swap_free_bytes", "bytes", "Swap space free.", I, 0},
    [VITALS_SYS_SWAP_IN_RATE] = {"swap_in_bytes_per_second", "per_second",
                                 "Bytes swapped in from disk per second.", R, RATE},
    [VITALS_SYS_SWAP_OUT_RATE] = {"swap_out_bytes_per_second", "per_second",
                                  "Bytes swapped out to disk per second.", R, RATE},
    [VITALS_SYS_PGFAULT_RATE] = {"page_faults_per_second", "per_second",
                                 "Page faults (minor and major) per second.", R, RATE},
    [VITALS_SYS_PGMAJFAULT_RATE] = {"major_faults_per_second", "per_second",
                                    "Major page faults (needing I/O) per second.", R, RATE},
    [VITALS_SYS_CTXT_RATE] = {"context_switches_per_second", "per_second",
                              "Context switches per second.", R, RATE},
    [VITALS_SYS_FORKS_RATE] = {"forks_per_second", "per_second",
                               "Processes and threads created per second.", R, RATE},
    [VITALS_SYS_PROCS_RUNNING] = {"procs_running", "count", "Threads runnable now.", I, 0},
    [VITALS_SYS_PROCS_BLOCKED] = {"procs_blocked", "count", "Threads blocked on I/O now.", I, 0},
    [VITALS_SYS_PROCESSES] = {"processes", "count", "Processes that exist now.", I, 0},
    [VITALS_SYS_THREADS] = {"threads", "count", "Threads of all processes.", I, 0},
    [VITALS_SYS_CPU_COUNT] = {"cpu_count", "count", "Online CPUs.", I, 0},
};

static const struct vitals_metric cpu_metrics[VITALS_CPU_METRIC_COUNT] = {
    [VITALS_CPU_USER] = {"user_percent", "percent", "Time in user mode (with guests).", R, RATE},
    [VITALS_CPU_NICE] = {"nice_percent", "percent", "Time in user mode at low priority.", R, RATE},
    [VITALS_CPU_SYSTEM] = {"system_percent", "percent", "Time in the kernel.", R, RATE},
    [VITALS_CPU_IDLE] = {"idle_percent", "percent", "Time idle.", R, RATE},
    [VITALS_CPU_IOWAIT] = {"iowait_percent", "percent", "Time idle while I/O was pending.", R,
                           RATE},
    [VITALS_CPU_IRQ] = {"irq_percent", "percent", "Time serving hardware interrupts.", R, RATE},
    [VITALS_CPU_SOFTIRQ] = {"softirq_percent", "percent", "Time serving soft interrupts.", R, RATE},
    [VITALS_CPU_STEAL] = {"steal_percent", "percent", "Time the hypervisor gave to other guests.",
                          R, RATE},
    [VITALS_CPU_BUSY] = {"busy_percent", "percent", "Time not idle: 100 - idle - iowait.", R, RATE},
};

static const struct vitals_metric psi_metrics[VITALS_PSI_METRIC_COUNT] = {
    [VITALS_PSI_SOME_AVG10] = {"some_avg10", "percent",
                               "Share of time some tasks stalled, 10 s average.", R, 0},
    [VITALS_PSI_SOME_AVG60] = {"some_avg60", "percent",
                               "Share of time some tasks stalled, 60 s average.", R, 0},
    [VITALS_PSI_SOME_AVG300] = {"some_avg300", "percent",
                                "Share of time some tasks stalled, 300 s average.", R, 0},
    [VITALS_PSI_SOME_STALL] = {"some_stall_percent", "percent",
                               "Share of the last interval with some tasks stalled.", R, RATE},
    [VITALS_PSI_FULL_AVG10] = {"full_avg10", "percent",
                               "Share of time all tasks stalled, 10 s average.", R, 0},
    [VITALS_PSI_FULL_AVG60] = {"full_avg60", "percent",
                               "Share of time all tasks stalled, 60 s average.", R, 0},
    [VITALS_PSI_FULL_AVG300] = {"full_avg300", "percent",
                                "Share of time all tasks stalled, 300 s average.", R, 0},
    [VITALS_PSI_FULL_STALL] = {"full_stall_percent", "percent",
                               "Share of the last interval with all tasks stalled.", R, RATE},
};

static const struct vitals_metric disk_metrics[VITALS_DISK_METRIC_COUNT] = {
    [VITALS_DISK_READ_BYTES] = {"read_bytes", "bytes", "Bytes read since boot.", I, CTR},
    [VITALS_DISK_WRITE_BYTES] = {"write_bytes", "bytes", "Bytes written since boot.", I, CTR},
    [VITALS_DISK_READ_OPS] = {"read_ops", "count", "Reads completed since boot.", I, CTR},
    [VITALS_DISK_WRITE_OPS] = {"write_ops", "count", "Writes completed since boot.", I, CTR},
    [VITALS_DISK_READ_BYTES_RATE] = {"read_bytes_per_second", "per_second",
                                     "Bytes read per second.", R, RATE},
    [VITALS_DISK_WRITE_BYTES_RATE] = {"write_bytes_per_second", "per_second",
                                      "Bytes written per second.", R, RATE},
    [VITALS_DISK_READ_OPS_RATE] = {"read_ops_per_second", "per_second",
                                   "Reads completed per second.", R, RATE},
    [VITALS_DISK_WRITE_OPS_RATE] = {"write_ops_per_second", "per_second",
                                    "Writes completed per second.", R, RATE},
    [VITALS_DISK_BUSY] = {"busy_percent", "percent", "Share of time the device had I/O in flight.",
                          R, RATE},
    [VITALS_DISK_READ_AWAIT] = {"read_await_ms", "milliseconds",
                                "Average time of a read completed in the interval.", R, RATE},
    [VITALS_DISK_WRITE_AWAIT] = {"write_await_ms", "milliseconds",
                                 "Average time of a write completed in the interval.", R, RATE},
    [VITALS_DISK_IN_FLIGHT] = {"in_flight", "count", "Requests in flight now.", I, 0},
};

static const struct vitals_metric net_metrics[VITALS_NET_METRIC_COUNT] = {
    [VITALS_NET_RX_BYTES] = {"rx_bytes", "bytes", "Bytes received since boot.", I, CTR},
    [VITALS_NET_TX_BYTES] = {"tx_bytes", "bytes", "Bytes sent since boot.", I, CTR},
    [VITALS_NET_RX_BYTES_RATE] = {"rx_bytes_per_second", "per_second", "Bytes received per second.",
                                  R, RATE},
    [VITALS_NET_TX_BYTES_RATE] = {"tx_bytes_per_second", "per_second", "Bytes sent per second.", R,
                                  RATE},
    [VITALS_NET_RX_PACKETS_RATE] = {"rx_packets_per_second", "per_second",
                                    "Packets received per second.", R, RATE},
    [VITALS_NET_TX_PACKETS_RATE] = {"tx_packets_per_second", "per_second",
                                    "Packets sent per second.", R, RATE},
    [VITALS_NET_RX_ERRORS] = {"rx_errors", "count", "Receive errors since boot.", I, CTR},
    [VITALS_NET_TX_ERRORS] = {"tx_errors", "count", "Transmit errors since boot.", I, CTR},
    [VITALS_NET_RX_DROPS] = {"rx_drops", "count", "Received packets dropped since boot.", I, CTR},
    [VITALS_NET_TX_DROPS] = {"tx_drops", "count", "Packets to send dropped since boot.", I, CTR},
    [VITALS_NET_RX_ERRORS_RATE] = {"rx_errors_per_second", "per_second",
                                   "Receive errors per second.", R, RATE},
    [VITALS_NET_TX_ERRORS_RATE] = {"tx_errors_per_second", "per_second",
                                   "Transmit errors per second.", R, RATE},
    [VITALS_NET_RX_DROPS_RATE] = {"rx_drops_per_second", "per_second",
                                  "Received packets dropped per second.", R, RATE},
    [VITALS_NET_TX_DROPS_RATE] = {"tx_drops_per_second", "per_second",
                                  "Packets to send dropped per second.", R, RATE},
};

static const struct vitals_metric fs_metrics[VITALS_FS_METRIC_COUNT] = {
    [VITALS_FS_TOTAL] = {"total_bytes", "bytes", "Size of the filesystem.", I, 0},
    [VITALS_FS_USED] = {"used_bytes", "bytes", "Space in use.", I, 0},
    [VITALS_FS_AVAILABLE] = {"available_bytes", "bytes", "Space free to unprivileged users.", I, 0},
    [VITALS_FS_USED_PERCENT] =
        {"used_percent", "percent",
         "Used share of the space usable by unprivileged users, as df shows.", R, 0},
    [VITALS_FS_INODES_TOTAL] = {"inodes_total", "count", "Inodes.", I, 0},
    [VITALS_FS_INODES_USED] = {"inodes_used", "count", "Inodes in use.", I, 0},
};

static const struct vitals_metric process_metrics[VITALS_PROC_METRIC_COUNT] = {
    [VITALS_PROC_PID] = {"pid", "count", "Process id.", I, ID},
    [VITALS_PROC_PPID] = {"ppid", "count", "Parent process id.", I, 0},
    [VITALS_PROC_START_TIME] = {"start_time", "microseconds",
                                "When the process started, UTC microseconds since the epoch.", I,
                                ID},
    [VITALS_PROC_UID] = {"uid", "count", "Real user id.", I, 0},
    [VITALS_PROC_NICE] = {"nice", "count", "Nice value, -20 to 19.", I, 0},
    [VITALS_PROC_THREADS] = {"threads", "count", "Threads in the process.", I, 0},
    [VITALS_PROC_RSS] = {"rss_bytes", "bytes", "Resident set size.", I, 0},
    [VITALS_PROC_VMS] = {"vms_bytes", "bytes", "Virtual memory size.", I, 0},
    [VITALS_PROC_SHARED] = {"shared_bytes", "bytes",
                            "Resident memory backed by files or shared memory.", I, 0},
    [VITALS_PROC_SWAP] = {"swap_bytes", "bytes", "Memory swapped out.", I, 0},
    [VITALS_PROC_CPU_USER] = {"cpu_user_seconds", "seconds", "CPU time in user mode.", R, CTR},
    [VITALS_PROC_CPU_SYSTEM] = {"cpu_system_seconds", "seconds", "CPU time in the kernel.", R, CTR},
    [VITALS_PROC_CPU_PERCENT] = {"cpu_percent", "percent",
                                 "CPU use over the last interval; 100 is one core.", R, RATE},
    [VITALS_PROC_CHILDREN_USER] = {"children_user_seconds", "seconds",
                                   "User CPU time of waited-for children.", R, CTR},
    [VITALS_PROC_CHILDREN_SYSTEM] = {"children_system_seconds", "seconds",
                                     "Kernel CPU time of waited-for children.", R, CTR},
    [VITALS_PROC_MINOR_FAULTS] = {"minor_faults", "count", "Page faults without I/O.", I, CTR},
    [VITALS_PROC_MAJOR_FAULTS] = {"major_faults", "count", "Page faults that needed I/O.", I, CTR},
    [VITALS_PROC_MINOR_FAULTS_RATE] = {"minor_faults_per_second", "per_second",
                                       "Minor page faults per second.", R, RATE},
    [VITALS_PROC_MAJOR_FAULTS_RATE] = {"major_faults_per_second", "per_second",
                                       "Major page faults per second.", R, RATE},
    [VITALS_PROC_FDS] = {"fds", "count", "Open file descriptors.", I, 0},
    [VITALS_PROC_READ_BYTES] = {"read_bytes", "bytes", "Bytes read from storage.", I, CTR},
    [VITALS_PROC_WRITE_BYTES] = {"write_bytes", "bytes", "Bytes written to storage.", I, CTR},
    [VITALS_PROC_READ_BYTES_RATE] = {"read_bytes_per_second", "per_second",
                                     "Bytes read from storage per second.", R, RATE},
    [VITALS_PROC_WRITE_BYTES_RATE] = {"write_bytes_per_second", "per_second",
                                      "Bytes written to storage per second.", R, RATE},
    [VITALS_PROC_GPU_MEMORY] = {"gpu_memory_bytes", "bytes",
                                "GPU memory the process holds, on every GPU (NVML).", I, 0},
    [VITALS_PROC_GPU_INDEX] = {"gpu_index", "count",
                               "Index of the GPU the process runs on (the lowest when several).", I,
                               0},
};

static const struct vitals_metric gpu_metrics[VITALS_GPU_METRIC_COUNT] = {
    [VITALS_GPU_INDEX] = {"gpu_index", "count", "NVML index of the GPU.", I, ID},
    [VITALS_GPU_UTIL] = {"utilization_percent", "percent",
                         "Share of the last sample period a kernel ran on the GPU.", R, 0},
    [VITALS_GPU_MEM_UTIL] = {"memory_utilization_percent", "percent",
                             "Share of the last sample period GPU memory was read or written.", R,
                             0},
    [VITALS_GPU_MEM_USED] = {"memory_used_bytes", "bytes", "GPU memory allocated.", I, 0},
    [VITALS_GPU_MEM_TOTAL] = {"memory_total_bytes", "bytes", "GPU memory installed.", I, 0},
    [VITALS_GPU_TEMPERATURE] = {"temperature_celsius", "celsius", "Temperature of the GPU die.", R,
                                0},
    [VITALS_GPU_POWER] = {"power_watts", "watts", "Power drawn by the board.", R, 0},
    [VITALS_GPU_POWER_LIMIT] = {"power_limit_watts", "watts", "Power limit the driver enforces.", R,
                                0},
    [VITALS_GPU_CLOCK_GRAPHICS] = {"clock_graphics_mhz", "megahertz", "Graphics clock.", I, 0},
    [VITALS_GPU_CLOCK_SM] = {"clock_sm_mhz", "megahertz", "Streaming multiprocessor clock.", I, 0},
    [VITALS_GPU_CLOCK_MEMORY] = {"clock_memory_mhz", "megahertz", "Memory clock.", I, 0},
    [VITALS_GPU_FAN] = {"fan_percent", "percent", "Fan speed, as a share of its maximum.", R, 0},
    [VITALS_GPU_THROTTLE] = {"throttle_reasons", "count",
                             "NVML's bits of why the clocks are held down; 0 for none.", I, 0},
    [VITALS_GPU_PROCESSES] = {"gpu_processes", "count",
                              "Compute and graphics processes on the GPU.", I, 0},
};

static const struct vitals_metric cgroup_metrics[VITALS_CG_METRIC_COUNT] = {
    [VITALS_CG_PROCESSES] = {"processes", "count", "Processes directly in the group.", I, 0},
    [VITALS_CG_CPU_USAGE] = {"cpu_usage_seconds", "seconds",
                             "CPU time of the group and its descendants.", R, CTR},
    [VITALS_CG_CPU_USER] = {"cpu_user_seconds", "seconds", "CPU time in user mode.", R, CTR},
    [VITALS_CG_CPU_SYSTEM] = {"cpu_system_seconds", "seconds", "CPU time in the kernel.", R, CTR},
    [VITALS_CG_CPU_PERCENT] = {"cpu_percent", "percent",
                               "CPU use over the last interval; 100 is one core.", R, RATE},
    [VITALS_CG_THROTTLED_PERIODS] =
        {"throttled_periods", "count",
         "Scheduler periods in which the CPU limit held the group back.", I, CTR},
    [VITALS_CG_THROTTLED_SECONDS] = {"throttled_seconds", "seconds",
                                     "Time the group's tasks waited on the CPU limit.", R, CTR},
    [VITALS_CG_MEM_CURRENT] = {"memory_bytes", "bytes",
                               "Memory charged to the group and its descendants.", I, 0},
    [VITALS_CG_MEM_LIMIT] = {"memory_limit_bytes", "bytes",
                             "Memory limit of the group; null when unlimited.", I, 0},
    [VITALS_CG_MEM_PEAK] = {"memory_peak_bytes", "bytes", "Highest memory charged so far.", I, 0},
    [VITALS_CG_MEM_ANON] = {"memory_anon_bytes", "bytes",
                            "Anonymous memory (heaps, stacks): what a leak grows.", I, 0},
    [VITALS_CG_MEM_FILE] = {"memory_file_bytes", "bytes",
                            "Page cache charged to the group: reclaimable, not a leak.", I, 0},
    [VITALS_CG_READ_BYTES] = {"read_bytes", "bytes", "Bytes read from block devices.", I, CTR},
    [VITALS_CG_WRITE_BYTES] = {"write_bytes", "bytes", "Bytes written to block devices.", I, CTR},
    [VITALS_CG_READ_BYTES_RATE] = {"read_bytes_per_second", "per_second",
                                   "Bytes read from block devices per second.", R, RATE},
    [VITALS_CG_WRITE_BYTES_RATE] = {"write_bytes_per_second", "per_second",
                                    "Bytes written to block devices per second.", R, RATE},
    [VITALS_CG_PIDS_CURRENT] = {"pids_current", "count",
                                "Tasks (threads) in the group and its descendants.", I, 0},
    [VITALS_CG_PIDS_MAX] = {"pids_max", "count", "Limit on tasks; null when unlimited.", I, 0},
    [VITALS_CG_CPU_SOME_AVG10] = {"cpu_pressure_some_avg10", "percent",
                                  "Share of time some tasks of the group waited for a CPU, 10 s.",
                                  R, 0},
    [VITALS_CG_MEM_SOME_AVG10] = {"memory_pressure_some_avg10", "percent",
                                  "Share of time some tasks stalled on memory, 10 s.", R, 0},
    [VITALS_CG_MEM_FULL_AVG10] = {"memory_pressure_full_avg10", "percent",
                                  "Share of time all tasks stalled on memory, 10 s.", R, 0},
    [VITALS_CG_IO_SOME_AVG10] = {"io_pressure_some_avg10", "percent",
                                 "Share of time some tasks stalled on I/O, 10 s.", R, 0},
    [VITALS_CG_IO_FULL_AVG10] = {"io_pressure_full_avg10", "percent",
                                 "Share of time all tasks stalled on I/O, 10 s.", R, 0},
};

static const char *const process_attrs[VITALS_PROC_ATTR_COUNT] = {"cmdline", "user", "state",
                                                                  "cgroup", "container"};
static const char *const gpu_attrs[VITALS_GPU_ATTR_COUNT] = {"uuid", "throttle"};
static const char *const cgroup_attrs[VITALS_CG_ATTR_COUNT] = {"runtime", "container_id",
                                                               "container", "image", "hierarchy"};
static const char *const fs_attrs[VITALS_FS_ATTR_COUNT] = {"fstype"};

struct kind_info {
	const char *name;
	const struct vitals_metric *metrics;
	size_t nmetrics;
	const char *const *attrs;
	size_t nattrs;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct kind_info kinds[VITALS_KIND_COUNT] = {
    [VITALS_KIND_SYSTEM] = {"system", system_metrics, N(system_metrics), NULL, 0},
    [VITALS_KIND_CPU] = {"cpu", cpu_metrics, N(cpu_metrics), NULL, 0},
    [VITALS_KIND_PSI] = {"psi", psi_metrics, N(psi_metrics), NULL, 0},
    [VITALS_KIND_DISK] = {"disk", disk_metrics, N(disk_metrics), NULL, 0},
    [VITALS_KIND_NET] = {"net", net_metrics, N(net_metrics), NULL, 0},
    [VITALS_KIND_FS] = {"fs", fs_metrics, N(fs_metrics), fs_attrs, N(fs_attrs)},
    [VITALS_KIND_PROCESS] = {"process", process_metrics, N(process_metrics), process_attrs,
                             N(process_attrs)},
    [VITALS_KIND_GPU] = {"gpu", gpu_metrics, N(gpu_metrics), gpu_attrs, N(gpu_attrs)},
    [VITALS_KIND_CGROUP] = {"cgroup", cgroup_metrics, N(cgroup_metrics), cgroup_attrs,
                            N(cgroup_attrs)},
    [VITALS_KIND_GAUGE] = {"gauge", NULL, 0, NULL, 0},
    [VITALS_KIND_EVENT] = {"event", NULL, 0, NULL, 0},
};

_Static_assert(VITALS_SYS_METRIC_COUNT <= VITALS_METRIC_MAX, "too many system metrics");
_Static_assert(VITALS_PROC_METRIC_COUNT <= VITALS_METRIC_MAX, "too many process metrics");
_Static_assert(VITALS_PROC_ATTR_COUNT <= VITALS_ATTR_MAX, "too many process attributes");
_Static_assert(VITALS_CG_ATTR_COUNT <= VITALS_ATTR_MAX, "too many cgroup attributes");
_Static_assert(VITALS_GPU_METRIC_COUNT <= VITALS_METRIC_MAX, "too many gpu metrics");

const char *vitals_kind_name(enum vitals_kind kind)
{
	if ((unsigned)kind >= VITALS_KIND_COUNT)
		return NULL;
	return kinds[kind].name;
}

int vitals_kind_from_name(const char *name)
{
	for (int k = 0; k < VITALS_KIND_COUNT; k++)
		if (name && strcmp(kinds[k].name, name) == 0)
			return k;
	return -1;
}

const struct vitals_metric *vitals_metric_list(enum vitals_kind kind, size_t *count)
{
	if ((unsigned)kind >= VITALS_KIND_COUNT) {
		*count = 0;
		return NULL;
	}
	*count = kinds[kind].nmetrics;
	return kinds[kind].metrics;
}

int vitals_metric_find(enum vitals_kind kind, const char *name)
{
	size_t n;
	const struct vitals_metric *m = vitals_metric_list(kind, &n);

	for (size_t i = 0; i < n; i++)
		if (name && strcmp(m[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *const *vitals_attr_list(enum vitals_kind kind, size_t *count)
{
	if ((unsigned)kind >= VITALS_KIND_COUNT) {
		*count = 0;
		return NULL;
	}
	*count = kinds[kind].nattrs;
	return kinds[kind].attrs;
}
