/*
 * kernel_lab: loop shapes for the large synchronous kernels, measured in one
 * process beside our libpmem2 and PMDK's (loaded at run time), through the
 * side-by-side harness, so every candidate sees the same pages, the same
 * destinations and the same host at the same time. It answers "would another
 * loop shape be faster here, and how far is either library from what the
 * memory can do" (docs/PERFORMANCE.md, "The floor of the synchronous kernels").
 *
 * The candidates are plain AVX-512F loops over whole 64-byte lines (the
 * destination and the size are line multiples in every cell here), each
 * ending with SFENCE unless the flags say NODRAIN, as a CACHE_LINE call
 * does:
 *   nt_gN_pD    memcpy, streaming stores, N lines loaded before they are
 *               stored, a prefetch D bytes ahead (0: none)
 *   t_gN        memcpy, regular stores, N lines stored, then N CLWBs
 *   set_nt_gN   memset, streaming stores, N lines per iteration
 *   set_t_gN    memset, regular stores, N lines stored, then N CLWBs
 *   fence       one SFENCE and nothing else (the floor of a drained call)
 *   line_clwb   one 64-byte store, its CLWB and SFENCE (the floor of a
 *               small temporal durable store)
 *   line_nt     one 64-byte streaming store and SFENCE
 * (the last three write one line whatever the size: they run at 64 B only,
 * and only when named with -c)
 * "ours" and "pmdk" are the libraries' own functions for the same call.
 *
 * Output, one line per candidate, cell and round:
 *   <candidate> <round> <op> <flags> <size> <median ns>
 * usage: kernel_lab [-d dir] [-r rounds] [-t ms] [-s sizes] [-o memcpy|memset]
 *                   [-f 0|NODRAIN|TEMPORAL] [-c candidates]
 */
#define _GNU_SOURCE
#include "harness/sbs.h"

#include <immintrin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAP_BYTES ((size_t)64 << 20)
#define SRC_BYTES ((size_t)40 << 20)
#define AVX512 __attribute__((target("avx512f,clwb"), always_inline)) static inline
#define AVX512_FN __attribute__((target("avx512f,clwb"))) static

static void
drain(unsigned flags)
{
	if (!(flags & (PMEM2_F_MEM_NODRAIN | PMEM2_F_MEM_NOFLUSH)))
		_mm_sfence();
}

/* ---- streaming memcpy ------------------------------------------------------ */

AVX512 void
nt_copy(char *d, const char *s, size_t n, size_t group, size_t pf)
{
	__m512i v[32];
	while (n >= group * 64) {
		if (pf) {
			for (size_t i = 0; i < group; ++i)
				_mm_prefetch(s + pf + i * 64, _MM_HINT_NTA);
		}
		for (size_t i = 0; i < group; ++i)
			v[i] = _mm512_loadu_si512(s + i * 64);
		for (size_t i = 0; i < group; ++i)
			_mm512_stream_si512((__m512i *)(d + i * 64), v[i]);
		d += group * 64;
		s += group * 64;
		n -= group * 64;
	}
	while (n >= 64) {
		_mm512_stream_si512((__m512i *)d, _mm512_loadu_si512(s));
		d += 64;
		s += 64;
		n -= 64;
	}
}

#define NT(G, PF)                                                                      \
	AVX512_FN void *nt_g##G##_p##PF(void *d, const void *s, size_t n, unsigned flags) \
	{                                                                                  \
		nt_copy(d, s, n, G, PF);                                                   \
		drain(flags);                                                              \
		return d;                                                                  \
	}
NT(4, 0)
NT(4, 512)
NT(4, 1024)
NT(8, 0)
NT(8, 512)
NT(8, 1024)
NT(8, 2048)
NT(16, 0)
NT(16, 1024)
NT(16, 2048)
NT(32, 0)
NT(32, 2048)
NT(32, 4096)

/* ---- temporal memcpy ------------------------------------------------------- */

AVX512 void
t_copy(char *d, const char *s, size_t n, size_t group)
{
	__m512i v[32];
	while (n >= group * 64) {
		for (size_t i = 0; i < group; ++i)
			v[i] = _mm512_loadu_si512(s + i * 64);
		for (size_t i = 0; i < group; ++i)
			_mm512_storeu_si512(d + i * 64, v[i]);
		for (size_t i = 0; i < group; ++i)
			_mm_clwb(d + i * 64);
		d += group * 64;
		s += group * 64;
		n -= group * 64;
	}
	while (n >= 64) {
		_mm512_storeu_si512(d, _mm512_loadu_si512(s));
		_mm_clwb(d);
		d += 64;
		s += 64;
		n -= 64;
	}
}

#define TC(G)                                                                      \
	AVX512_FN void *t_g##G(void *d, const void *s, size_t n, unsigned flags)       \
	{                                                                              \
		t_copy(d, s, n, G);                                                    \
		drain(flags);                                                          \
		return d;                                                              \
	}
TC(4)
TC(8)
TC(16)
TC(32)

/* ---- memset ---------------------------------------------------------------- */

AVX512 void
set_lines(char *d, int c, size_t n, size_t group, int nt)
{
	const __m512i v = _mm512_set1_epi8((char)c);
	while (n >= group * 64) {
		for (size_t i = 0; i < group; ++i) {
			if (nt)
				_mm512_stream_si512((__m512i *)(d + i * 64), v);
			else
				_mm512_storeu_si512(d + i * 64, v);
		}
		if (!nt) {
			for (size_t i = 0; i < group; ++i)
				_mm_clwb(d + i * 64);
		}
		d += group * 64;
		n -= group * 64;
	}
	while (n >= 64) {
		if (nt) {
			_mm512_stream_si512((__m512i *)d, v);
		} else {
			_mm512_storeu_si512(d, v);
			_mm_clwb(d);
		}
		d += 64;
		n -= 64;
	}
}

#define SET(KIND, NTV, G)                                                          \
	AVX512_FN void *set_##KIND##_g##G(void *d, int c, size_t n, unsigned flags)    \
	{                                                                              \
		set_lines(d, c, n, G, NTV);                                            \
		drain(flags);                                                          \
		return d;                                                              \
	}
SET(nt, 1, 4)
SET(nt, 1, 8)
SET(nt, 1, 16)
SET(nt, 1, 32)
SET(t, 0, 1)
SET(t, 0, 4)
SET(t, 0, 8)
SET(t, 0, 16)
SET(t, 0, 32)

/* ---- floors ---------------------------------------------------------------- */

AVX512_FN void *
fence_only(void *d, const void *s, size_t n, unsigned flags)
{
	(void)s;
	(void)n;
	(void)flags;
	_mm_sfence();
	return d;
}

AVX512_FN void *
line_clwb(void *d, const void *s, size_t n, unsigned flags)
{
	(void)n;
	(void)flags;
	_mm512_storeu_si512(d, _mm512_loadu_si512(s));
	_mm_clwb(d);
	_mm_sfence();
	return d;
}

AVX512_FN void *
line_nt(void *d, const void *s, size_t n, unsigned flags)
{
	(void)n;
	(void)flags;
	_mm512_stream_si512((__m512i *)d, _mm512_loadu_si512(s));
	_mm_sfence();
	return d;
}

/* ---- the candidates -------------------------------------------------------- */

struct candidate {
	const char *name;
	enum sbs_op op;
	pmem2_memcpy_fn copy;
	pmem2_memset_fn set;
	int lib;	/* 1 ours, 2 PMDK: the library's own function */
	int one_line;	/* writes one line whatever the size: measured at 64 B only */
};

#define C(f) {.name = #f, .op = SBS_MEMCPY, .copy = f}
#define S(f) {.name = #f, .op = SBS_MEMSET, .set = f}
#define LIB(n, o, l) {.name = n, .op = o, .lib = l}
#define LINE(n, f) {.name = n, .op = SBS_MEMCPY, .copy = f, .one_line = 1}
static const struct candidate candidates[] = {
	LIB("ours", SBS_MEMCPY, 1), LIB("pmdk", SBS_MEMCPY, 2),
	LIB("ours", SBS_MEMSET, 1), LIB("pmdk", SBS_MEMSET, 2),
	C(nt_g4_p0), C(nt_g4_p512), C(nt_g4_p1024), C(nt_g8_p0), C(nt_g8_p512), C(nt_g8_p1024),
	C(nt_g8_p2048), C(nt_g16_p0), C(nt_g16_p1024), C(nt_g16_p2048), C(nt_g32_p0),
	C(nt_g32_p2048), C(nt_g32_p4096),
	C(t_g4), C(t_g8), C(t_g16), C(t_g32),
	LINE("fence", fence_only), LINE("line_clwb", line_clwb), LINE("line_nt", line_nt),
	S(set_nt_g4), S(set_nt_g8), S(set_nt_g16), S(set_nt_g32),
	S(set_t_g1), S(set_t_g4), S(set_t_g8), S(set_t_g16), S(set_t_g32),
};
#define N_CANDIDATES (sizeof(candidates) / sizeof(candidates[0]))

/* A shape that is fast because it writes the wrong bytes measures nothing:
 * each candidate's first call at each size is checked. */
static int
verify(const struct sbs_target *t, const struct candidate *c, const struct sbs_source *src, size_t size)
{
	if (size > t->len || size > src->len)
		return 0;
	memset(t->base, 0, size);
	if (c->op == SBS_MEMCPY) {
		t->memcpy_fn(t->base, src->buf, size, 0);
		if (memcmp(t->base, src->buf, size) == 0)
			return 0;
	} else {
		t->memset_fn(t->base, 0xa7, size, 0);
		size_t i = 0;
		while (i < size && (unsigned char)t->base[i] == 0xa7)
			++i;
		if (i == size)
			return 0;
	}
	fprintf(stderr, "kernel_lab: %s %s %zu wrote the wrong bytes\n", c->name, sbs_op_names[c->op], size);
	return -1;
}

static unsigned
parse_flags(const char *name)
{
	for (size_t i = 0; i < sbs_n_flags; ++i)
		if (strcmp(sbs_flags[i].name, name) == 0)
			return sbs_flags[i].flags;
	fprintf(stderr, "kernel_lab: unknown flags %s\n", name);
	exit(2);
}

static int
map_file(const char *dir, const struct sbs_api *api, struct sbs_map *m, int *fd_out)
{
	char path[4096], why[1024];
	snprintf(path, sizeof(path), "%s/kernel_lab.%d", dir, (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)MAP_BYTES) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	unlink(path);
	if (sbs_map_open(m, api, fd, PMEM2_GRANULARITY_CACHE_LINE, why, sizeof(why)) != 0) {
		fprintf(stderr, "mapping: %s\n", why);
		return -1;
	}
	*fd_out = fd;
	sbs_prefault(&m->target);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = "/dev/shm", *sizes = "65536,1048576,16777216", *ops = "memcpy",
		   *flags_name = "0", *names = NULL;
	int rounds = 5, opt;
	double budget_ms = 20;
	while ((opt = getopt(argc, argv, "d:r:t:s:o:f:c:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		case 't': budget_ms = atof(optarg); break;
		case 's': sizes = optarg; break;
		case 'o': ops = optarg; break;
		case 'f': flags_name = optarg; break;
		case 'c': names = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-d dir] [-r rounds] [-t ms] [-s sizes] [-o ops] [-f flags] [-c candidates]\n",
				argv[0]);
			return 2;
		}
	}
	if (!__builtin_cpu_supports("avx512f")) {
		fprintf(stderr, "kernel_lab: this CPU has no AVX-512F\n");
		return 77;
	}
	const unsigned flags = parse_flags(flags_name);

	struct sbs_api ours_api;
	sbs_api_linked(&ours_api);
	struct sbs_map ours;
	int ours_fd;
	if (map_file(dir, &ours_api, &ours, &ours_fd) != 0)
		return 1;
	struct sbs_lib pmdk_lib;
	struct sbs_map pmdk;
	int pmdk_fd = -1, have_pmdk = 0;
	char why[8192] = "";
	if (sbs_find_pmdk(&pmdk_lib, NULL, why, sizeof(why)) == 0 && map_file(dir, &pmdk_lib.api, &pmdk, &pmdk_fd) == 0)
		have_pmdk = 1;
	else
		fprintf(stderr, "kernel_lab: no PMDK row: %s\n", why);

	char *buf;
	if (posix_memalign((void **)&buf, 4096, SRC_BYTES) != 0)
		return 1;
	memset(buf, 0x5a, SRC_BYTES);
	const struct sbs_source src = {buf, SRC_BYTES, 0};
	const struct sbs_limits lim = {budget_ms * 1e6, 15, 301};

	size_t size_list[32], nsizes = 0;
	for (const char *p = sizes; *p && nsizes < 32;) {
		char *e;
		size_list[nsizes++] = strtoull(p, &e, 0);
		if (*e != ',')
			break;
		p = e + 1;
	}

	for (int r = 1; r <= rounds; ++r) {
		for (size_t si = 0; si < nsizes; ++si) {
			/* Each round starts at another candidate, so none is always
			 * measured right after the same neighbour. */
			for (size_t k = 0; k < N_CANDIDATES; ++k) {
				const struct candidate *c = &candidates[(k + (size_t)r * 7) % N_CANDIDATES];
				if (!sbs_in_list(ops, sbs_op_names[c->op]) || !sbs_in_list(names, c->name))
					continue;
				if ((c->lib == 2 && !have_pmdk) || (c->one_line && (size_list[si] != 64 || names == NULL)))
					continue;
				struct sbs_target t = c->lib == 2 ? pmdk.target : ours.target;
				if (c->lib == 0) {
					t.memcpy_fn = c->copy;
					t.memset_fn = c->set;
				}
				if (r == 1 && !c->one_line && verify(&t, c, &src, size_list[si]) != 0)
					return 1;
				struct sbs_samples s = {0};
				if (sbs_measure(&t, &src, c->op, flags, size_list[si], &lim, &s) != 0) {
					fprintf(stderr, "%s %zu: cannot be measured\n", c->name, size_list[si]);
					return 1;
				}
				printf("%s %d %s %s %zu %.2f\n", c->name, r, sbs_op_names[c->op], flags_name,
					size_list[si], sbs_median(&s));
				fflush(stdout);
				sbs_samples_free(&s);
			}
		}
	}
	sbs_map_close(&ours);
	close(ours_fd);
	if (have_pmdk) {
		sbs_map_close(&pmdk);
		close(pmdk_fd);
		sbs_lib_close(&pmdk_lib);
	}
	free(buf);
	return 0;
}
