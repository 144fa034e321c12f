/*
 * Bursts of small copies on one threads mover from several threads at
 * once, as a log whose threads each start vdm_memcpy futures and poll
 * them: round times (all threads start together at a barrier; a round
 * ends when the thread's whole burst is complete), as percentiles.
 * usage: bench_burst [threads (2)] [rounds (1000)] [burst (128)] [bytes (64)]
 */
#define _GNU_SOURCE
#include <libminiasync.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int nthreads = 2, nrounds = 1000, burst = 128;
static size_t bytes = 64;
static struct vdm *mover;
static pthread_barrier_t start;
static double *times; /* [thread][round] seconds */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *submitter(void *arg)
{
	int t = (int)(size_t)arg;
	char *src = malloc(bytes * (size_t)burst), *dst = malloc(bytes * (size_t)burst);
	struct vdm_operation_future *f = malloc(sizeof(*f) * (size_t)burst);
	memset(src, 'b', bytes * (size_t)burst);
	for (int r = 0; r < nrounds; r++) {
		pthread_barrier_wait(&start);
		double t0 = now_s();
		for (int i = 0; i < burst; i++)
			f[i] = vdm_memcpy(mover, dst + bytes * (size_t)i, src + bytes * (size_t)i, bytes, 0);
		for (int left = burst; left > 0;) {
			left = 0;
			for (int i = 0; i < burst; i++)
				if (future_poll(FUTURE_AS_RUNNABLE(&f[i]), NULL) != FUTURE_STATE_COMPLETE)
					left++;
		}
		times[(size_t)t * (size_t)nrounds + (size_t)r] = now_s() - t0;
	}
	free(f);
	free(dst);
	free(src);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc > 1) nthreads = atoi(argv[1]);
	if (argc > 2) nrounds = atoi(argv[2]);
	if (argc > 3) burst = atoi(argv[3]);
	if (argc > 4) bytes = (size_t)atol(argv[4]);
	struct data_mover_threads *dmt = data_mover_threads_default();
	mover = data_mover_threads_get_vdm(dmt);
	times = calloc((size_t)nthreads * (size_t)nrounds, sizeof(*times));
	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	pthread_t *ts = malloc(sizeof(*ts) * (size_t)nthreads);
	double t0 = now_s();
	for (int t = 0; t < nthreads; t++)
		pthread_create(&ts[t], NULL, submitter, (void *)(size_t)t);
	for (int t = 0; t < nthreads; t++)
		pthread_join(ts[t], NULL);
	double total = now_s() - t0;
	size_t n = (size_t)nthreads * (size_t)nrounds;
	qsort(times, n, sizeof(*times), cmp);
	size_t slow = 0;
	for (size_t i = 0; i < n; i++)
		slow += times[i] > 0.1;
	printf("threads %d, rounds %d, burst %d x %zu B: total %.3f s; round p50 %.1f us, "
		"p90 %.1f us, p99 %.1f us, max %.1f us; rounds over 100 ms: %zu\n",
		nthreads, nrounds, burst, bytes, total, times[n / 2] * 1e6, times[n * 9 / 10] * 1e6,
		times[n * 99 / 100] * 1e6, times[n - 1] * 1e6, slow);
	data_mover_threads_delete(dmt);
	free(ts);
	free(times);
	return 0;
}
