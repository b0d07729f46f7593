/*
 * The GPU source against a fake NVML (tests/fakes/fake_nvml.c) loaded
 * through VITALS_NVML_LIBRARY: several devices and their values, processes
 * given their GPU memory, the old plain entry points, and every failure
 * (no library, a missing function, init, count and handle failures, no
 * device, an unsupported query, a GPU lost in the middle of a run).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vitals/vitals.h>

#ifndef FAKE_NVML_DIR
#define FAKE_NVML_DIR "."
#endif

static void use_library(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/lib%s.so", FAKE_NVML_DIR, name);
	setenv("VITALS_NVML_LIBRARY", path, 1);
	unsetenv("FAKE_NVML_DEVICES");
	unsetenv("FAKE_NVML_FAIL");
	unsetenv("FAKE_NVML_LOST_AFTER");
	unsetenv("FAKE_NVML_LOST_DEVICE");
	unsetenv("FAKE_NVML_PROCS");
	unsetenv("FAKE_NVML_GRAPHICS");
}

static struct vitals_collector *collector_gpu(void)
{
	struct vitals_collector_options o;
	struct vitals_collector *c = NULL;
	char err[256] = "";

	vitals_collector_options_init(&o);
	o.sources = VITALS_SOURCE(VITALS_KIND_GPU) | VITALS_SOURCE(VITALS_KIND_PROCESS);
	o.scope.pid = getpid();
	o.scope.depth = 0;
	o.subtree_only = 1;
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	return c;
}

static double value(const struct vitals_entity *e, int i)
{
	double v = NAN;

	if (vitals_entity_value(e, (size_t)i, &v) != VITALS_OK)
		return NAN;
	return v;
}

/* The status of the GPU source; its reason must contain WANT. */
static int gpu_status(struct vitals_collector *c, const char *want)
{
	const char *reason = NULL;
	int st = vitals_collector_source_status(c, VITALS_KIND_GPU, &reason);

	assert_non_null(reason);
	if (want && !strstr(reason, want)) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", reason, want);
		fail();
	}
	return st;
}

static void test_devices_and_values(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *g0, *g1;

	(void)state;
	use_library("fake_nvml");
	setenv("FAKE_NVML_DEVICES", "3", 1);
	c = collector_gpu();
	assert_int_equal(gpu_status(c, "ok"), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 3);
	g0 = vitals_collector_entity(c, VITALS_KIND_GPU, 0);
	g1 = vitals_collector_entity(c, VITALS_KIND_GPU, 1);
	assert_string_equal(vitals_entity_id(g1), "1");
	assert_string_equal(vitals_entity_name(g1), "Fake GPU 1");
	assert_string_equal(vitals_entity_attr(g0, VITALS_GPU_ATTR_UUID),
	                    "GPU-00000000-0000-0000-0000-000000000000");
	assert_true(value(g1, VITALS_GPU_INDEX) == 1);
	assert_true(value(g1, VITALS_GPU_UTIL) == 41);
	assert_true(value(g0, VITALS_GPU_MEM_UTIL) == 12);
	assert_true(value(g1, VITALS_GPU_MEM_USED) == 2.0 * (1 << 30));
	assert_true(value(g1, VITALS_GPU_MEM_TOTAL) == 16.0 * (1 << 30));
	assert_true(value(g0, VITALS_GPU_TEMPERATURE) == 50);
	assert_true(fabs(value(g0, VITALS_GPU_POWER) - 123.456) < 1e-9);
	assert_true(value(g0, VITALS_GPU_POWER_LIMIT) == 250);
	assert_true(value(g0, VITALS_GPU_CLOCK_GRAPHICS) == 1500);
	assert_true(value(g0, VITALS_GPU_CLOCK_SM) == 1600);
	assert_true(value(g0, VITALS_GPU_CLOCK_MEMORY) == 7000);
	assert_true(value(g0, VITALS_GPU_FAN) == 30);
	/* device 1 has no fan: missing, not 0 */
	assert_true(isnan(value(g1, VITALS_GPU_FAN)));
	assert_true(value(g0, VITALS_GPU_THROTTLE) == 0x44);
	assert_string_equal(vitals_entity_attr(g0, VITALS_GPU_ATTR_THROTTLE),
	                    "sw_power_cap,hw_thermal");
	assert_true(value(g0, VITALS_GPU_PROCESSES) == 0);
	vitals_collector_free(c);
}

/* A process NVML lists gets its GPU memory (summed over GPUs) and its GPU. */
static void check_process_memory(const char *library, int graphics)
{
	struct vitals_collector *c;
	const struct vitals_entity *me, *g1;
	char procs[128];

	use_library(library);
	if (graphics) /* the same processes draw too: each counted once, its memory once */
		setenv("FAKE_NVML_GRAPHICS", "1", 1);
	snprintf(procs, sizeof(procs), "%d:1:1048576,%d:2:4096,999999:1:5", (int)getpid(),
	         (int)getpid());
	setenv("FAKE_NVML_DEVICES", "3", 1);
	setenv("FAKE_NVML_PROCS", procs, 1);
	c = collector_gpu();
	me = vitals_collector_process(c, getpid());
	assert_non_null(me);
	assert_true(value(me, VITALS_PROC_GPU_MEMORY) == 1048576 + 4096);
	assert_true(value(me, VITALS_PROC_GPU_INDEX) == 1);
	g1 = vitals_collector_entity(c, VITALS_KIND_GPU, 1);
	assert_true(value(g1, VITALS_GPU_PROCESSES) == 2);
	vitals_collector_free(c);
}

static void test_process_memory(void **state)
{
	(void)state;
	check_process_memory("fake_nvml", 0);
}

/* A process that both computes and draws is counted once, with its memory once. */
static void test_compute_and_graphics(void **state)
{
	(void)state;
	check_process_memory("fake_nvml", 1);
}

/* A driver with only the plain entry points (v1 process records) reads the same. */
static void test_old_entry_points(void **state)
{
	(void)state;
	check_process_memory("fake_nvml_old", 0);
}

static void test_no_process_no_memory(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *me;

	(void)state;
	use_library("fake_nvml");
	c = collector_gpu();
	me = vitals_collector_process(c, getpid());
	assert_non_null(me);
	assert_true(isnan(value(me, VITALS_PROC_GPU_MEMORY)));
	assert_true(isnan(value(me, VITALS_PROC_GPU_INDEX)));
	vitals_collector_free(c);
}

/* Each way of being absent: no entities, a reason, the rest of the sample goes on. */
static void check_absent(const char *library, const char *env, const char *val, const char *reason)
{
	struct vitals_collector *c;

	use_library(library);
	if (env)
		setenv(env, val, 1);
	c = collector_gpu();
	assert_int_equal(gpu_status(c, reason), VITALS_E_UNSUPPORTED);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 0);
	assert_non_null(vitals_collector_process(c, getpid()));
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	vitals_collector_free(c);
}

static void test_missing_library(void **state)
{
	(void)state;
	check_absent("no_such_nvml", NULL, NULL, "cannot load");
}

static void test_missing_symbol(void **state)
{
	(void)state;
	check_absent("fake_nvml_nomem", NULL, NULL, "lacks nvmlDeviceGetMemoryInfo");
}

static void test_init_fails(void **state)
{
	(void)state;
	check_absent("fake_nvml", "FAKE_NVML_FAIL", "init", "nvmlInit failed");
}

static void test_count_fails(void **state)
{
	(void)state;
	check_absent("fake_nvml", "FAKE_NVML_FAIL", "count", "nvmlDeviceGetCount failed");
}

static void test_handle_fails(void **state)
{
	(void)state;
	check_absent("fake_nvml", "FAKE_NVML_FAIL", "handle", "GPU 1: Unknown Error");
}

static void test_no_devices(void **state)
{
	(void)state;
	check_absent("fake_nvml", "FAKE_NVML_DEVICES", "0", "no NVIDIA GPU");
}

/* A query the device does not support leaves its metrics missing, the GPU stays. */
static void test_unsupported_query(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *g;

	(void)state;
	use_library("fake_nvml");
	setenv("FAKE_NVML_FAIL", "utilization", 1);
	c = collector_gpu();
	assert_int_equal(gpu_status(c, "ok"), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 2);
	g = vitals_collector_entity(c, VITALS_KIND_GPU, 0);
	assert_true(isnan(value(g, VITALS_GPU_UTIL)));
	assert_true(isnan(value(g, VITALS_GPU_MEM_UTIL)));
	assert_true(value(g, VITALS_GPU_MEM_USED) == 1.0 * (1 << 30));
	vitals_collector_free(c);
}

/* GPU 1 falls off the bus at the third sample: it goes, with a reason; GPU 0 stays. */
static void test_gpu_lost(void **state)
{
	struct vitals_collector *c;

	(void)state;
	use_library("fake_nvml");
	setenv("FAKE_NVML_LOST_AFTER", "2", 1);
	setenv("FAKE_NVML_LOST_DEVICE", "1", 1);
	c = collector_gpu(); /* sample 1 */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 2);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK); /* 2 */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 2);
	assert_int_equal(gpu_status(c, "ok"), VITALS_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vitals_collector_sample(c), VITALS_OK); /* 3, 4, 5 */
		assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 1);
		assert_string_equal(
		    vitals_entity_id(vitals_collector_entity(c, VITALS_KIND_GPU, 0)), "0");
		assert_int_equal(gpu_status(c, "1 of 2 GPUs lost (GPU is lost"), VITALS_E_IO);
		assert_non_null(vitals_collector_process(c, getpid()));
	}
	vitals_collector_free(c);
}

/* The only GPU lost: no GPU entity at all, the reason says so, sampling goes on. */
static void test_only_gpu_lost(void **state)
{
	struct vitals_collector *c;

	(void)state;
	use_library("fake_nvml");
	setenv("FAKE_NVML_DEVICES", "1", 1);
	setenv("FAKE_NVML_LOST_AFTER", "0", 1);
	c = collector_gpu();
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 0);
	assert_int_equal(gpu_status(c, "1 of 1 GPUs lost"), VITALS_E_IO);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_GPU), 0);
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_devices_and_values),
	    cmocka_unit_test(test_process_memory),
	    cmocka_unit_test(test_compute_and_graphics),
	    cmocka_unit_test(test_old_entry_points),
	    cmocka_unit_test(test_no_process_no_memory),
	    cmocka_unit_test(test_missing_library),
	    cmocka_unit_test(test_missing_symbol),
	    cmocka_unit_test(test_init_fails),
	    cmocka_unit_test(test_count_fails),
	    cmocka_unit_test(test_handle_fails),
	    cmocka_unit_test(test_no_devices),
	    cmocka_unit_test(test_unsupported_query),
	    cmocka_unit_test(test_gpu_lost),
	    cmocka_unit_test(test_only_gpu_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
