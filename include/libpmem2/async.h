/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpmem2/async.h -- asynchronous durable memory operations built on
 * miniasync futures and virtual data movers.
 *
 * A struct pmem2_future is complete only when every byte it wrote is in the
 * persistence domain of the map's store granularity (PAGE: msync'ed,
 * CACHE_LINE: flushed or written non-temporally and fenced, BYTE: fenced).
 *
 * Lifetime rule: a future may be dropped at any time before it is first
 * polled, and leaks nothing. pmem2_map_delete() waits for operations of the
 * map that the default mover or the threads mover of libminiasync are
 * executing; a future of a deleted map that has not started completes with
 * output.result == PMEM2_E_MAPPING_NOT_FOUND and writes nothing. With any
 * other mover, a future already started must be polled to completion before
 * the map is deleted. A custom mover set with pmem2_config_set_vdm() must
 * outlive every map created with it.
 */
#ifndef LIBPMEM2_ASYNC
#define LIBPMEM2_ASYNC 1

#include <libpmem2/base.h>
#include <libminiasync/vdm.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef _MSC_VER
#define ASYNC_DEPR_STR "Async support for libpmem2 is deprecated."
#define ASYNC_DEPR_ATTR __declspec(deprecated(ASYNC_DEPR_STR))
#else
#define ASYNC_DEPR_STR "Async support for libpmem2 is deprecated."
#define ASYNC_DEPR_ATTR __attribute__((deprecated(ASYNC_DEPR_STR)))
#endif

struct pmem2_persist_future_data {
	struct pmem2_map *map;
	void *ptr;
	size_t size;
};

struct pmem2_persist_future_output {
	uint64_t unused;
};

FUTURE(pmem2_persist_future, struct pmem2_persist_future_data,
	struct pmem2_persist_future_output);

union pmem2_finalize_future {
	struct pmem2_persist_future persist;
	struct {
		char data[64];
	} pad;
};

struct pmem2_future_data {
	FUTURE_CHAIN_ENTRY(struct vdm_operation_future, op);
	FUTURE_CHAIN_ENTRY_LAST(union pmem2_finalize_future, fin);
};

/*
 * dest: the destination argument, always.
 * result: 0 once the data is durable, or a PMEM2_E_* / negative errno code
 * (invalid flags, destination outside the map, out of memory, map deleted:
 * nothing was written; -EIO: the mover failed, or the data was written but
 * persisting it failed). Extension over the original layout.
 */
struct pmem2_future_output {
	void *dest;
	int result;
	uint32_t reserved;
};

FUTURE(pmem2_future, struct pmem2_future_data, struct pmem2_future_output);

/* The persist step of a chain: persists data->ptr..+size with the map's persist function. */
static inline enum future_state
pmem2_persist_future_impl(struct future_context *ctx,
		struct future_notifier *notifier)
{
	struct pmem2_persist_future_data *data;

	if (notifier)
		notifier->notifier_used = FUTURE_NOTIFIER_NONE;
	data = (struct pmem2_persist_future_data *)future_context_get_data(ctx);
	pmem2_get_persist_fn(data->map)(data->ptr, data->size);
	return FUTURE_STATE_COMPLETE;
}

/* A persist step for a user's own chain. */
static inline union pmem2_finalize_future
pmem2_persist_future(struct pmem2_map *map, void *ptr, size_t size)
{
	union pmem2_finalize_future fut;

	fut.persist.data.map = map;
	fut.persist.data.ptr = ptr;
	fut.persist.data.size = size;
	fut.persist.output.unused = 0;
	FUTURE_INIT(&fut.persist, pmem2_persist_future_impl);
	return fut;
}

ASYNC_DEPR_ATTR int pmem2_config_set_vdm(struct pmem2_config *cfg,
		struct vdm *vdm);

ASYNC_DEPR_ATTR struct pmem2_future pmem2_memcpy_async(struct pmem2_map *map,
		void *pmemdest, const void *src, size_t len, unsigned flags);

ASYNC_DEPR_ATTR struct pmem2_future pmem2_memmove_async(struct pmem2_map *map,
		void *pmemdest, const void *src, size_t len, unsigned flags);

ASYNC_DEPR_ATTR struct pmem2_future pmem2_memset_async(struct pmem2_map *map,
		void *str, int c, size_t n, unsigned flags);

#if defined(__cplusplus)
static_assert(sizeof(struct pmem2_persist_future) == 72, "ABI");
static_assert(sizeof(union pmem2_finalize_future) == 72, "ABI");
static_assert(offsetof(struct pmem2_future_data, fin) == 160, "ABI");
static_assert(sizeof(struct pmem2_future_data) == 272, "ABI");
static_assert(sizeof(struct pmem2_future_output) == 16, "ABI");
static_assert(offsetof(struct pmem2_future, data) == 40, "ABI");
static_assert(offsetof(struct pmem2_future, output) == 312, "ABI");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct pmem2_persist_future) == 72, "ABI");
_Static_assert(sizeof(union pmem2_finalize_future) == 72, "ABI");
_Static_assert(offsetof(struct pmem2_future_data, fin) == 160, "ABI");
_Static_assert(sizeof(struct pmem2_future_data) == 272, "ABI");
_Static_assert(sizeof(struct pmem2_future_output) == 16, "ABI");
_Static_assert(offsetof(struct pmem2_future, data) == 40, "ABI");
_Static_assert(offsetof(struct pmem2_future, output) == 312, "ABI");
#endif

#ifdef __cplusplus
}
#endif

#endif /* LIBPMEM2_ASYNC */
