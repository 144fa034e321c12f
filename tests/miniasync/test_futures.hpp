// Small user-defined futures shared by the miniasync tests.
#pragma once

#include <libminiasync.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace masync_test {

// Yields until pred() holds; gives up after `limit` so that a broken
// mechanism fails the test's assertions instead of hanging it.
template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds limit = std::chrono::seconds(20))
{
	auto end = std::chrono::steady_clock::now() + limit;
	while (!pred()) {
		if (std::chrono::steady_clock::now() > end)
			return false;
		std::this_thread::yield();
	}
	return true;
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

} // namespace masync_test
