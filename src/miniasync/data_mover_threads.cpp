// The threads mover: operations go through a bounded MPMC queue to a pool
// of workers (worker_pool.hpp: how workers spin, park and are woken).
// Per-operation state lives in a preallocated slot table (op_slots.hpp:
// slots and their references); a slot is taken at op_start and its address
// replaces the future's private pointer (see vdm.h). Callers that find no
// room register their wakers (room_waiters.hpp). This file holds the vdm
// entry points, submission, the claiming and running of chunks, completion
// and the C API.
//
// Split operations (chunking.hpp says how they are cut): at submission the
// operation is queued once plus up to nthreads-1 helper items naming the
// same slot, and that many workers are woken; every taker claims chunks
// from the slot's next_chunk counter until none is left, so a worker that
// arrives late still takes a share.
//
// Map guard: a durable operation enters its map's guard once, for all its
// chunks, through its slot's gate (guard_gate.hpp): nothing is written
// unless the map is still there.
//
// Durable operations (the request of durable/protocol.hpp in their flags):
// the guard is entered and left, and the data moved and persisted, through
// the services table of libpmem2 that the guard points to (hooks.hpp runs
// a chunk, with durable/run.hpp), so this library keeps no kernel
// dispatch, recorder or page-sync state of its own. The outcome goes back
// in the protocol's status word: refused (the map was gone, nothing
// written) or the -errno of the first chunk whose persist failed; either
// way the vdm result is VDM_ERROR_JOB_CORRUPTED.
//
// A waiting caller may run chunks itself, or a whole small operation at
// start (caller_help.hpp says which and when).
#include <libminiasync/data_mover_threads.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include <unistd.h>

#include "caller_help.hpp"
#include "chunking.hpp"
#include "common/export.hpp"
#include "durable/batch.hpp"
#include "durable/protocol.hpp"
#include "guard_gate.hpp"
#include "hooks.hpp"
#include "internal.hpp"
#include "op_slots.hpp"
#include "ops.hpp"
#include "room_waiters.hpp"
#include "worker_pool.hpp"

struct data_mover_threads {
	using op_slot = pmem2::masync::op_slot;

	vdm base;	// first: the vdm pointer handed out converts back to the mover
	future_notifier_type desired;
	pmem2::masync::mover_hooks hooks;
	std::atomic<std::size_t> split_threshold{std::size_t(1) << 20};
	std::atomic<std::size_t> min_chunk{std::size_t(512) << 10};

	pmem2::masync::op_slots slots;
	pmem2::masync::room_waiters room;	// callers whose op_start found no room
	pmem2::masync::worker_pool pool;	// its queue holds slot indices

	data_mover_threads(std::size_t nthreads, std::size_t ring,
		future_notifier_type notifier, std::size_t nslots);

	// 0 when queued; 1 (future stays IDLE) when there is no room.
	int op_start(vdm_operation_data *fd, future_notifier *n) noexcept;
	// Takes a slot, fills it and queues it; null when pool or queue is full.
	op_slot *try_submit(vdm_operation_data *fd, future_notifier *n,
		future_notifier_type notify, bool &run_here) noexcept;
	// Drops one reference; the last returns the slot to the pool.
	void release_ref(op_slot &s) noexcept
	{
		if (slots.release(s))
			room.space_freed();
	}

	void worker() noexcept;
	// Takes a queue item: runs what is left of it, drops its reference.
	void run_item(std::uint32_t idx) noexcept;
	// Claims and runs chunks of the slot's operation until none is left;
	// returns how many this thread ran.
	// Counted before each chunk's completion is published, so whoever
	// sees the operation complete also sees it counted (tests rely on it).
	struct claim_counters {
		std::atomic<std::uint64_t> *ops = nullptr;	// once, at the first chunk
		std::atomic<std::uint64_t> *chunks = nullptr;	// per chunk
	};
	std::uint32_t run_claims(op_slot &s, claim_counters counters) noexcept;
	void run_chunk(op_slot &s, std::uint32_t c) noexcept;
	// Leaves the guard, publishes completion, then calls the waker.
	void finish(op_slot &s) noexcept;
};

static_assert(std::is_standard_layout_v<data_mover_threads>);
static_assert(offsetof(data_mover_threads, base) == 0);

namespace pmem2::masync {

thread_local int caller_may_help = help_none;

mover_counters &mover_stats() noexcept
{
	static mover_counters c;
	return c;
}

void set_split(data_mover_threads *dmt, std::size_t threshold, std::size_t chunk) noexcept
{
	dmt->split_threshold.store(threshold, std::memory_order_relaxed);
	dmt->min_chunk.store(chunk, std::memory_order_relaxed);
}

std::size_t pool_capacity(const data_mover_threads *dmt) noexcept
{
	return dmt->slots.capacity();
}

std::size_t parked_workers(const data_mover_threads *dmt) noexcept
{
	return dmt->pool.parked();
}

bool worker_spinning(const data_mover_threads *dmt) noexcept
{
	return dmt->pool.spinning();
}

namespace {

// The kernel's page, read once: chunk boundaries sit on it (chunking.hpp).
std::size_t page_size() noexcept
{
	static const std::size_t page = [] {
		const long p = sysconf(_SC_PAGESIZE);
		return p > 0 ? static_cast<std::size_t>(p) : std::size_t(4096);
	}();
	return page;
}

data_mover_threads *mover_of(vdm *v) noexcept
{
	return reinterpret_cast<data_mover_threads *>(v);
}

vdm_operation_data *op_data_of(const vdm_operation *op) noexcept
{
	// Our futures hand op_start &fdata->operation (documented in vdm.h).
	return reinterpret_cast<vdm_operation_data *>(
		reinterpret_cast<char *>(const_cast<vdm_operation *>(op)) -
		offsetof(vdm_operation_data, operation));
}

void *threads_op_new(vdm *v, const vdm_operation_type) noexcept
{
	return v;	// a token; the slot is taken at start
}

int threads_op_start(void *, const vdm_operation *op, future_notifier *n) noexcept
{
	vdm_operation_data *fd = op_data_of(op);
	return mover_of(fd->vdm)->op_start(fd, n);
}

future_state threads_op_check(void *data, const vdm_operation *op) noexcept
{
	auto *s = static_cast<op_slot *>(data);
	if (s->complete.load(std::memory_order_acquire) != 0)
		return FUTURE_STATE_COMPLETE;
	// The future holds a reference: the slot stays ours while we help.
	if (caller_should_help(*s, [op] { return mover_of(op_data_of(op)->vdm)->pool.backlogged(); })) {
		mover_counters &mc = mover_stats();
		mover_of(op_data_of(op)->vdm)->run_claims(*s, {&mc.caller_ops, &mc.caller_chunks});
		if (s->complete.load(std::memory_order_acquire) != 0)
			return FUTURE_STATE_COMPLETE;
	}
	return FUTURE_STATE_RUNNING;
}

void threads_op_delete(void *data, const vdm_operation *op,
	vdm_operation_output *out) noexcept
{
	auto *s = static_cast<op_slot *>(data);
	fill_output(*op, s->result, out);
	// The status word of a durable operation is in the caller's future.
	if (durable::is_request(durable::flags_of(*op)))
		durable::set_status(const_cast<vdm_operation &>(*op),
			s->status.load(std::memory_order_relaxed));
	mover_of(op_data_of(op)->vdm)->release_ref(*s);
}

int threads_has_property(void *, future_property property) noexcept
{
	return property == FUTURE_PROPERTY_ASYNC;
}

void *worker_main(void *arg) noexcept
{
	static_cast<data_mover_threads *>(arg)->worker();
	return nullptr;
}

} // namespace
} // namespace pmem2::masync

using namespace pmem2::masync;
namespace durable = pmem2::durable;

data_mover_threads::data_mover_threads(std::size_t nthreads, std::size_t ring,
	future_notifier_type notifier, std::size_t nslots)
	: base{threads_op_new, threads_op_delete, threads_op_start,
		threads_op_check, 0, threads_has_property},
	  desired(notifier), slots(nslots), pool(nthreads, ring, room)
{
}

int data_mover_threads::op_start(vdm_operation_data *fd, future_notifier *n) noexcept
{
	future_notifier_type notify = n != nullptr ? desired : FUTURE_NOTIFIER_NONE;
	if (notify == FUTURE_NOTIFIER_WAKER && n->waker.wake == nullptr)
		notify = FUTURE_NOTIFIER_NONE;	// nothing to call: the caller polls
	// A future that waited for room remembers, in the operation's padding,
	// the epoch of the waiter list it registered its waker in.
	bool run_here = false;
	op_slot *s = nullptr;
	switch (room.start([&] { return (s = try_submit(fd, n, notify, run_here)) != nullptr; },
		notify == FUTURE_NOTIFIER_WAKER ? &n->waker : nullptr, fd->operation.padding)) {
	case room_waiters::outcome::started:
		break;
	case room_waiters::outcome::woken_later:
		n->notifier_used = FUTURE_NOTIFIER_WAKER;
		return 1;
	case room_waiters::outcome::poll_again:
		if (n != nullptr)
			n->notifier_used = FUTURE_NOTIFIER_NONE;
		return 1;
	}
	if (n != nullptr) {
		n->notifier_used = notify;
		if (notify == FUTURE_NOTIFIER_POLLER)
			n->poller.ptr_to_monitor =
				reinterpret_cast<std::uint64_t *>(&s->complete);
	}
	if (run_here) {
		mover_counters &mc = mover_stats();
		mc.caller_ops.fetch_add(1, std::memory_order_relaxed);
		run_claims(*s, {nullptr, &mc.caller_chunks});
	}
	return 0;
}

data_mover_threads::op_slot *data_mover_threads::try_submit(vdm_operation_data *fd,
	future_notifier *n, future_notifier_type notify, bool &run_here) noexcept
{
	run_here = false;
	std::uint32_t idx;
	if (!slots.take(idx))
		return nullptr;
	op_slot &s = slots[idx];
	const future_waker *w = notify == FUTURE_NOTIFIER_WAKER ? &n->waker : nullptr;
	s.begin(fd->operation, notify, w,
		plan_operation(fd->operation, split_threshold.load(std::memory_order_relaxed),
			min_chunk.load(std::memory_order_relaxed), pool.size(), page_size()));
	const std::uint64_t flags = durable::flags_of(s.op);
	const bool kernels_copy = hooks.kernels_copy(s.op.type);
	const std::size_t len = durable::is_batch(s.op) ? durable::batch_of(s.op).bytes :
		op_length(s.op);
	classify_for_help(s, flags, kernels_copy, len);
	const bool shares = caller_shares_at_start(s, len);
	if (shares && !pool.spinning()) {
		s.begin(fd->operation, notify, w, whole_operation(fd->operation));
		classify_for_help(s, flags, kernels_copy, len);
	}
	if (caller_runs_at_start(s)) {
		// No queue item, no wake-up, no waker call: op_start runs it.
		s.refs.store(1, std::memory_order_relaxed);
		s.notify = FUTURE_NOTIFIER_NONE;
		fd->data = &s;
		run_here = true;
		return &s;
	}

	fd->data = &s;
	if (shares) {
		// The caller claims chunks at once (op_start); the spinner may
		// take the item. Without room in the queue the caller runs all.
		s.refs.store(1, std::memory_order_relaxed);
		std::int32_t pushed = 0;
		for (std::uint32_t i = 1; i < s.nchunks && i < pool.size(); ++i, ++pushed) {
			s.refs.fetch_add(1, std::memory_order_relaxed);
			if (!pool.try_push(idx)) {
				s.refs.fetch_sub(1, std::memory_order_relaxed);
				break;
			}
		}
		if (pushed != 0)
			pool.pushed(pushed, 0);
		run_here = true;
		return &s;
	}
	if (!pool.try_push(idx)) {
		fd->data = &base;
		// No space_freed() here: the slot was only borrowed, and the full
		// queue guarantees a worker pop (which wakes waiters) is still to
		// come.
		slots.put_back(idx);
		return nullptr;
	}
	if (s.nchunks > 1) {
		// Helper items: every worker that takes one claims chunks until
		// none is left. Those that do not fit leave more for the others.
		std::size_t helpers = std::min<std::size_t>(s.nchunks - 1, pool.size() - 1);
		std::size_t pushed = 0;
		for (; pushed < helpers; ++pushed) {
			s.refs.fetch_add(1, std::memory_order_relaxed);
			if (!pool.try_push(idx)) {
				// The future still holds its reference: not the last.
				s.refs.fetch_sub(1, std::memory_order_relaxed);
				break;
			}
		}
		pool.pushed(std::int32_t(pushed + 1), int(pushed + 1));
		return &s;
	}
	pool.pushed(1, 0);
	return &s;
}

void data_mover_threads::worker() noexcept
{
	std::uint32_t idx;
	while (pool.next(idx))
		run_item(idx);
}

void data_mover_threads::run_item(std::uint32_t idx) noexcept
{
	op_slot &s = slots[idx];
	const bool split = s.nchunks > 1;	// fixed while we hold a reference
	run_claims(s, {nullptr, split ? &mover_stats().worker_split_chunks : nullptr});
	release_ref(s);
}

std::uint32_t data_mover_threads::run_claims(op_slot &s, claim_counters counters) noexcept
{
	auto count = [&](std::uint32_t ran) {
		if (ran == 0 && counters.ops)
			counters.ops->fetch_add(1, std::memory_order_relaxed);
		if (counters.chunks)
			counters.chunks->fetch_add(1, std::memory_order_relaxed);
	};
	switch (pass_gate(s)) {
	case gate_pass::open:
		break;
	case gate_pass::refused:
		count(0);
		finish(s);
		return 1;
	case gate_pass::failed:
		return 0;	// finished by the taker that entered
	}
	std::uint32_t ran = 0;
	for (;;) {
		std::uint32_t c = s.next_chunk.fetch_add(1, std::memory_order_acq_rel);
		if (c >= s.nchunks)
			break;
		run_chunk(s, c);
		count(ran);
		++ran;
		if (s.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
			finish(s);
			break;
		}
	}
	return ran;
}

void data_mover_threads::run_chunk(op_slot &s, std::uint32_t c) noexcept
{
	std::size_t off, part;
	chunk_range(s.plan(), op_length(s.op), c, off, part);
	// A failed persist becomes the operation's status instead of stopping
	// the process; the first one wins.
	if (int st = hooks.run(s.op, off, part, s.guard != nullptr ? s.guard->svc : nullptr);
	    st != 0) {
		std::int32_t expected = durable::status_ok;
		s.status.compare_exchange_strong(expected, st, std::memory_order_relaxed);
	}
}

void data_mover_threads::finish(op_slot &s) noexcept
{
	if (s.guard != nullptr)
		s.guard->svc->leave(s.guard);
	// A chunk whose persist failed: the data may not be durable.
	if (s.status.load(std::memory_order_relaxed) != durable::status_ok)
		s.result = VDM_ERROR_JOB_CORRUPTED;
	future_notifier_type notify = s.notify;
	future_waker w = s.waker;
	// Publish first, then wake: a woken poller must see the completion.
	s.complete.store(1, std::memory_order_release);
	if (notify == FUTURE_NOTIFIER_WAKER)
		w.wake(w.data);
}

PMEM2_EXPORT struct data_mover_threads *data_mover_threads_new(size_t nthreads,
	size_t ringbuf_size, enum future_notifier_type desired_notifier)
{
	if (nthreads == 0 || ringbuf_size == 0 ||
	    (ringbuf_size & (ringbuf_size - 1)) != 0 ||
	    ringbuf_size > (std::size_t(1) << 32))
		return nullptr;
	// C callers may pass any int: compare the raw value.
	unsigned raw;
	static_assert(sizeof(raw) == sizeof(desired_notifier));
	std::memcpy(&raw, &desired_notifier, sizeof(raw));
	if (raw > FUTURE_NOTIFIER_POLLER)
		return nullptr;
	try {
		auto dmt = std::make_unique<data_mover_threads>(nthreads, ringbuf_size,
			desired_notifier, op_slots::capacity_for(ringbuf_size, nthreads));
		if (!dmt->pool.start(worker_main, dmt.get()))
			return nullptr;
		return dmt.release();
	} catch (...) {
		return nullptr;
	}
}

PMEM2_EXPORT struct data_mover_threads *data_mover_threads_default(void)
{
	return data_mover_threads_new(12, 128, FUTURE_NOTIFIER_WAKER);
}

PMEM2_EXPORT struct vdm *data_mover_threads_get_vdm(struct data_mover_threads *dmt)
{
	return &dmt->base;
}

PMEM2_EXPORT void data_mover_threads_delete(struct data_mover_threads *dmt)
{
	if (dmt == nullptr)
		return;
	dmt->pool.stop();
	delete dmt;
}

PMEM2_EXPORT void data_mover_threads_set_memcpy_fn(struct data_mover_threads *dmt,
	memcpy_fn op_memcpy)
{
	dmt->hooks.set_memcpy(op_memcpy);
}

PMEM2_EXPORT void data_mover_threads_set_memmove_fn(struct data_mover_threads *dmt,
	memmove_fn op_memmove)
{
	dmt->hooks.set_memmove(op_memmove);
}

PMEM2_EXPORT void data_mover_threads_set_memset_fn(struct data_mover_threads *dmt,
	memset_fn op_memset)
{
	dmt->hooks.set_memset(op_memset);
}

PMEM2_EXPORT int miniasync_private_durable_mover(const struct vdm *v)
{
	// All four functions: a user's mover that copies some of ours is not one.
	return (v->op_new == threads_op_new && v->op_start == threads_op_start &&
		v->op_check == threads_op_check && v->op_delete == threads_op_delete) ||
		pmem2::masync::is_sync_mover(v);
}
