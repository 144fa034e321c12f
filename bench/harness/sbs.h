/*
 * The side-by-side harness: measures libpmem2's synchronous functions the
 * same way whichever library provides them, this project's or PMDK's.
 * bench/side_by_side.c (built once against each library, run alternately by
 * bench/compare.sh) and `pmem2 bench` (which loads PMDK's library at run
 * time next to its own) both map and measure through it.
 *
 * sbs.c is compiled into every program that uses it, against the
 * libpmem2.h that program sees: ours or PMDK's, the same C API. A library
 * is reached through a table of its C functions, filled from the library
 * the program links (sbs_api_linked) or from one loaded at run time
 * (sbs_find_pmdk).
 */
#ifndef SBS_H
#define SBS_H

#include <libpmem2.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a library ------------------------------------------------------------ */

/* The C functions the harness calls. */
struct sbs_api {
	int (*config_new)(struct pmem2_config **cfg);
	int (*config_delete)(struct pmem2_config **cfg);
	int (*config_set_required_store_granularity)(struct pmem2_config *cfg,
		enum pmem2_granularity g);
	int (*source_from_fd)(struct pmem2_source **src, int fd);
	int (*source_delete)(struct pmem2_source **src);
	int (*map_new)(struct pmem2_map **map, const struct pmem2_config *cfg,
		const struct pmem2_source *src);
	int (*map_delete)(struct pmem2_map **map);
	void *(*map_get_address)(struct pmem2_map *map);
	size_t (*map_get_size)(struct pmem2_map *map);
	enum pmem2_granularity (*map_get_store_granularity)(struct pmem2_map *map);
	pmem2_memcpy_fn (*get_memcpy_fn)(struct pmem2_map *map);
	pmem2_memmove_fn (*get_memmove_fn)(struct pmem2_map *map);	/* may be null when loaded */
	pmem2_memset_fn (*get_memset_fn)(struct pmem2_map *map);
	pmem2_persist_fn (*get_persist_fn)(struct pmem2_map *map);
	const char *(*errormsg)(void);
};

/* The library this program is linked with. */
void sbs_api_linked(struct sbs_api *api);

#define SBS_PATH_MAX 4096

/* A libpmem2 loaded at run time. */
struct sbs_lib {
	void *handle;
	struct sbs_api api;
	char path[SBS_PATH_MAX];	/* as the dynamic linker found it */
	char file[SBS_PATH_MAX];	/* its real path */
	char version[64];		/* PMDK's version string, "1.12.1" */
};

/*
 * Loads PMDK's libpmem2 into `lib`: `requested` (a path, or a name for the
 * dynamic linker's search) and nothing else when it is not null, else
 * libpmem2.so.1 by the dynamic linker's search, then from the usual
 * library directories. A library is taken only if it exports the API, its
 * functions resolve inside that library file (not into this program) and
 * the file carries PMDK's version string. It is opened RTLD_LOCAL (and
 * RTLD_DEEPBIND outside sanitizer builds), so a program with its own
 * libpmem2 linked in keeps both apart. Returns 0, or -1 with the reasons
 * in `why` ("; " between the candidates').
 */
int sbs_find_pmdk(struct sbs_lib *lib, const char *requested, char *why, size_t whylen);
void sbs_lib_close(struct sbs_lib *lib);

/* ---- a map ------------------------------------------------------------------ */

/* One library's synchronous functions over one mapped range. */
struct sbs_target {
	char *base;
	size_t len;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_memmove_fn memmove_fn;	/* null if the library gave none */
	pmem2_memset_fn memset_fn;
	pmem2_persist_fn persist_fn;
};

/* The target of a map made with `api`'s library. */
void sbs_target_of(struct sbs_target *t, const struct sbs_api *api, struct pmem2_map *map);

/* A whole file mapped shared by one library. */
struct sbs_map {
	const struct sbs_api *api;
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map;
	struct sbs_target target;
};

/*
 * Maps all of `fd` with `api`'s library and the required store
 * granularity `required` (PMEM2_FORCE_GRANULARITY, which both libraries
 * read, can force the one the map gets). Returns 0, or -1 with "FUNCTION:
 * the library's message" in `why`; the map is then closed.
 */
int sbs_map_open(struct sbs_map *m, const struct sbs_api *api, int fd,
	enum pmem2_granularity required, char *why, size_t whylen);
void sbs_map_close(struct sbs_map *m);

/* "BYTE", "CACHE_LINE", "PAGE". */
const char *sbs_granularity_name(enum pmem2_granularity g);

/* Writes every byte of the target and persists it all, so no cell pays
 * first-touch costs. */
void sbs_prefault(const struct sbs_target *t);

/* ---- measuring -------------------------------------------------------------- */

enum sbs_op { SBS_MEMCPY, SBS_MEMMOVE, SBS_MEMSET, SBS_PERSIST, SBS_N_OPS };
extern const char *const sbs_op_names[SBS_N_OPS];

struct sbs_flag {
	const char *name;	/* "0", "NODRAIN", ..., "NT_NODRAIN" */
	unsigned flags;
};
/* Every flag set that selects a different path. */
extern const struct sbs_flag sbs_flags[];
extern const size_t sbs_n_flags;

/* The DRAM buffer memcpy copies from. */
struct sbs_source {
	const char *buf;
	size_t len;
	size_t shift;	/* source offset relative to the destination, < 4096 */
};

/* How long one measurement lasts. */
struct sbs_limits {
	double budget_ns;	/* timed batches stop after this ... */
	size_t min_batches;	/* ... once there are at least this many */
	size_t max_batches;	/* and at this many in any case (0: no cap) */
};

/* Time per call of each timed batch, and the calls they made. */
struct sbs_samples {
	double *ns;
	size_t n, cap;
	unsigned long long calls;
};

/*
 * Measures one operation at one flag set and size: a warm-up that also
 * calibrates the batch (enough calls to last 40 us, one for large sizes),
 * then timed batches until the limits say stop, each appending its time
 * per call to `out` (so several measurements of one cell can share it).
 * Destinations advance through a window, each call starting where the
 * previous one's size rounded up to a cache line ends, as appends to a log
 * do; the window is twice the size, at least 1 MiB, at most the target or
 * the source. memmove is an overlapping move inside the target, 64 bytes
 * up (the backward copy); memcpy copies from the source at the
 * destination's offset plus its shift; persist ignores `flags`.
 * Returns 0, or -1 if the size does not fit the target or the source, the
 * target has no such function, or memory runs out.
 */
int sbs_measure(const struct sbs_target *t, const struct sbs_source *src, enum sbs_op op,
	unsigned flags, size_t size, const struct sbs_limits *lim, struct sbs_samples *out);

/* Whether `name` is one of the comma-separated `list` (a NULL list holds
 * everything): the benchmarks' -o/-f/-c selections. */
int sbs_in_list(const char *list, const char *name);

/* The median of the samples (sorts them); 0 when there are none. */
double sbs_median(struct sbs_samples *s);
void sbs_samples_free(struct sbs_samples *s);

#ifdef __cplusplus
}
#endif

#endif
