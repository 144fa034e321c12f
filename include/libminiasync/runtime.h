/*
 * A single-threaded runtime: blocks the calling thread, polling futures
 * until they complete, and sleeps while every pending future has promised
 * to wake it.
 */
#ifndef RUNTIME_H
#define RUNTIME_H 1

#include "future.h"

#ifdef __cplusplus
extern "C" {
#endif

struct runtime;

/* Never NULL here: a runtime holds no state (waits keep theirs on their
 * stack), so every call returns the same one. */
struct runtime *runtime_new(void);
/* Accepts NULL; leaves the shared runtime in place. */
void runtime_delete(struct runtime *runtime);
/* Returns once all nfuts futures are COMPLETE; the array is not reordered. */
void runtime_wait_multiple(struct runtime *runtime, struct future *futs[],
	size_t nfuts);
void runtime_wait(struct runtime *runtime, struct future *fut);

#ifdef __cplusplus
}
#endif

#endif /* RUNTIME_H */
