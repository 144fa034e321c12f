// The headers compiled as C++20 (-pedantic-errors), macros included.
#include <libminiasync.h>
#include <libminiasync/data_mover_sync.h>
#include <libminiasync/data_mover_threads.h>
#include <libminiasync/future.h>
#include <libminiasync/runtime.h>
#include <libminiasync/wake.h>
#include <libminiasync/vdm.h>

#include <cstdint>
#include <cstdio>

struct tiny_data {
	std::uint64_t v;
};
struct tiny_output {
	std::uint64_t v;
};
FUTURE(tiny_future, struct tiny_data, struct tiny_output);

struct tiny_chain_data {
	FUTURE_CHAIN_ENTRY(struct tiny_future, first);
	FUTURE_CHAIN_ENTRY_LAST(struct vdm_operation_future, second);
};
struct tiny_chain_output {
	std::uint64_t v;
};
FUTURE(tiny_chain_future, struct tiny_chain_data, struct tiny_chain_output);

static enum future_state tiny_task(struct future_context *ctx, struct future_notifier *)
{
	static_cast<tiny_output *>(future_context_get_output(ctx))->v = 7;
	return FUTURE_STATE_COMPLETE;
}

static void lazy(void *fut, struct future_context *, void *arg)
{
	*static_cast<vdm_operation_future *>(fut) =
		vdm_memset(static_cast<vdm *>(arg), nullptr, 0, 0, 0);
}

int main()
{
	data_mover_threads *dmt = data_mover_threads_new(1, 2, FUTURE_NOTIFIER_WAKER);
	runtime *r = runtime_new();
	if (dmt == nullptr || r == nullptr)
		return 1;
	tiny_future t;
	FUTURE_INIT(&t, tiny_task);
	tiny_chain_future c;
	FUTURE_CHAIN_ENTRY_INIT(&c.data.first, t, nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_LAZY_INIT(&c.data.second, lazy, data_mover_threads_get_vdm(dmt),
		nullptr, nullptr);
	FUTURE_CHAIN_INIT(&c);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
	int ok = c.data.first.fut.output.v == 7 &&
		c.data.second.fut.output.result == VDM_SUCCESS &&
		FUTURE_CHAIN_ENTRY_IS_LAST(reinterpret_cast<future_chain_entry *>(&c.data.second));
	runtime_delete(r);
	data_mover_threads_delete(dmt);
	std::puts(ok ? "miniasync_headers_cxx: ok" : "cxx_headers: FAILED");
	return ok ? 0 : 1;
}
