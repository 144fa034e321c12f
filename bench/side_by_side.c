/*
 * side_by_side: the synchronous libpmem2 benchmark that bench/compare.sh
 * builds twice from this one file, against PMDK's libpmem2 (with PMDK's
 * headers) and against ours, and runs alternately.
 *
 * Uses only the public C API that both libraries share. Maps a scratch file
 * (default in /dev/shm); the store granularity is whatever the library
 * picks, normally forced with PMEM2_FORCE_GRANULARITY. For every operation,
 * flag set and size it reports the median time of one call over many timed
 * batches, one line each:
 *
 *   <granularity> <op> <flags> <size> <median ns> <batches>
 *
 * usage: side_by_side [-d dir] [-o op[,op...]] [-f flag[,flag...]]
 *                     [-s size[,size...]] [-t ms per cell] [-a src shift]
 * The memcpy source sits at the destination's offset plus the shift
 * (default 0: source and destination share their low 12 address bits).
 * ops: memcpy memmove memset persist; flags: 0 NODRAIN NONTEMPORAL
 * TEMPORAL NOFLUSH WC WB NT_NODRAIN T_NODRAIN.
 */
#define _GNU_SOURCE
#include <libpmem2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAP_BYTES ((size_t)64 << 20)
#define SRC_BYTES ((size_t)40 << 20)
#define MAX_BATCHES 301
#define MIN_BATCHES 15
#define BATCH_NS 40000.0	/* small sizes: calls per batch to fill this */

struct flag_name {
	const char *name;
	unsigned flags;
};

static const struct flag_name all_flags[] = {
	{"0", 0},
	{"NODRAIN", PMEM2_F_MEM_NODRAIN},
	{"NONTEMPORAL", PMEM2_F_MEM_NONTEMPORAL},
	{"TEMPORAL", PMEM2_F_MEM_TEMPORAL},
	{"NOFLUSH", PMEM2_F_MEM_NOFLUSH},
	{"WC", PMEM2_F_MEM_WC},
	{"WB", PMEM2_F_MEM_WB},
	{"NT_NODRAIN", PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_NODRAIN},
	{"T_NODRAIN", PMEM2_F_MEM_TEMPORAL | PMEM2_F_MEM_NODRAIN},
};
#define N_FLAGS (sizeof(all_flags) / sizeof(all_flags[0]))

static const size_t default_sizes[] = {
	64, 256, 1024, 4096, 16384, 65536, 262144,
	1 << 20, 4 << 20, 16 << 20,
};
#define N_DEFAULT_SIZES (sizeof(default_sizes) / sizeof(default_sizes[0]))

enum op { OP_MEMCPY, OP_MEMMOVE, OP_MEMSET, OP_PERSIST };
static const char *op_names[] = {"memcpy", "memmove", "memset", "persist"};

struct ctx {
	char *pmem;
	char *src;
	size_t src_shift;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_memmove_fn memmove_fn;
	pmem2_memset_fn memset_fn;
	pmem2_persist_fn persist_fn;
};

static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * Destinations advance through a window, each call starting where the
 * previous one's size rounded up to a cache line ends, as appends to a log
 * do, so small operations do not hit the same lines every call; the window
 * is twice the size, at least 1 MiB (cache resident for small sizes), at
 * most the map. (Stepping by whole pages instead put every small call's
 * lines in one L1 set and let the L2 hit rate depend on which physical
 * pages a process got: the same cell then differed by up to 2x from one
 * process to the next.)
 */
struct rotation {
	size_t stride, window, off;
};

static struct rotation
rotation_for(size_t size)
{
	struct rotation r;
	r.stride = (size + 63) & ~(size_t)63;
	r.window = 2 * r.stride;
	if (r.window < ((size_t)1 << 20))
		r.window = (size_t)1 << 20;
	if (r.window > SRC_BYTES - 4096)
		r.window = SRC_BYTES - 4096;
	r.off = 0;
	return r;
}

static void
run_calls(struct ctx *c, enum op op, unsigned flags, size_t size,
	struct rotation *r, unsigned long calls)
{
	for (unsigned long i = 0; i < calls; ++i) {
		char *d = c->pmem + r->off;
		switch (op) {
		case OP_MEMCPY:
			c->memcpy_fn(d, c->src + c->src_shift + r->off, size, flags);
			break;
		case OP_MEMMOVE:
			/* Overlapping, destination above source: backward copy. */
			c->memmove_fn(d + 64, d, size, flags);
			break;
		case OP_MEMSET:
			c->memset_fn(d, (int)(i & 0xff), size, flags);
			break;
		case OP_PERSIST:
			c->persist_fn(d, size);
			break;
		}
		r->off += r->stride;
		if (r->off + r->stride + 4096 > r->window)
			r->off = 0;
	}
}

static void
measure(struct ctx *c, const char *gran, enum op op, const struct flag_name *f,
	size_t size, double budget_ns, int report)
{
	static double samples[MAX_BATCHES];
	struct rotation r = rotation_for(size);

	/* Warm up and calibrate: calls per batch so a batch lasts BATCH_NS. */
	double t0 = now_ns();
	run_calls(c, op, f->flags, size, &r, 4);
	double one = (now_ns() - t0) / 4;
	unsigned long calls = one >= BATCH_NS ? 1 : (unsigned long)(BATCH_NS / (one > 1 ? one : 1));
	if (calls < 1)
		calls = 1;
	run_calls(c, op, f->flags, size, &r, calls);

	int n = 0;
	double start = now_ns();
	while (n < MAX_BATCHES) {
		double b = now_ns();
		run_calls(c, op, f->flags, size, &r, calls);
		double e = now_ns();
		samples[n++] = (e - b) / (double)calls;
		if (n >= MIN_BATCHES && e - start > budget_ns)
			break;
	}
	qsort(samples, (size_t)n, sizeof(samples[0]), cmp_double);
	double med = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
	if (!report)
		return;
	printf("%s %s %s %zu %.2f %d\n", gran, op_names[op], f->name, size, med, n);
	fflush(stdout);
}

static const char *
gran_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	case PMEM2_GRANULARITY_PAGE: return "PAGE";
	}
	return "?";
}

static int
in_list(const char *list, const char *name)
{
	if (list == NULL)
		return 1;
	size_t len = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == len && strncmp(p, name, l) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = "/dev/shm", *ops = NULL, *flags = NULL, *sizes = NULL;
	double budget_ms = 20;
	size_t src_shift = 0;
	int opt;

	while ((opt = getopt(argc, argv, "d:o:f:s:t:a:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'o': ops = optarg; break;
		case 'f': flags = optarg; break;
		case 's': sizes = optarg; break;
		case 't': budget_ms = atof(optarg); break;
		case 'a': src_shift = strtoull(optarg, NULL, 0) % 4096; break;
		default:
			fprintf(stderr, "usage: %s [-d dir] [-o ops] [-f flags] [-s sizes] [-t ms] [-a shift]\n",
				argv[0]);
			return 2;
		}
	}

	char path[4096];
	snprintf(path, sizeof(path), "%s/side_by_side.%d", dir, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)MAP_BYTES) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	unlink(path);

	struct pmem2_config *cfg;
	struct pmem2_source *source;
	struct pmem2_map *map;
	if (pmem2_config_new(&cfg) || pmem2_source_from_fd(&source, fd) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_map_new(&map, cfg, source)) {
		pmem2_perror("mapping %s", path);
		return 1;
	}

	struct ctx c;
	c.pmem = pmem2_map_get_address(map);
	c.memcpy_fn = pmem2_get_memcpy_fn(map);
	c.memmove_fn = pmem2_get_memmove_fn(map);
	c.memset_fn = pmem2_get_memset_fn(map);
	c.persist_fn = pmem2_get_persist_fn(map);
	c.src_shift = src_shift;
	if (posix_memalign((void **)&c.src, 4096, SRC_BYTES) != 0)
		return 1;
	memset(c.src, 0x5a, SRC_BYTES);
	memset(c.pmem, 0, MAP_BYTES);	/* fault every page in */
	const char *gran = gran_name(pmem2_map_get_store_granularity(map));

	size_t size_list[64];
	size_t nsizes = 0;
	if (sizes) {
		for (char *p = (char *)sizes; *p && nsizes < 64;) {
			char *e;
			size_list[nsizes++] = strtoull(p, &e, 0);
			p = *e == ',' ? e + 1 : e;
			if (e == p && *e != ',')
				break;
		}
	} else {
		memcpy(size_list, default_sizes, sizeof(default_sizes));
		nsizes = N_DEFAULT_SIZES;
	}

	int warmed_up = 0;
	for (int op = OP_MEMCPY; op <= OP_PERSIST; ++op) {
		if (!in_list(ops, op_names[op]))
			continue;
		for (size_t fi = 0; fi < N_FLAGS; ++fi) {
			/* persist takes no flags. */
			if (op == OP_PERSIST && fi != 0)
				continue;
			if (op != OP_PERSIST && !in_list(flags, all_flags[fi].name))
				continue;
			for (size_t si = 0; si < nsizes; ++si) {
				/*
				 * The first cell of a process runs right after
				 * the setup's 100 MiB of memset and measured up
				 * to 20% off its steady state, in either
				 * direction and for either library: it runs
				 * once unreported first.
				 */
				if (!warmed_up) {
					measure(&c, gran, (enum op)op, &all_flags[fi],
						size_list[si], budget_ms * 1e6, 0);
					warmed_up = 1;
				}
				measure(&c, gran, (enum op)op, &all_flags[fi], size_list[si],
					budget_ms * 1e6, 1);
			}
		}
	}

	pmem2_map_delete(&map);
	pmem2_source_delete(&source);
	pmem2_config_delete(&cfg);
	close(fd);
	free(c.src);
	return 0;
}
