/*
 * A fake NVIDIA management library (libnvidia-ml) for the tests of the GPU
 * source, loaded through VITALS_NVML_LIBRARY. It exports the NVML entry
 * points vitals uses, with made-up but fixed values, and is configured by
 * environment variables read at nvmlInit:
 *
 *   FAKE_NVML_DEVICES=N         devices (default 2)
 *   FAKE_NVML_FAIL=WHAT         init | count | handle | utilization: that call fails
 *   FAKE_NVML_LOST_AFTER=N      device FAKE_NVML_LOST_DEVICE (default 0) answers
 *                               NVML_ERROR_GPU_IS_LOST after N memory queries
 *   FAKE_NVML_PROCS=PID:GPU:BYTES,...   compute processes and their memory
 *   FAKE_NVML_GRAPHICS=1        the same processes are graphics clients too
 *
 * Built three ways: the current API (_v2/_v3 entry points), FAKE_NVML_OLD
 * (only the plain names, with the short v1 process record) and
 * FAKE_NVML_NO_MEMINFO (nvmlDeviceGetMemoryInfo missing).
 *
 * Device I: utilization 40+I % (memory 12 %), 16 GiB with I+1 GiB used,
 * 50+I degrees, 123.456 W of a 250 W limit, clocks 1500/1600/7000 MHz,
 * fan 30 % (device 1 has none: not supported), throttle bits 0x44.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

#define NVML_SUCCESS                 0
#define NVML_ERROR_UNINITIALIZED     1
#define NVML_ERROR_INVALID_ARGUMENT  2
#define NVML_ERROR_NOT_SUPPORTED     3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_GPU_IS_LOST       15
#define NVML_ERROR_UNKNOWN           999

#define DEV_MAX  16
#define PROC_MAX 64

struct device {
	int index;
};

struct proc_v1 {
	unsigned pid;
	unsigned long long mem;
};

struct proc_v2 {
	unsigned pid;
	unsigned long long mem;
	unsigned gi, ci;
};

static struct device devices[DEV_MAX];
static int ndevices, inited, lost_device, lost_after = -1, mem_calls[DEV_MAX];
static char fail[32];
static struct {
	unsigned pid, gpu;
	unsigned long long mem;
} procs[PROC_MAX];
static int nprocs;

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

static int do_init(void)
{
	const char *f = getenv("FAKE_NVML_FAIL");
	const char *p = getenv("FAKE_NVML_PROCS");

	snprintf(fail, sizeof(fail), "%s", f ? f : "");
	if (strcmp(fail, "init") == 0)
		return NVML_ERROR_UNKNOWN;
	ndevices = env_int("FAKE_NVML_DEVICES", 2);
	if (ndevices < 0 || ndevices > DEV_MAX)
		ndevices = DEV_MAX;
	for (int i = 0; i < DEV_MAX; i++) {
		devices[i].index = i;
		mem_calls[i] = 0;
	}
	lost_after = env_int("FAKE_NVML_LOST_AFTER", -1);
	lost_device = env_int("FAKE_NVML_LOST_DEVICE", 0);
	nprocs = 0;
	while (p && *p && nprocs < PROC_MAX) {
		unsigned pid, gpu;
		unsigned long long mem;

		if (sscanf(p, "%u:%u:%llu", &pid, &gpu, &mem) != 3)
			break;
		procs[nprocs].pid = pid;
		procs[nprocs].gpu = gpu;
		procs[nprocs].mem = mem;
		nprocs++;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	inited = 1;
	return NVML_SUCCESS;
}

static struct device *dev_of(void *h)
{
	struct device *d = h;

	if (!inited || d < devices || d >= devices + ndevices)
		return NULL;
	return d;
}

/* NVML_ERROR_GPU_IS_LOST once the lost device used up its memory queries. */
static int is_lost(const struct device *d)
{
	return lost_after >= 0 && d->index == lost_device && mem_calls[d->index] > lost_after;
}

#ifdef FAKE_NVML_OLD
EXPORT int nvmlInit(void)
#else
EXPORT int nvmlInit_v2(void)
#endif
{
	return do_init();
}

EXPORT int nvmlShutdown(void)
{
	inited = 0;
	return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(int r)
{
	switch (r) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	}
	return "Unknown Error";
}

#ifdef FAKE_NVML_OLD
EXPORT int nvmlDeviceGetCount(unsigned *n)
#else
EXPORT int nvmlDeviceGetCount_v2(unsigned *n)
#endif
{
	if (!inited)
		return NVML_ERROR_UNINITIALIZED;
	if (strcmp(fail, "count") == 0)
		return NVML_ERROR_UNKNOWN;
	*n = (unsigned)ndevices;
	return NVML_SUCCESS;
}

#ifdef FAKE_NVML_OLD
EXPORT int nvmlDeviceGetHandleByIndex(unsigned i, void **h)
#else
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **h)
#endif
{
	if (!inited)
		return NVML_ERROR_UNINITIALIZED;
	if (strcmp(fail, "handle") == 0)
		return NVML_ERROR_UNKNOWN;
	if (i >= (unsigned)ndevices)
		return NVML_ERROR_INVALID_ARGUMENT;
	*h = &devices[i];
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetName(void *h, char *name, unsigned len)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	snprintf(name, len, "Fake GPU %d", d->index);
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetUUID(void *h, char *uuid, unsigned len)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	snprintf(uuid, len, "GPU-00000000-0000-0000-0000-00000000000%d", d->index);
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetUtilizationRates(void *h, unsigned *u)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (is_lost(d))
		return NVML_ERROR_GPU_IS_LOST;
	if (strcmp(fail, "utilization") == 0)
		return NVML_ERROR_NOT_SUPPORTED;
	u[0] = 40 + (unsigned)d->index;
	u[1] = 12;
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_NO_MEMINFO
EXPORT int nvmlDeviceGetMemoryInfo(void *h, unsigned long long *m)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	mem_calls[d->index]++;
	if (is_lost(d))
		return NVML_ERROR_GPU_IS_LOST;
	m[0] = 16ull << 30;
	m[2] = (unsigned long long)(d->index + 1) << 30;
	m[1] = m[0] - m[2];
	return NVML_SUCCESS;
}
#endif

EXPORT int nvmlDeviceGetTemperature(void *h, int sensor, unsigned *t)
{
	struct device *d = dev_of(h);

	if (!d || sensor != 0)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (is_lost(d))
		return NVML_ERROR_GPU_IS_LOST;
	*t = 50 + (unsigned)d->index;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetPowerUsage(void *h, unsigned *mw)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (is_lost(d))
		return NVML_ERROR_GPU_IS_LOST;
	*mw = 123456;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetEnforcedPowerLimit(void *h, unsigned *mw)
{
	if (!dev_of(h))
		return NVML_ERROR_INVALID_ARGUMENT;
	*mw = 250000;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetClockInfo(void *h, int type, unsigned *mhz)
{
	static const unsigned clocks[3] = {1500, 1600, 7000};

	if (!dev_of(h) || type < 0 || type > 2)
		return NVML_ERROR_INVALID_ARGUMENT;
	*mhz = clocks[type];
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetFanSpeed(void *h, unsigned *pct)
{
	struct device *d = dev_of(h);

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (d->index == 1)
		return NVML_ERROR_NOT_SUPPORTED;
	*pct = 30;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetCurrentClocksThrottleReasons(void *h, unsigned long long *bits)
{
	if (!dev_of(h))
		return NVML_ERROR_INVALID_ARGUMENT;
	*bits = 0x44;
	return NVML_SUCCESS;
}

/* The processes of device H in records of SIZE bytes (v1 or v2 layout). */
static int list_procs(void *h, unsigned *count, void *out, int v1)
{
	struct device *d = dev_of(h);
	unsigned n = 0, cap = *count;

	if (!d)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (is_lost(d))
		return NVML_ERROR_GPU_IS_LOST;
	for (int i = 0; i < nprocs; i++)
		if (procs[i].gpu == (unsigned)d->index)
			n++;
	*count = n;
	if (n > cap)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	n = 0;
	for (int i = 0; i < nprocs; i++) {
		if (procs[i].gpu != (unsigned)d->index)
			continue;
		if (v1) {
			struct proc_v1 *p = (struct proc_v1 *)out + n;

			p->pid = procs[i].pid;
			p->mem = procs[i].mem;
		} else {
			struct proc_v2 *p = (struct proc_v2 *)out + n;

			p->pid = procs[i].pid;
			p->mem = procs[i].mem;
			p->gi = p->ci = 0xffffffffu;
		}
		n++;
	}
	return NVML_SUCCESS;
}

#ifdef FAKE_NVML_OLD
EXPORT int nvmlDeviceGetComputeRunningProcesses(void *h, unsigned *count, void *out)
{
	return list_procs(h, count, out, 1);
}
#else
EXPORT int nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned *count, void *out)
{
	return list_procs(h, count, out, 0);
}

EXPORT int nvmlDeviceGetGraphicsRunningProcesses_v3(void *h, unsigned *count, void *out)
{
	if (env_int("FAKE_NVML_GRAPHICS", 0))
		return list_procs(h, count, out, 0);
	if (!dev_of(h))
		return NVML_ERROR_INVALID_ARGUMENT;
	*count = 0; /* no graphics clients on a compute node */
	return NVML_SUCCESS;
}
#endif
