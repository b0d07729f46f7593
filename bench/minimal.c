/*
 * The floor: the least a C program must do to read what a process monitor
 * shows. Each sample lists /proc and, for every process, opens, reads and
 * closes stat, statm and status, and lists fd/. Nothing is parsed, nothing
 * is kept between samples.
 *
 * Usage: minimal [--seconds S] [--min-samples N]
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

/* Open, read to the end and close one file; the bytes read, or -1. */
static long read_file(const char *path, char *buf, size_t len)
{
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

/* Count the entries of a directory; -1 when it cannot be opened. */
static long count_dir(const char *path)
{
	long n = 0;
	struct dirent *d;
	DIR *dir = opendir(path);

	if (!dir)
		return -1;
	while ((d = readdir(dir)) != NULL)
		n++;
	closedir(dir);
	return n;
}

/* One sample: the processes seen, or -1 when /proc cannot be listed. */
static long sample(unsigned long *sink)
{
	static const char *const files[] = {"stat", "statm", "status"};
	char path[sizeof(((struct dirent *)0)->d_name) + 16];
	char buf[4096];
	long procs = 0;
	struct dirent *d;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -1;
	while ((d = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "/proc/%s/%s", d->d_name, files[i]);
			*sink += (unsigned long)read_file(path, buf, sizeof(buf));
		}
		snprintf(path, sizeof(path), "/proc/%s/fd", d->d_name);
		*sink += (unsigned long)count_dir(path);
		procs++;
	}
	closedir(proc);
	return procs;
}

int main(int argc, char **argv)
{
	struct bench_args args;
	unsigned long sink = 0;
	double processes = 0, cpu0, t0;
	long n = 0, got;

	if (bench_args_parse(&args, argc, argv) != 0) {
		fprintf(stderr, "usage: minimal [--seconds S] [--min-samples N]\n");
		return 2;
	}
	if (sample(&sink) < 0) { /* warm-up, as every program gets one */
		perror("minimal: /proc");
		return 1;
	}
	cpu0 = bench_cpu_us();
	t0 = bench_wall_s();
	while (bench_more(&args, n, t0)) {
		got = sample(&sink);
		if (got < 0) {
			perror("minimal: /proc");
			return 1;
		}
		processes += (double)got;
		n++;
	}
	bench_print("minimal", n, processes, bench_cpu_us() - cpu0);
	return sink == 0; /* keep the reads from being optimised away */
}
