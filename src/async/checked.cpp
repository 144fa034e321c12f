// pmem2 futures in check mode (checked.hpp).
#include "async/checked.hpp"

#include <cstddef>
#include <vector>

#include "async/batch.hpp"
#include "check/process.hpp"
#include "durable/batch.hpp"

namespace pmem2::async {
namespace {

using check::process::written_range;

// The ranges the entry writes into the map or persists there.
void ranges_of(const durable::batch_entry &e, std::vector<written_range> &w)
{
	const unsigned n = map_ranges(e.kind);
	if (n >= 1)
		w.push_back({e.dest, e.n});
	if (n == 2)
		w.push_back({e.dest2, e.n});
}

// The function that made `f`, and the ranges it writes or persists.
const char *describe(const pmem2_future &f, std::vector<written_range> &w)
{
	const vdm_operation &o = f.data.op.fut.data.operation;
	if (durable::is_batch(o)) {
		const durable::batch_op b = durable::batch_of(o);
		// A future of one operation keeps its entry in itself (the
		// batch's pointer to it is set at the first poll).
		const durable::batch_entry *own = entry_in(f);
		if (b.entries == nullptr || b.entries == own) {
			ranges_of(*own, w);
			const char *name = async_name(own->kind);
			return name != nullptr ? name : "pmem2_batch_async";
		}
		for (std::size_t i = 0; i < b.count; ++i)
			ranges_of(b.entries[i], w);
		return "pmem2_batch_async";
	}
	switch (o.type) {
	case VDM_OPERATION_MEMCPY:
		w.push_back({o.data.memcpy.dest, o.data.memcpy.n});
		return "pmem2_memcpy_async";
	case VDM_OPERATION_MEMMOVE:
		w.push_back({o.data.memmove.dest, o.data.memmove.n});
		return "pmem2_memmove_async";
	case VDM_OPERATION_MEMSET:
		w.push_back({o.data.memset.str, o.data.memset.n});
		return "pmem2_memset_async";
	case VDM_OPERATION_FLUSH:
		w.push_back({o.data.flush.dest, o.data.flush.n});
		return "pmem2_persist_async";
	}
	return "pmem2_future";
}

// The ranges of the future being described, reused (no allocation once
// the thread has described its largest future).
thread_local std::vector<written_range> tl_ranges;

std::vector<written_range> &ranges_of_this(const pmem2_future &f, const char *&call)
{
	tl_ranges.clear();
	call = describe(f, tl_ranges);
	return tl_ranges;
}

pmem2_future &future_of(future_context *ctx) noexcept
{
	return *reinterpret_cast<pmem2_future *>(reinterpret_cast<char *>(ctx) -
		offsetof(pmem2_future, base.context));
}

void completed(const pmem2_future &f) noexcept
{
	try {
		const char *call;
		const auto &w = ranges_of_this(f, call);
		check::process::future_completed(call, w, f.output.result == 0);
	} catch (...) {
	}
}

// The chain task `Inner`, then the completion's check.
template <future_task_fn Inner>
enum future_state watched(future_context *ctx, future_notifier *n) noexcept
{
	const enum future_state st = Inner(ctx, n);
	if (st == FUTURE_STATE_COMPLETE)
		completed(future_of(ctx));
	return st;
}
constexpr future_task_fn watched_builtin = watched<default_chain_task>;
constexpr future_task_fn watched_chain = watched<async_chain_impl>;

} // namespace

void watch(pmem2_future &f) noexcept
{
	f.base.task = f.base.task == default_chain_task ? watched_builtin : watched_chain;
	try {
		// Two statements: the arguments of one call are evaluated in no
		// fixed order (ppc64le's GCC read `call` before ranges_of_this set it).
		const char *call;
		const auto &w = ranges_of_this(f, call);
		check::process::future_made(call, w);
	} catch (...) {
	}
}

bool is_watched(future_task_fn t, bool builtin) noexcept
{
	return t == (builtin ? watched_builtin : watched_chain);
}

void taken(const pmem2_future &f) noexcept
{
	try {
		const char *call;
		const auto &w = ranges_of_this(f, call);	// before `call` is read (as above)
		check::process::future_taken(call, w);
	} catch (...) {
	}
}

} // namespace pmem2::async
