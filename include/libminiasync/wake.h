/*
 * Wake slots: what a waker points at (a pmem2 extension of miniasync 0.2.1).
 *
 * The wake contract. A future that sets notifier_used = FUTURE_NOTIFIER_WAKER
 * promises one call of notifier->waker after that poll. Movers publish
 * completion first and call the waker after, so the call may come when the
 * future already reads as complete and its waiter has gone. Hence:
 *
 *   1. A waker's data points at a wake slot, never at a waiter's own memory.
 *      Slots come from a pool that grows on demand and is never freed; a
 *      released slot is handed out again.
 *   2. A wake means "poll again", never "complete": a call that reaches a
 *      later owner of the slot costs that owner one extra poll.
 *   3. A future that promised a wake-up keeps the promise until it completes
 *      (movers declare the notifier when an operation starts, not on every
 *      poll); a waiter may sleep while every future it waits for promised one.
 *
 * runtime_wait_multiple and the C++ API (pmem2::event_loop, co_await) wait
 * this way; so can any other executor.
 */
#ifndef LIBMINIASYNC_WAKE_H
#define LIBMINIASYNC_WAKE_H 1

#include "future.h"

#ifdef __cplusplus
extern "C" {
#endif

struct miniasync_wake_slot;

/* A slot from the pool; NULL only when the pool cannot grow (no memory). */
struct miniasync_wake_slot *miniasync_wake_slot_acquire(void);
/* Hands the slot back to the pool (accepts NULL). Late wakes stay harmless. */
void miniasync_wake_slot_release(struct miniasync_wake_slot *slot);
/* The waker to put in a future_notifier: it wakes this slot. */
struct future_waker miniasync_wake_slot_waker(struct miniasync_wake_slot *slot);

/*
 * Callback mode, for waiters that are not threads (a suspended coroutine):
 *   arm(slot, fn, arg);  poll the future with the slot's waker;
 *   complete -> done;  promised a wake -> if park(slot) returns 1, fn(arg)
 *   runs on the thread of the next wake, once; if it returns 0, a wake came
 *   while polling: arm and poll again.
 * fn runs only for an owner that is parked, so `arg` is alive when it runs.
 */
void miniasync_wake_slot_arm(struct miniasync_wake_slot *slot,
	void (*fn)(void *arg), void *arg);
int miniasync_wake_slot_park(struct miniasync_wake_slot *slot);

#ifdef __cplusplus
}
#endif

#endif /* LIBMINIASYNC_WAKE_H */
