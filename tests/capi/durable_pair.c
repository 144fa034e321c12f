/*
 * The durable-operation protocol as a user meets it: a C program built with
 * pkg-config against the installed libpmem2.so and libminiasync.so.
 *   1. pmem2_map_delete() while a threads-mover operation of the map is
 *      running returns once the operation has ended (no hang).
 *   2. A user's mover that claims every capability (UINT_MAX) still gets
 *      libpmem2's persist step: on a PAGE map the future completes only
 *      after an msync of the range; a dropped, never-polled future never
 *      reached the mover (nothing allocated).
 *   3. An msync that fails on a worker, then pmem2_map_delete() before the
 *      poll: the future reports -EIO, not PMEM2_E_MAPPING_NOT_FOUND.
 * msync is interposed by this program to count and fail calls.
 * Usage: durable_pair DIR (a directory on a regular file system).
 */
#define _GNU_SOURCE
#define PMEM2_USE_MINIASYNC 1
#include <libminiasync.h>
#include <libpmem2.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define SIZE (1 << 20)
#define BOUND_S 20 /* no step may take longer: a hang fails */

static atomic_long msyncs;
static atomic_int msync_errno;

int msync(void *addr, size_t len, int flags)
{
	static int (*real)(void *, size_t, int);
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "msync");
	atomic_fetch_add(&msyncs, 1);
	int e = atomic_load(&msync_errno);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return real(addr, len, flags);
}

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct pmem2_map *map_file(const char *dir, const char *name, struct vdm *v, int *fdp)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, SIZE) != 0) {
		perror(path);
		exit(1);
	}
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map = NULL;
	if (pmem2_config_new(&cfg) || pmem2_source_from_fd(&src, fd) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    (v != NULL && pmem2_config_set_vdm(cfg, v)) || pmem2_map_new(&map, cfg, src)) {
		pmem2_perror("mapping %s", path);
		exit(1);
	}
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	*fdp = fd;
	return map;
}

/* Polls until complete, at most BOUND_S seconds. */
static int wait_result(struct pmem2_future *f)
{
	double end = now_s() + BOUND_S;
	while (future_poll(FUTURE_AS_RUNNABLE(f), NULL) != FUTURE_STATE_COMPLETE) {
		if (now_s() > end) {
			fprintf(stderr, "FAIL: a future did not complete in %d s\n", BOUND_S);
			exit(1);
		}
		sched_yield();
	}
	return FUTURE_OUTPUT(f)->result;
}

/* 1. A slow copy on the threads mover, and pmem2_map_delete meanwhile. */
static atomic_int copy_entered, copy_done;

static void *slow_memcpy(void *dst, const void *src, size_t n, unsigned flags)
{
	(void)flags;
	atomic_store(&copy_entered, 1);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	memcpy(dst, src, n);
	atomic_store(&copy_done, 1);
	return dst;
}

struct deleter {
	struct pmem2_map *map;
	int ret;
	atomic_int done;
	int copy_done_when_returned;
};

static void *delete_map(void *arg)
{
	struct deleter *d = arg;
	d->ret = pmem2_map_delete(&d->map);
	d->copy_done_when_returned = atomic_load(&copy_done);
	atomic_store(&d->done, 1);
	return NULL;
}

static void delete_while_running(const char *dir)
{
	struct data_mover_threads *dmt = data_mover_threads_new(1, 16, FUTURE_NOTIFIER_NONE);
	data_mover_threads_set_memcpy_fn(dmt, slow_memcpy);
	int fd;
	struct pmem2_map *map = map_file(dir, "delete.pmem", data_mover_threads_get_vdm(dmt), &fd);
	static char src[4096];
	memset(src, 'd', sizeof(src));
	struct pmem2_future f = pmem2_memcpy_async(map, pmem2_map_get_address(map), src,
		sizeof(src), 0);
	(void)future_poll(FUTURE_AS_RUNNABLE(&f), NULL); /* submitted */
	double end = now_s() + BOUND_S;
	while (!atomic_load(&copy_entered) && now_s() < end)
		sched_yield();
	CHECK(atomic_load(&copy_entered), "the worker never started the copy");

	struct deleter d = {map, -1, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, delete_map, &d);
	while (!atomic_load(&d.done) && now_s() < end + BOUND_S)
		sched_yield();
	if (!atomic_load(&d.done)) {
		fprintf(stderr, "FAIL: pmem2_map_delete hangs while an operation runs\n");
		exit(1);
	}
	pthread_join(t, NULL);
	CHECK(d.ret == 0, "pmem2_map_delete: %d", d.ret);
	CHECK(d.copy_done_when_returned, "pmem2_map_delete returned before the copy ended");
	CHECK(wait_result(&f) == 0, "the running operation failed");
	char got[4096];
	CHECK(pread(fd, got, sizeof(got), 0) == (ssize_t)sizeof(got) &&
		memcmp(got, src, sizeof(got)) == 0, "the copy is not in the file");
	close(fd);
	data_mover_threads_delete(dmt);
	printf("map delete waits for a running threads-mover operation, then returns\n");
}

/* 2. A user's mover claiming every capability. */
static atomic_int user_ops;

static void *user_op_new(struct vdm *v, const enum vdm_operation_type t)
{
	(void)v;
	(void)t;
	atomic_fetch_add(&user_ops, 1);
	return malloc(16); /* freed in op_delete */
}

static int user_op_start(void *data, const struct vdm_operation *op, struct future_notifier *n)
{
	(void)data;
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (op->type == VDM_OPERATION_MEMSET)
		memset(op->data.memset.str, op->data.memset.c, op->data.memset.n);
	else
		memmove(op->data.memcpy.dest, op->data.memcpy.src, op->data.memcpy.n);
	return 0;
}

static enum future_state user_op_check(void *data, const struct vdm_operation *op)
{
	(void)data;
	(void)op;
	return FUTURE_STATE_COMPLETE;
}

static void user_op_delete(void *data, const struct vdm_operation *op,
	struct vdm_operation_output *out)
{
	free(data);
	out->type = op->type;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
}

static void foreign_mover(const char *dir)
{
	struct vdm v = {user_op_new, user_op_delete, user_op_start, user_op_check,
		UINT_MAX, NULL};
	int fd;
	struct pmem2_map *map = map_file(dir, "foreign.pmem", &v, &fd);
	char *base = pmem2_map_get_address(map);
	static char src[8192];
	memset(src, 'f', sizeof(src));

	struct pmem2_future dropped = pmem2_memcpy_async(map, base, src, sizeof(src), 0);
	(void)dropped;
	CHECK(atomic_load(&user_ops) == 0, "a never-polled future reached the mover");

	long before = atomic_load(&msyncs);
	struct pmem2_future f = pmem2_memcpy_async(map, base, src, sizeof(src), 0);
	CHECK(wait_result(&f) == 0, "the copy failed");
	CHECK(atomic_load(&user_ops) == 1, "the mover ran %d operations", atomic_load(&user_ops));
	CHECK(atomic_load(&msyncs) > before,
		"a PAGE future of a mover with capabilities UINT_MAX completed without an msync");
	CHECK(memcmp(base, src, sizeof(src)) == 0, "the copy is not in the map");
	CHECK(pmem2_map_delete(&map) == 0, "delete");
	close(fd);
	printf("a mover with capabilities UINT_MAX gets the persist step (msync before completion)\n");
}

/* 3. A worker's msync fails, then the map is deleted before the poll. */
static atomic_int woken;

static void on_wake(void *data)
{
	(void)data;
	atomic_store(&woken, 1);
}

static void msync_failure_then_delete(const char *dir)
{
	struct data_mover_threads *dmt = data_mover_threads_new(1, 16, FUTURE_NOTIFIER_WAKER);
	int fd;
	struct pmem2_map *map = map_file(dir, "eio.pmem", data_mover_threads_get_vdm(dmt), &fd);
	static char src[4096];
	memset(src, 'e', sizeof(src));
	atomic_store(&msync_errno, EIO);
	struct pmem2_future f = pmem2_memcpy_async(map, pmem2_map_get_address(map), src,
		sizeof(src), 0);
	struct future_notifier n;
	memset(&n, 0, sizeof(n));
	n.waker.wake = on_wake;
	(void)future_poll(FUTURE_AS_RUNNABLE(&f), &n);
	double end = now_s() + BOUND_S;
	while (!atomic_load(&woken) && now_s() < end)
		sched_yield();
	atomic_store(&msync_errno, 0);
	CHECK(atomic_load(&woken), "the worker never finished");
	CHECK(pmem2_map_delete(&map) == 0, "delete");
	int r = wait_result(&f);
	CHECK(r == -EIO, "a failed worker msync followed by a delete reports %d, not -EIO", r);
	close(fd);
	data_mover_threads_delete(dmt);
	printf("a failed worker msync reports -EIO even when the map is deleted before the poll\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	delete_while_running(argv[1]);
	foreign_mover(argv[1]);
	msync_failure_then_delete(argv[1]);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("durable protocol: every check passed\n");
	return 0;
}
