/*
 * The side-by-side harness (sbs.h): a library's C API as a table, loading
 * PMDK's libpmem2 at run time, mapping a file, and timing the synchronous
 * functions in calibrated batches.
 */
#define _GNU_SOURCE
#include "sbs.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- a library ------------------------------------------------------------ */

void
sbs_api_linked(struct sbs_api *api)
{
	api->config_new = pmem2_config_new;
	api->config_delete = pmem2_config_delete;
	api->config_set_required_store_granularity = pmem2_config_set_required_store_granularity;
	api->source_from_fd = pmem2_source_from_fd;
	api->source_delete = pmem2_source_delete;
	api->map_new = pmem2_map_new;
	api->map_delete = pmem2_map_delete;
	api->map_get_address = pmem2_map_get_address;
	api->map_get_size = pmem2_map_get_size;
	api->map_get_store_granularity = pmem2_map_get_store_granularity;
	api->get_memcpy_fn = pmem2_get_memcpy_fn;
	api->get_memmove_fn = pmem2_get_memmove_fn;
	api->get_memset_fn = pmem2_get_memset_fn;
	api->get_persist_fn = pmem2_get_persist_fn;
	api->errormsg = pmem2_errormsg;
}

/* Appends to a message buffer, "; " before every part but the first. */
static void
append(char *buf, size_t len, int separate, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	if (separate && used > 0) {
		snprintf(buf + used, len - used, "; ");
		used = strnlen(buf, len);
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void
real_path(const char *p, char *out)
{
	char buf[PATH_MAX];
	snprintf(out, SBS_PATH_MAX, "%s", realpath(p, buf) ? buf : p);
}

/* The sanitizer runtimes refuse RTLD_DEEPBIND; without it the library
 * still binds to itself as long as the program exports no pmem2_* of its
 * own (the pmem2 tool links ours statically and exports nothing). */
#ifdef PMEM2_SANITIZE_BUILD
#define SBS_DLOPEN_BIND 0
#else
#define SBS_DLOPEN_BIND RTLD_DEEPBIND
#endif

/* PMDK's libraries carry "src version: X.Y.Z" (its SRCVERSION); ours does not. */
static void
pmdk_version(const char *file, char *out, size_t len)
{
	out[0] = '\0';
	FILE *f = fopen(file, "rb");
	if (!f)
		return;
	static const char tag[] = "src version: ";
	const size_t tlen = sizeof(tag) - 1;
	char buf[65536 + 128];
	size_t keep = 0, n;
	while ((n = fread(buf + keep, 1, sizeof(buf) - keep - 1, f)) > 0) {
		size_t have = keep + n;
		char *at = memmem(buf, have, tag, tlen);
		if (at) {
			size_t i = (size_t)(at - buf) + tlen, o = 0;
			/* the version may straddle the end of the buffer */
			if (have - i < 64 && !feof(f)) {
				memmove(buf, at, have - (size_t)(at - buf));
				have -= (size_t)(at - buf);
				have += fread(buf + have, 1, sizeof(buf) - have - 1, f);
				i = tlen;
			}
			while (i < have && o + 1 < len && buf[i] >= 0x21 && buf[i] <= 0x7e)
				out[o++] = buf[i++];
			out[o] = '\0';
			break;
		}
		/* a tag across two reads: keep the tail */
		keep = have < tlen ? have : tlen;
		memmove(buf, buf + have - keep, keep);
	}
	fclose(f);
}

struct symbol {
	const char *name;
	size_t offset;
	int required;
};

#define SYM(field, req) {"pmem2_" #field, offsetof(struct sbs_api, field), req}
static const struct symbol symbols[] = {
	SYM(config_new, 1),
	SYM(config_delete, 1),
	SYM(config_set_required_store_granularity, 1),
	SYM(source_from_fd, 1),
	SYM(source_delete, 1),
	SYM(map_new, 1),
	SYM(map_delete, 1),
	SYM(map_get_address, 1),
	SYM(map_get_size, 1),
	SYM(map_get_store_granularity, 1),
	SYM(get_memcpy_fn, 1),
	SYM(get_memmove_fn, 0),
	SYM(get_memset_fn, 1),
	SYM(get_persist_fn, 1),
	SYM(errormsg, 1),
};
#undef SYM

void
sbs_lib_close(struct sbs_lib *lib)
{
	if (lib->handle)
		dlclose(lib->handle);
	lib->handle = NULL;
}

/* Opens `name` and checks that it is PMDK's libpmem2; -1 and `why` if not. */
static int
open_pmdk(struct sbs_lib *lib, const char *name, char *why, size_t whylen)
{
	memset(lib, 0, sizeof(*lib));
	dlerror();
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL | SBS_DLOPEN_BIND);
	if (!h) {
		const char *e = dlerror();
		if (e)
			append(why, whylen, 1, "%s", e);
		else
			append(why, whylen, 1, "%s: cannot be loaded", name);
		return -1;
	}
	lib->handle = h;
	struct link_map *lm = NULL;
	snprintf(lib->path, sizeof(lib->path), "%s",
		dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name ? lm->l_name : name);
	real_path(lib->path, lib->file);

	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); ++i) {
		void *p = dlsym(h, symbols[i].name);
		if (!p && symbols[i].required) {
			append(why, whylen, 1, "%s: no symbol %s (not a libpmem2)", lib->path, symbols[i].name);
			sbs_lib_close(lib);
			return -1;
		}
		memcpy((char *)&lib->api + symbols[i].offset, &p, sizeof(p));
	}

	/* The functions must come from the library just opened, a separate
	 * object: not this program's own libpmem2. */
	Dl_info self, theirs;
	char theirs_file[SBS_PATH_MAX];
	void *map_new;
	memcpy(&map_new, &lib->api.map_new, sizeof(map_new));
	if (!dladdr((void *)&sbs_find_pmdk, &self) || !dladdr(map_new, &theirs) || !theirs.dli_fname ||
	    self.dli_fbase == theirs.dli_fbase ||
	    (real_path(theirs.dli_fname, theirs_file), strcmp(theirs_file, lib->file) != 0)) {
		append(why, whylen, 1,
			"%s: its functions resolve outside the library (this program's own libpmem2?)", lib->path);
		sbs_lib_close(lib);
		return -1;
	}
	pmdk_version(lib->file, lib->version, sizeof(lib->version));
	if (lib->version[0] == '\0') {
		append(why, whylen, 1,
			"%s: not PMDK's libpmem2 (no PMDK version string; this project's libpmem2?)", lib->path);
		sbs_lib_close(lib);
		return -1;
	}
	return 0;
}

int
sbs_find_pmdk(struct sbs_lib *lib, const char *requested, char *why, size_t whylen)
{
	static const char *const defaults[] = {
		"libpmem2.so.1", "/usr/lib/x86_64-linux-gnu/libpmem2.so.1", "/usr/lib64/libpmem2.so.1",
		"/usr/local/lib/libpmem2.so.1", "/usr/local/lib64/libpmem2.so.1", "/usr/lib/libpmem2.so.1",
	};
	const char *const *names = requested ? &requested : defaults;
	size_t n = requested ? 1 : sizeof(defaults) / sizeof(defaults[0]);
	/* real paths already rejected: each candidate and what the linker picked */
	char tried[2 * sizeof(defaults) / sizeof(defaults[0])][SBS_PATH_MAX];
	size_t ntried = 0;

	why[0] = '\0';
	for (size_t i = 0; i < n; ++i) {
		const char *name = names[i];
		char real[SBS_PATH_MAX];
		real_path(name, real);
		if (!requested && i > 0) {
			if (access(name, F_OK) != 0)
				continue;
			int seen = 0;
			for (size_t k = 0; k < ntried; ++k)
				seen |= strcmp(tried[k], real) == 0;
			if (seen)
				continue;
		}
		if (open_pmdk(lib, name, why, whylen) == 0) {
			why[0] = '\0';
			return 0;
		}
		if (ntried < sizeof(tried) / sizeof(tried[0]))
			snprintf(tried[ntried++], SBS_PATH_MAX, "%s", real);
		if (!strchr(name, '/')) {
			/* Which file the dynamic linker picked, to skip it below. */
			void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
			if (h) {
				struct link_map *lm = NULL;
				if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name &&
				    ntried < sizeof(tried) / sizeof(tried[0]))
					real_path(lm->l_name, tried[ntried++]);
				dlclose(h);
			}
		}
	}
	if (why[0] == '\0')
		snprintf(why, whylen, "libpmem2.so.1 not in the system library paths");
	return -1;
}

/* ---- a map ------------------------------------------------------------------ */

void
sbs_target_of(struct sbs_target *t, const struct sbs_api *api, struct pmem2_map *map)
{
	t->base = api->map_get_address(map);
	t->len = api->map_get_size(map);
	t->memcpy_fn = api->get_memcpy_fn(map);
	t->memmove_fn = api->get_memmove_fn ? api->get_memmove_fn(map) : NULL;
	t->memset_fn = api->get_memset_fn(map);
	t->persist_fn = api->get_persist_fn(map);
}

void
sbs_map_close(struct sbs_map *m)
{
	if (m->map)
		m->api->map_delete(&m->map);
	if (m->src)
		m->api->source_delete(&m->src);
	if (m->cfg)
		m->api->config_delete(&m->cfg);
}

int
sbs_map_open(struct sbs_map *m, const struct sbs_api *api, int fd,
	enum pmem2_granularity required, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	m->api = api;
	const char *failed = NULL;
	if (api->config_new(&m->cfg) != 0)
		failed = "pmem2_config_new";
	else if (api->config_set_required_store_granularity(m->cfg, required) != 0)
		failed = "pmem2_config_set_required_store_granularity";
	else if (api->source_from_fd(&m->src, fd) != 0)
		failed = "pmem2_source_from_fd";
	else if (api->map_new(&m->map, m->cfg, m->src) != 0)
		failed = "pmem2_map_new";
	if (failed) {
		snprintf(why, whylen, "%s: %s", failed, api->errormsg());
		sbs_map_close(m);
		return -1;
	}
	sbs_target_of(&m->target, api, m->map);
	return 0;
}

const char *
sbs_granularity_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	case PMEM2_GRANULARITY_PAGE: return "PAGE";
	}
	return "?";
}

void
sbs_prefault(const struct sbs_target *t)
{
	memset(t->base, 0, t->len);
	t->persist_fn(t->base, t->len);
}

/* ---- measuring -------------------------------------------------------------- */

const char *const sbs_op_names[SBS_N_OPS] = {"memcpy", "memmove", "memset", "persist"};

const struct sbs_flag sbs_flags[] = {
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
const size_t sbs_n_flags = sizeof(sbs_flags) / sizeof(sbs_flags[0]);

#define BATCH_NS 40000.0	/* small sizes: calls per batch to fill this */
#define WINDOW_MIN ((size_t)1 << 20)
#define SLACK 4096		/* room past the window: memmove's 64 bytes, the shift */

static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Destinations advance through a window (sbs_measure). Stepping by whole
 * pages instead put every small call's lines in one L1 set and let the L2
 * hit rate depend on which physical pages a process got: the same cell
 * then differed by up to 2x from one process to the next.
 */
struct rotation {
	size_t stride, window, off;
};

static struct rotation
rotation_for(size_t size, size_t limit)
{
	struct rotation r;
	r.stride = (size + 63) & ~(size_t)63;
	r.window = 2 * r.stride;
	if (r.window < WINDOW_MIN)
		r.window = WINDOW_MIN;
	if (r.window > limit - SLACK)
		r.window = limit - SLACK;
	r.off = 0;
	return r;
}

static void
run_calls(const struct sbs_target *t, const struct sbs_source *s, enum sbs_op op, unsigned flags,
	size_t size, struct rotation *r, unsigned long calls)
{
	for (unsigned long i = 0; i < calls; ++i) {
		char *d = t->base + r->off;
		switch (op) {
		case SBS_MEMCPY:
			t->memcpy_fn(d, s->buf + s->shift + r->off, size, flags);
			break;
		case SBS_MEMMOVE:
			/* Overlapping, destination above source: backward copy. */
			t->memmove_fn(d + 64, d, size, flags);
			break;
		case SBS_MEMSET:
			t->memset_fn(d, (int)(i & 0xff), size, flags);
			break;
		case SBS_PERSIST:
		case SBS_N_OPS:
			t->persist_fn(d, size);
			break;
		}
		r->off += r->stride;
		if (r->off + r->stride + SLACK > r->window)
			r->off = 0;
	}
}

static int
push(struct sbs_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 512;
		double *p = realloc(s->ns, cap * sizeof(*p));
		if (!p)
			return -1;
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->n++] = v;
	return 0;
}

int
sbs_measure(const struct sbs_target *t, const struct sbs_source *src, enum sbs_op op,
	unsigned flags, size_t size, const struct sbs_limits *lim, struct sbs_samples *out)
{
	/* The first call of a window is at its start; every later one ends
	 * SLACK short of the window's end, and the window SLACK short of
	 * the target and the source. */
	size_t limit = t->len < src->len ? t->len : src->len;
	if (limit <= SLACK || size == 0 || size > t->len || src->shift >= SLACK ||
	    (op == SBS_MEMCPY && size + src->shift > src->len) ||
	    (op == SBS_MEMMOVE && (!t->memmove_fn || size + 64 > t->len)))
		return -1;
	struct rotation r = rotation_for(size, limit);

	/* Warm up and calibrate: calls per batch so a batch lasts BATCH_NS. */
	double t0 = now_ns();
	run_calls(t, src, op, flags, size, &r, 4);
	double one = (now_ns() - t0) / 4;
	unsigned long calls = one >= BATCH_NS ? 1 : (unsigned long)(BATCH_NS / (one > 1 ? one : 1));
	if (calls < 1)
		calls = 1;
	run_calls(t, src, op, flags, size, &r, calls);

	size_t n = 0;
	double start = now_ns();
	while (lim->max_batches == 0 || n < lim->max_batches) {
		double b = now_ns();
		run_calls(t, src, op, flags, size, &r, calls);
		double e = now_ns();
		if (push(out, (e - b) / (double)calls) != 0)
			return -1;
		out->calls += calls;
		++n;
		if (n >= lim->min_batches && e - start > lim->budget_ns)
			break;
	}
	return 0;
}

int
sbs_in_list(const char *list, const char *name)
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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double
sbs_median(struct sbs_samples *s)
{
	if (s->n == 0)
		return 0;
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_double);
	size_t n = s->n;
	return n % 2 ? s->ns[n / 2] : (s->ns[n / 2 - 1] + s->ns[n / 2]) / 2;
}

void
sbs_samples_free(struct sbs_samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
	s->calls = 0;
}
