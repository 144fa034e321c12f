// Futures for the tests: small user-defined ones (completing after N polls,
// or when another thread says so) and waiting for a pmem2 future.
#pragma once

#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <atomic>
#include <cstdint>

namespace pmem2::test {

// Runs `f` to completion on a runtime; its result.
inline int wait_future(pmem2_future &f)
{
	runtime *rt = runtime_new();
	runtime_wait(rt, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(rt);
	return FUTURE_OUTPUT(&f)->result;
}

// Completes after `max` polls; output = number of polls.
struct countup_data {
	std::uint64_t counter;
	std::uint64_t max;
	std::uint64_t polls;
};
struct countup_output {
	std::uint64_t result;
};
FUTURE(countup_future, struct countup_data, struct countup_output);

inline enum future_state countup_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<countup_data *>(future_context_get_data(ctx));
	auto *o = static_cast<countup_output *>(future_context_get_output(ctx));
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	d->polls++;
	if (++d->counter < d->max)
		return FUTURE_STATE_RUNNING;
	o->result = d->counter;
	return FUTURE_STATE_COMPLETE;
}

inline int async_property(void *, enum future_property p)
{
	return p == FUTURE_PROPERTY_ASYNC;
}

inline struct countup_future countup(std::uint64_t max, bool async = false)
{
	struct countup_future f;
	f.data.counter = 0;
	f.data.max = max;
	f.data.polls = 0;
	f.output.result = 0;
	if (async)
		FUTURE_INIT_EXT(&f, countup_task, async_property);
	else
		FUTURE_INIT(&f, countup_task);
	return f;
}

// Completes when another thread sets `flag`; reports WAKER and stores the
// waker it was given so that thread can call it.
struct remote_data {
	std::atomic<int> *flag;
	std::atomic<struct future_waker *> *slot;
	struct future_waker *storage;
};
struct remote_output {
	std::uint64_t polls;
};
FUTURE(remote_future, struct remote_data, struct remote_output);

inline enum future_state remote_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<remote_data *>(future_context_get_data(ctx));
	auto *o = static_cast<remote_output *>(future_context_get_output(ctx));
	o->polls++;
	if (d->flag->load(std::memory_order_acquire) != 0)
		return FUTURE_STATE_COMPLETE;
	if (n != nullptr) {
		n->notifier_used = FUTURE_NOTIFIER_WAKER;
		if (d->slot->load(std::memory_order_acquire) == nullptr) {
			*d->storage = n->waker;
			d->slot->store(d->storage, std::memory_order_release);
		}
	}
	return FUTURE_STATE_RUNNING;
}

} // namespace pmem2::test
