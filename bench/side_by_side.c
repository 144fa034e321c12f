/*
 * side_by_side: the synchronous libpmem2 benchmark that bench/compare.sh
 * builds twice from this one file, against PMDK's libpmem2 (with PMDK's
 * headers) and against ours, and runs alternately. It maps and measures
 * through the side-by-side harness (harness/sbs.h, compiled in with the
 * same headers), as `pmem2 bench` does.
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
#include "harness/sbs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAP_BYTES ((size_t)64 << 20)
#define SRC_BYTES ((size_t)40 << 20)
#define MAX_BATCHES 301
#define MIN_BATCHES 15

static const size_t default_sizes[] = {
	64, 256, 1024, 4096, 16384, 65536, 262144,
	1 << 20, 4 << 20, 16 << 20,
};
#define N_DEFAULT_SIZES (sizeof(default_sizes) / sizeof(default_sizes[0]))

/* Measures one cell and, when `report`, prints its line. */
static int
cell(const struct sbs_target *t, const struct sbs_source *src, const char *gran, enum sbs_op op,
	const struct sbs_flag *f, size_t size, double budget_ns, int report)
{
	const struct sbs_limits lim = {budget_ns, MIN_BATCHES, MAX_BATCHES};
	struct sbs_samples s = {0};
	if (sbs_measure(t, src, op, f->flags, size, &lim, &s) != 0) {
		fprintf(stderr, "%s %s %zu: cannot be measured\n", sbs_op_names[op], f->name, size);
		sbs_samples_free(&s);
		return -1;
	}
	double med = sbs_median(&s);
	if (report) {
		printf("%s %s %s %zu %.2f %zu\n", gran, sbs_op_names[op], f->name, size, med, s.n);
		fflush(stdout);
	}
	sbs_samples_free(&s);
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

	struct sbs_api api;
	sbs_api_linked(&api);
	struct sbs_map map;
	char why[1024];
	if (sbs_map_open(&map, &api, fd, PMEM2_GRANULARITY_PAGE, why, sizeof(why)) != 0) {
		fprintf(stderr, "mapping %s: %s\n", path, why);
		return 1;
	}

	struct sbs_source src = {NULL, SRC_BYTES, src_shift};
	char *buf;
	if (posix_memalign((void **)&buf, 4096, SRC_BYTES) != 0)
		return 1;
	memset(buf, 0x5a, SRC_BYTES);
	src.buf = buf;
	sbs_prefault(&map.target);
	const char *gran = sbs_granularity_name(api.map_get_store_granularity(map.map));

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

	int warmed_up = 0, rc = 0;
	for (int op = SBS_MEMCPY; op <= SBS_PERSIST && rc == 0; ++op) {
		if (!sbs_in_list(ops, sbs_op_names[op]))
			continue;
		for (size_t fi = 0; fi < sbs_n_flags && rc == 0; ++fi) {
			/* persist takes no flags. */
			if (op == SBS_PERSIST && fi != 0)
				continue;
			if (op != SBS_PERSIST && !sbs_in_list(flags, sbs_flags[fi].name))
				continue;
			for (size_t si = 0; si < nsizes && rc == 0; ++si) {
				/*
				 * The first cell of a process runs right after
				 * the setup's 100 MiB of memset and measured up
				 * to 20% off its steady state, in either
				 * direction and for either library: it runs
				 * once unreported first.
				 */
				if (!warmed_up) {
					rc = cell(&map.target, &src, gran, (enum sbs_op)op, &sbs_flags[fi],
						size_list[si], budget_ms * 1e6, 0);
					warmed_up = 1;
				}
				if (rc == 0)
					rc = cell(&map.target, &src, gran, (enum sbs_op)op, &sbs_flags[fi],
						size_list[si], budget_ms * 1e6, 1);
			}
		}
	}

	sbs_map_close(&map);
	close(fd);
	free(buf);
	return rc == 0 ? 0 : 1;
}
