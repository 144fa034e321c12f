/*
 * The threads mover: operations are queued to a pool of worker threads.
 *
 * The hooks replace the function the workers call for each operation type;
 * `flags` is the vdm flag word (VDM_F_*), not a libpmem2 one. Setting a
 * hook to NULL restores the default.
 */
#ifndef DATA_MOVER_THREADS_H
#define DATA_MOVER_THREADS_H 1

#include "vdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*memcpy_fn)(void *dst, const void *src, size_t n,
	unsigned flags);
typedef void *(*memmove_fn)(void *dst, const void *src, size_t n,
	unsigned flags);
typedef void *(*memset_fn)(void *str, int c, size_t n, unsigned flags);

struct data_mover_threads;

/*
 * nthreads workers, a queue of ringbuf_size operations (a power of two,
 * 1 .. 2^32) and the notifier the futures will use. NULL on invalid
 * arguments or when resources cannot be obtained.
 */
struct data_mover_threads *data_mover_threads_new(size_t nthreads,
	size_t ringbuf_size, enum future_notifier_type desired_notifier);
/* 12 workers, 128 queue slots, FUTURE_NOTIFIER_WAKER. */
struct data_mover_threads *data_mover_threads_default(void);
struct vdm *data_mover_threads_get_vdm(struct data_mover_threads *dmt);
/* Finishes every started operation, then frees. Accepts NULL. */
void data_mover_threads_delete(struct data_mover_threads *dmt);
void data_mover_threads_set_memcpy_fn(struct data_mover_threads *dmt,
	memcpy_fn op_memcpy);
void data_mover_threads_set_memmove_fn(struct data_mover_threads *dmt,
	memmove_fn op_memmove);
void data_mover_threads_set_memset_fn(struct data_mover_threads *dmt,
	memset_fn op_memset);

#ifdef __cplusplus
}
#endif

#endif /* DATA_MOVER_THREADS_H */
