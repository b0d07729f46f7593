/*
 * The GPU source: NVIDIA GPUs through NVML, loaded at run time.
 *
 * libnvidia-ml.so.1, then libnvidia-ml.so, is opened with dlopen (the
 * environment variable VITALS_NVML_LIBRARY names another file); the few
 * types and functions used are declared here, so there is no build
 * dependency on CUDA. Where NVML has versioned entry points, the newest
 * the driver offers is taken (_v3, then _v2, then the plain name); the
 * plain process query returns a shorter record, told apart by its version.
 *
 * What can go wrong, and what it does:
 * - no library, a symbol missing, nvmlInit failing, no device: the source
 *   is absent, with the reason;
 * - a query a device does not support: that metric is missing;
 * - NVML_ERROR_GPU_IS_LOST: the device is dropped for the rest of the run,
 *   the source reports the loss as its status, the other devices go on.
 *
 * NVML gives host pids; in a pid namespace (a container) they do not match
 * the pids of /proc, and no process gets GPU memory.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect/internal.h"

/* ---- our declarations of NVML -------------------------------------------- */

typedef int nvml_return;
typedef struct nvml_device *nvml_device;

#define NVML_SUCCESS                 0
#define NVML_ERROR_NOT_SUPPORTED     3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_GPU_IS_LOST       15
#define NVML_TEMPERATURE_GPU         0
#define NVML_CLOCK_GRAPHICS          0
#define NVML_CLOCK_SM                1
#define NVML_CLOCK_MEM               2
#define NVML_VALUE_NOT_AVAILABLE     (~0ull)
#define NVML_NAME_MAX                96
#define NVML_UUID_MAX                96

struct nvml_utilization {
	unsigned gpu, memory;
};

struct nvml_memory {
	unsigned long long total, free, used;
};

/* The process record of the plain (v1) query. */
struct nvml_process_v1 {
	unsigned pid;
	unsigned long long used_gpu_memory;
};

/* The process record of the _v2 and _v3 queries. */
struct nvml_process_v2 {
	unsigned pid;
	unsigned long long used_gpu_memory;
	unsigned gpu_instance_id, compute_instance_id;
};

typedef nvml_return (*nvml_proc_fn)(nvml_device, unsigned *, void *);

struct nvml_api {
	void *lib;
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	const char *(*error_string)(nvml_return);
	nvml_return (*get_count)(unsigned *);
	nvml_return (*get_handle)(unsigned, nvml_device *);
	nvml_return (*get_name)(nvml_device, char *, unsigned);
	nvml_return (*get_uuid)(nvml_device, char *, unsigned);
	nvml_return (*get_utilization)(nvml_device, struct nvml_utilization *);
	nvml_return (*get_memory)(nvml_device, struct nvml_memory *);
	/* optional: a missing one leaves its metric missing */
	nvml_return (*get_temperature)(nvml_device, int, unsigned *);
	nvml_return (*get_power)(nvml_device, unsigned *);
	nvml_return (*get_power_limit)(nvml_device, unsigned *);
	nvml_return (*get_clock)(nvml_device, int, unsigned *);
	nvml_return (*get_fan)(nvml_device, unsigned *);
	nvml_return (*get_throttle)(nvml_device, unsigned long long *);
	nvml_proc_fn compute_procs, graphics_procs;
	int procs_v1; /* the process queries are the plain ones, with v1 records */
};

/* ---- the source ----------------------------------------------------------- */

#define GPU_MAX         64
#define GPU_PROCS_MAX   1024
#define GPU_REASON_TEXT 160

struct gpu {
	struct vitals_entity e;
	nvml_device dev;
	unsigned index; /* NVML's */
	int lost;
	char id[16];
	char name[NVML_NAME_MAX];
	char uuid[NVML_UUID_MAX];
	char throttle[GPU_REASON_TEXT];
};

struct gpu_state {
	struct nvml_api api;
	struct gpu gpus[GPU_MAX];
	unsigned count;
	int inited;
	int pid_ns; /* we run in a nested pid namespace: NVML's host pids are not ours */
	unsigned seen[GPU_PROCS_MAX]; /* pids of the GPU being read */
	unsigned nseen;
	union {
		struct nvml_process_v1 v1[GPU_PROCS_MAX];
		struct nvml_process_v2 v2[GPU_PROCS_MAX];
	} procs;
};

/* The first of NAMES that LIB has, or NULL. */
static void *sym_first(void *lib, const char *const *names)
{
	for (; *names; names++) {
		void *f = dlsym(lib, *names);

		if (f)
			return f;
	}
	return NULL;
}

#define SYM(field, ...)                                                                            \
	(*(void **)&api->field = sym_first(api->lib, (const char *const[]){__VA_ARGS__, NULL}))

static int api_load(struct nvml_api *api, char *reason, size_t len)
{
	const char *env = getenv("VITALS_NVML_LIBRARY");
	const char *missing = NULL;

	memset(api, 0, sizeof(*api));
	if (env && *env) {
		api->lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
		if (!api->lib) {
			snprintf(reason, len, "cannot load %s (VITALS_NVML_LIBRARY): %s", env,
			         dlerror());
			return VITALS_E_UNSUPPORTED;
		}
	} else {
		api->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
		if (!api->lib)
			api->lib = dlopen("libnvidia-ml.so", RTLD_NOW | RTLD_LOCAL);
		if (!api->lib) {
			snprintf(reason, len, "no NVIDIA driver library (libnvidia-ml.so.1)");
			return VITALS_E_UNSUPPORTED;
		}
	}
	if (!SYM(init, "nvmlInit_v2", "nvmlInit"))
		missing = "nvmlInit";
	else if (!SYM(shutdown, "nvmlShutdown"))
		missing = "nvmlShutdown";
	else if (!SYM(get_count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"))
		missing = "nvmlDeviceGetCount";
	else if (!SYM(get_handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"))
		missing = "nvmlDeviceGetHandleByIndex";
	else if (!SYM(get_name, "nvmlDeviceGetName"))
		missing = "nvmlDeviceGetName";
	else if (!SYM(get_uuid, "nvmlDeviceGetUUID"))
		missing = "nvmlDeviceGetUUID";
	else if (!SYM(get_utilization, "nvmlDeviceGetUtilizationRates"))
		missing = "nvmlDeviceGetUtilizationRates";
	else if (!SYM(get_memory, "nvmlDeviceGetMemoryInfo"))
		missing = "nvmlDeviceGetMemoryInfo";
	if (missing) {
		snprintf(reason, len, "the NVIDIA driver library lacks %s", missing);
		dlclose(api->lib);
		api->lib = NULL;
		return VITALS_E_UNSUPPORTED;
	}
	SYM(error_string, "nvmlErrorString");
	SYM(get_temperature, "nvmlDeviceGetTemperature");
	SYM(get_power, "nvmlDeviceGetPowerUsage");
	SYM(get_power_limit, "nvmlDeviceGetEnforcedPowerLimit",
	    "nvmlDeviceGetPowerManagementLimit");
	SYM(get_clock, "nvmlDeviceGetClockInfo");
	SYM(get_fan, "nvmlDeviceGetFanSpeed");
	SYM(get_throttle, "nvmlDeviceGetCurrentClocksEventReasons",
	    "nvmlDeviceGetCurrentClocksThrottleReasons");
	SYM(compute_procs, "nvmlDeviceGetComputeRunningProcesses_v3",
	    "nvmlDeviceGetComputeRunningProcesses_v2");
	SYM(graphics_procs, "nvmlDeviceGetGraphicsRunningProcesses_v3",
	    "nvmlDeviceGetGraphicsRunningProcesses_v2");
	if (!api->compute_procs && !api->graphics_procs) {
		SYM(compute_procs, "nvmlDeviceGetComputeRunningProcesses");
		SYM(graphics_procs, "nvmlDeviceGetGraphicsRunningProcesses");
		api->procs_v1 = 1;
	}
	return VITALS_OK;
}

static const char *nvml_error(const struct nvml_api *api, nvml_return r, char *buf, size_t len)
{
	const char *s = api->error_string ? api->error_string(r) : NULL;

	snprintf(buf, len, "%s (NVML error %d)", s ? s : "error", r);
	return buf;
}

/* The throttle reason bits in words. */
static void throttle_words(unsigned long long bits, char *out, size_t len)
{
	static const struct {
		unsigned long long bit;
		const char *word;
	} reasons[] = {
	    {0x1, "gpu_idle"},    {0x2, "applications_clocks"}, {0x4, "sw_power_cap"},
	    {0x8, "hw_slowdown"}, {0x10, "sync_boost"},         {0x20, "sw_thermal"},
	    {0x40, "hw_thermal"}, {0x80, "hw_power_brake"},     {0x100, "display_clocks"},
	};
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		int n;

		if (!(bits & reasons[i].bit))
			continue;
		n = snprintf(out + k, len - k, "%s%s", k ? "," : "", reasons[i].word);
		if (n < 0 || (size_t)n >= len - k)
			break;
		k += (size_t)n;
	}
}

/*
 * The processes of one query on G: their GPU memory added to their
 * entities, their count to *NPROCS. The status of the query.
 */
static nvml_return gpu_processes(struct gpu_state *s, struct vitals_collector *c, struct gpu *g,
                                 unsigned index, nvml_proc_fn fn, double *nprocs)
{
	unsigned n = GPU_PROCS_MAX;
	nvml_return r;

	if (!fn)
		return NVML_ERROR_NOT_SUPPORTED;
	r = fn(g->dev, &n, s->api.procs_v1 ? (void *)s->procs.v1 : (void *)s->procs.v2);
	if (r != NVML_SUCCESS)
		return r;
	if (n > GPU_PROCS_MAX)
		n = GPU_PROCS_MAX;
	for (unsigned i = 0; i < n; i++) {
		unsigned pid = s->api.procs_v1 ? s->procs.v1[i].pid : s->procs.v2[i].pid;
		unsigned long long mem = s->api.procs_v1 ? s->procs.v1[i].used_gpu_memory
		                                         : s->procs.v2[i].used_gpu_memory;
		struct vitals_entity *e;
		unsigned k;

		/* a process both computing and drawing is listed twice, with the same memory */
		for (k = 0; k < s->nseen && s->seen[k] != pid; k++)
			continue;
		if (k < s->nseen)
			continue;
		if (s->nseen < GPU_PROCS_MAX)
			s->seen[s->nseen++] = pid;
		*nprocs += 1;
		/* the process source's own entity, valid until its next sample */
		e = c->process_state && !s->pid_ns && pid > 0 && pid <= 0x7fffffff
		        ? (struct vitals_entity *)process_find(c->process_state, (pid_t)pid)
		        : NULL;
		if (!e)
			continue;
		if (mem != NVML_VALUE_NOT_AVAILABLE)
			entity_set(e, VITALS_PROC_GPU_MEMORY,
			           (entity_has(e, VITALS_PROC_GPU_MEMORY)
			                ? e->v[VITALS_PROC_GPU_MEMORY]
			                : 0) +
			               (double)mem);
		if (!entity_has(e, VITALS_PROC_GPU_INDEX))
			entity_set(e, VITALS_PROC_GPU_INDEX, (double)index);
	}
	return NVML_SUCCESS;
}

/* Read G. NVML_ERROR_GPU_IS_LOST when it fell off the bus; otherwise NVML_SUCCESS. */
static nvml_return gpu_read(struct gpu_state *s, struct vitals_collector *c, struct gpu *g,
                            unsigned index)
{
	const struct nvml_api *api = &s->api;
	struct vitals_entity *e = &g->e;
	struct nvml_utilization u;
	struct nvml_memory m;
	unsigned v;
	unsigned long long bits;
	double nprocs = 0;
	nvml_return r, rc, rg;

	entity_clear(e);
	entity_set(e, VITALS_GPU_INDEX, (double)index);
	e->attr[VITALS_GPU_ATTR_UUID] = g->uuid[0] ? g->uuid : NULL;
#define LOST(call) ((r = (call)) == NVML_ERROR_GPU_IS_LOST)
	if (LOST(api->get_utilization(g->dev, &u)))
		return r;
	if (r == NVML_SUCCESS) {
		entity_set(e, VITALS_GPU_UTIL, u.gpu);
		entity_set(e, VITALS_GPU_MEM_UTIL, u.memory);
	}
	if (LOST(api->get_memory(g->dev, &m)))
		return r;
	if (r == NVML_SUCCESS) {
		entity_set(e, VITALS_GPU_MEM_USED, (double)m.used);
		entity_set(e, VITALS_GPU_MEM_TOTAL, (double)m.total);
	}
	if (api->get_temperature) {
		if (LOST(api->get_temperature(g->dev, NVML_TEMPERATURE_GPU, &v)))
			return r;
		if (r == NVML_SUCCESS)
			entity_set(e, VITALS_GPU_TEMPERATURE, v);
	}
	if (api->get_power) {
		if (LOST(api->get_power(g->dev, &v)))
			return r;
		if (r == NVML_SUCCESS)
			entity_set(e, VITALS_GPU_POWER, v / 1000.0); /* milliwatts */
	}
	if (api->get_power_limit) {
		if (LOST(api->get_power_limit(g->dev, &v)))
			return r;
		if (r == NVML_SUCCESS)
			entity_set(e, VITALS_GPU_POWER_LIMIT, v / 1000.0);
	}
	if (api->get_clock) {
		static const int clocks[3] = {NVML_CLOCK_GRAPHICS, NVML_CLOCK_SM, NVML_CLOCK_MEM};
		static const int metric[3] = {VITALS_GPU_CLOCK_GRAPHICS, VITALS_GPU_CLOCK_SM,
		                              VITALS_GPU_CLOCK_MEMORY};

		for (int i = 0; i < 3; i++) {
			if (LOST(api->get_clock(g->dev, clocks[i], &v)))
				return r;
			if (r == NVML_SUCCESS)
				entity_set(e, metric[i], v);
		}
	}
	if (api->get_fan) {
		if (LOST(api->get_fan(g->dev, &v)))
			return r;
		if (r == NVML_SUCCESS)
			entity_set(e, VITALS_GPU_FAN, v);
	}
	if (api->get_throttle) {
		if (LOST(api->get_throttle(g->dev, &bits)))
			return r;
		if (r == NVML_SUCCESS) {
			entity_set(e, VITALS_GPU_THROTTLE, (double)bits);
			throttle_words(bits, g->throttle, sizeof(g->throttle));
			e->attr[VITALS_GPU_ATTR_THROTTLE] = g->throttle;
		}
	}
#undef LOST
	s->nseen = 0;
	rc = gpu_processes(s, c, g, index, api->compute_procs, &nprocs);
	if (rc == NVML_ERROR_GPU_IS_LOST)
		return rc;
	rg = gpu_processes(s, c, g, index, api->graphics_procs, &nprocs);
	if (rg == NVML_ERROR_GPU_IS_LOST)
		return rg;
	if (rc == NVML_SUCCESS || rg == NVML_SUCCESS)
		entity_set(e, VITALS_GPU_PROCESSES, nprocs);
	return NVML_SUCCESS;
}

static int gpu_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct gpu_state *s = state;
	unsigned lost = 0;
	char err[128];

	for (unsigned i = 0; i < s->count; i++) {
		struct gpu *g = &s->gpus[i];
		nvml_return r;

		if (g->lost) {
			lost++;
			continue;
		}
		r = gpu_read(s, c, g, g->index);
		if (r == NVML_ERROR_GPU_IS_LOST) {
			g->lost = 1;
			lost++;
			continue;
		}
		if (collector_publish(c, VITALS_KIND_GPU, &g->e) < 0)
			return VITALS_E_NOMEM;
	}
	if (!lost) {
		if (s->pid_ns)
			snprintf(reason, len,
			         "ok; in a pid namespace, so NVML's host pids are not matched to "
			         "processes");
		return VITALS_OK;
	}
	snprintf(reason, len, "%u of %u GPUs lost (%s)%s", lost, s->count,
	         nvml_error(&s->api, NVML_ERROR_GPU_IS_LOST, err, sizeof(err)),
	         lost == s->count ? "" : "; the others are read");
	return VITALS_E_IO;
}

/*
 * Whether this process lives in a pid namespace other than the first (a
 * container), where NVML's host pids name other processes, or none. The
 * first namespace has a fixed inode number (PROC_PID_INIT_INO).
 */
static int in_pid_namespace(struct vitals_collector *c)
{
	struct stat st;

	if (!c->proc_is_procfs || fstatat(c->proc_fd, "self/ns/pid", &st, 0) != 0)
		return 0;
	return st.st_ino != 0xEFFFFFFCu;
}

static void gpu_release(void *state)
{
	struct gpu_state *s = state;

	if (!s)
		return;
	if (s->inited)
		s->api.shutdown();
	if (s->api.lib)
		dlclose(s->api.lib);
	free(s);
}

static int gpu_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct gpu_state *s = calloc(1, sizeof(*s));
	char err[128];
	unsigned n = 0;
	nvml_return r;
	int status;

	*state = NULL;
	if (!s)
		return VITALS_E_NOMEM;
	s->pid_ns = in_pid_namespace(c);
	status = api_load(&s->api, reason, len);
	if (status != VITALS_OK)
		goto out_free;
	status = VITALS_E_UNSUPPORTED;
	r = s->api.init();
	if (r != NVML_SUCCESS) {
		snprintf(reason, len, "nvmlInit failed: %s",
		         nvml_error(&s->api, r, err, sizeof(err)));
		goto out_free;
	}
	s->inited = 1;
	r = s->api.get_count(&n);
	if (r != NVML_SUCCESS) {
		snprintf(reason, len, "nvmlDeviceGetCount failed: %s",
		         nvml_error(&s->api, r, err, sizeof(err)));
		goto out_free;
	}
	if (n == 0) {
		snprintf(reason, len, "no NVIDIA GPU (the driver reports none)");
		goto out_free;
	}
	if (n > GPU_MAX)
		n = GPU_MAX;
	for (unsigned i = 0; i < n; i++) {
		struct gpu *g = &s->gpus[s->count];

		r = s->api.get_handle(i, &g->dev);
		if (r != NVML_SUCCESS) {
			snprintf(reason, len, "GPU %u: %s", i,
			         nvml_error(&s->api, r, err, sizeof(err)));
			continue; /* a device we may not open (permissions, lost) */
		}
		g->index = i;
		snprintf(g->id, sizeof(g->id), "%u", i);
		if (s->api.get_name(g->dev, g->name, sizeof(g->name)) != NVML_SUCCESS)
			snprintf(g->name, sizeof(g->name), "GPU %u", i);
		g->name[sizeof(g->name) - 1] = '\0';
		if (s->api.get_uuid(g->dev, g->uuid, sizeof(g->uuid)) != NVML_SUCCESS)
			g->uuid[0] = '\0';
		g->uuid[sizeof(g->uuid) - 1] = '\0';
		g->e.kind = VITALS_KIND_GPU;
		g->e.in_scope = 1;
		g->e.id = g->id;
		g->e.name = g->name;
		s->count++;
	}
	if (!s->count)
		goto out_free; /* the reason names the last failure */
	*state = s;
	return VITALS_OK;
out_free:
	gpu_release(s);
	return status;
}

const struct source_ops source_gpu = {
    .name = "gpu",
    .kind = VITALS_KIND_GPU,
    .init = gpu_init,
    .sample = gpu_sample,
    .release = gpu_release,
};
