// A pmem2 future completes only once its data is durable at the map's
// granularity. It is a two-entry miniasync chain: `op` (a vdm operation)
// and `fin` (a persist step). What runs depends on the map's mover kind
// (durable/movers.hpp), decided once when the map was made:
//   * builtin (no vdm configured): libpmem2's default mover copies with the
//     map's durable kernels on the polling thread; no persist step.
//   * ours (libminiasync's threads mover): the operation carries the
//     durable request; the worker copies AND makes the data durable through
//     libpmem2's services, so the polling thread never blocks on
//     persistence; no persist step.
//   * foreign (any other mover, whatever its capabilities): the operation
//     is the plain one the original builds, created at the first poll (a
//     dropped, never-polled future never reached the mover) and only while
//     the map lives; then the persist step persists on the polling thread.
// The operations of <libpmem2/operations.h> (memset8, dualcast, crc32c,
// copy_crc32c, compare) are one-entry batches of the builtin or ours kind
// whose entry lives in the future's own `fin` bytes (make_entry_future).
// Every future, whatever its mover, is built by build() below and polled
// by miniasync's own chain walk (async_chain_impl, libminiasync/future.h);
// nothing here walks chain entries itself.
// Results: the op's status (durable/protocol.hpp) or, for a foreign mover,
// its vdm result, then the persist step's status, land in output.result:
// 0, PMEM2_E_MAPPING_NOT_FOUND (map gone, nothing written),
// PMEM2_E_NO_ACCESS (a map without PMEM2_PROT_WRITE, nothing written), -EIO (the
// bytes were written but persisting them failed, or the mover failed) or
// -ENOMEM (the mover had no memory).
#include "async/future.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "async/checked.hpp"
#include "async/default_mover.hpp"
#include "common/errormsg.hpp"
#include "durable/guard.hpp"
#include "durable/services.hpp"
#include "map/map.hpp"

namespace pmem2::async {
namespace {

using durable::map_guard;

future_chain_entry *generic(void *entry) noexcept
{
	return static_cast<future_chain_entry *>(entry);
}

// The future around one of its members' contexts (futures move by value:
// only offsets are stable).
pmem2_future *future_of_fin(future_context *ctx) noexcept
{
	return reinterpret_cast<pmem2_future *>(reinterpret_cast<char *>(ctx) -
		offsetof(pmem2_future, data.fin.fut.persist.base.context));
}
pmem2_future *future_of_chain(future_context *ctx) noexcept
{
	return reinterpret_cast<pmem2_future *>(reinterpret_cast<char *>(ctx) -
		offsetof(pmem2_future, base.context));
}

// A protocol status as the future's result.
int result_of_status(std::int32_t st) noexcept
{
	if (st == durable::status_ok)
		return 0;
	if (st == durable::status_refused)
		return PMEM2_E_MAPPING_NOT_FOUND;
	if (st < 0)
		set_errormsg("persisting the written data failed: %s", std::strerror(-st));
	return -EIO;
}

// The op entry's map_arg says where its outcome is: in the protocol's
// status word (our movers, and a foreign mover's operation that lazy init
// refused), or in the foreign mover's vdm result (nullptr).
char status_marker;
void *const in_status_word = &status_marker;

// The op entry's outcome as the future's result.
int result_of_op(const vdm_operation_data *od, const vdm_operation_output *out,
		const void *where) noexcept
{
	if (out->result == VDM_ERROR_OUT_OF_MEMORY)
		return -ENOMEM;
	if (where == in_status_word)
		return result_of_status(durable::status_of(od->operation));
	return out->result == VDM_SUCCESS ? 0 : -EIO;
}

// Map of the op entry. rhs is the persist step when one is attached (which
// then runs only if the operation succeeded), else the chain itself.
void op_done(struct future_context *lhs, struct future_context *rhs, void *where) noexcept
{
	auto *od = static_cast<vdm_operation_data *>(future_context_get_data(lhs));
	auto *out = static_cast<vdm_operation_output *>(future_context_get_output(lhs));
	int err = result_of_op(od, out, where);
	if (rhs->data_size == sizeof(pmem2_future_data)) {
		future_of_chain(rhs)->output.result = err;
	} else if (err) {
		future_of_fin(rhs)->output.result = err;
		rhs->state = FUTURE_STATE_COMPLETE;	// nothing to persist
	}
}

// miniasync's chain walk, compiled for any chain (out of line, so that
// default_chain_task below inlines only its own copy).
[[gnu::noinline]] enum future_state any_chain_task(struct future_context *ctx,
		struct future_notifier *n) noexcept
{
	return async_chain_impl(ctx, n);
}

} // namespace

// The chain task of a default-mover future: miniasync's chain walk,
// async_chain_impl, then the outcome into the future's output once the walk
// is complete (op_done's work for the other kinds: this op entry has no map
// function; polling a complete future does not run its task, so the
// outcome is stored once, as op_done would store it). Where the chain is what build() made it (one entry, marked
// LAST, no lazy init, its task default_op_task) the walk is inlined with
// those facts known, and the compiler reduces it to that entry's steps: no
// loop and no indirect call on the 64 B future's hot path
// (docs/PERFORMANCE.md). Any other chain takes the walk compiled for all:
// among them the futures of <libpmem2/operations.h>, whose op entry has an
// init hook (entry_init below).
[[gnu::flatten]] enum future_state default_chain_task(struct future_context *ctx,
		struct future_notifier *n) noexcept
{
	pmem2_future *f = future_of_chain(ctx);
	const future_chain_entry *e = generic(&f->data.op);
	enum future_state st;
	if (e->future.task == default_op_task && e->init == nullptr &&
			FUTURE_CHAIN_ENTRY_IS_LAST(e)) [[likely]]
		st = async_chain_impl(ctx, n);
	else
		st = any_chain_task(ctx, n);
	if (st == FUTURE_STATE_COMPLETE)
		f->output.result = result_of_op(&f->data.op.fut.data, &f->data.op.fut.output,
			in_status_word);
	return st;
}

namespace {

// The persist step of a foreign mover's future: its output word holds the
// request, its entry's map_arg the guard.
enum future_state persist_step(struct future_context *ctx, struct future_notifier *n) noexcept
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	pmem2_future *f = future_of_fin(ctx);
	auto &p = f->data.fin.fut.persist;
	auto *g = static_cast<map_guard *>(f->data.fin.map_arg);
	durable::request r = durable::unpack(p.output.unused);
	durable::hazard_slot *held;
	std::int32_t st = durable::status_refused;
	if (durable::guard_enter_here(g, r.gen, held)) {
		st = durable::run_persist(p.data.ptr, p.data.size, r);
		durable::guard_leave_here(g, held);
	}
	f->output.result = result_of_status(st);
	return FUTURE_STATE_COMPLETE;
}

// Lazy init of a foreign mover's op: created at the first poll, and only
// while the map lives. Refused, the operation is marked as carrying a
// refused operation with status_refused in the status word, so op_done reports
// it like our movers' refusals.
void op_lazy_init(void *future, struct future_context *, void *) noexcept
{
	auto *fut = static_cast<vdm_operation_future *>(future);
	auto *f = reinterpret_cast<pmem2_future *>(static_cast<char *>(future) -
		offsetof(pmem2_future, data.op.fut));
	durable::request r = durable::unpack(f->data.fin.fut.persist.output.unused);
	map_guard *g = durable::guard_of(fut->data.operation);
	if (g->gen.load(std::memory_order_acquire) != r.gen) {
		durable::set_status(fut->data.operation, durable::status_refused);
		f->data.op.map_arg = in_status_word;
		fut->output.result = VDM_ERROR_JOB_CORRUPTED;
		FUTURE_INIT_COMPLETE(fut);
		fut->base.has_property = future_has_property_default;
		return;
	}
	vdm_generic_operation(fut->data.vdm, fut);
	if (!fut->base.has_property)
		fut->base.has_property = future_has_property_default;
}

// ---------------------------------------------------------------------------
// Construction.

// The operation as the original builds it, whatever becomes of it (callers
// inspect it): the request's fields, the mover and the map's guard.
void fill_operation(vdm_operation_future &op, const op_args &a, struct vdm *mover,
		std::uint64_t vflags, map_guard *guard) noexcept
{
	vdm_operation &o = op.data.operation;
	std::memset(&o, 0, sizeof(o));
	o.type = a.type;
	if (a.batch != nullptr) {
		durable::batch_op b = *a.batch;
		b.flags = vflags | durable::f_batch;
		durable::set_batch(o, b);
	} else if (a.type == VDM_OPERATION_FLUSH) {
		o.data.flush.dest = a.dest;
		o.data.flush.n = a.len;
		o.data.flush.flags = vflags;
	} else if (a.type == VDM_OPERATION_MEMSET) {
		o.data.memset.str = a.dest;
		o.data.memset.c = a.c;
		o.data.memset.n = a.len;
		o.data.memset.flags = vflags;
	} else {
		o.data.memcpy.dest = a.dest;
		o.data.memcpy.src = const_cast<void *>(a.src);
		o.data.memcpy.n = a.len;
		o.data.memcpy.flags = vflags;
	}
	durable::set_guard(o, guard);
	op.data.vdm = mover;
	op.output.type = a.type;
	op.output.result = VDM_SUCCESS;
	op.output.output.memcpy.dest = nullptr;
}


durable::request request_for(const pmem2_map *map, const op_args &a) noexcept
{
	return {map->guard_gen, static_cast<unsigned>(map->granularity), a.flags & allowed_flags};
}

// The vdm flags the original requests (callers inspect them): durable at
// CACHE_LINE when the mover supports it.
std::uint64_t original_vdm_flags(const pmem2_map *map, const struct vdm *mover) noexcept
{
	return map->granularity == PMEM2_GRANULARITY_CACHE_LINE &&
		vdm_is_supported(const_cast<struct vdm *>(mover), VDM_F_MEM_DURABLE) ?
		VDM_F_MEM_DURABLE : 0;
}

// What a request becomes: an operation that runs, or a future that is
// complete at once with `result` (validation errors, with their message
// set, and zero-length operations).
struct verdict {
	bool runs;
	int result;
};

// The checks in the original's order: the first that fails decides.
verdict judge(const pmem2_map *map, const op_args &a) noexcept
{
	if (!map) [[unlikely]] {
		set_errormsg("map is NULL");
		return {false, -EINVAL};
	}
	if (a.batch != nullptr) [[unlikely]] {
		// Entries were checked when added; the mover was checked when
		// the batch was made.
		return {a.batch->count != 0, 0};
	}
	if (a.flags & ~allowed_flags) [[unlikely]] {
		set_errormsg("invalid flags 0x%x for an asynchronous durable operation "
			"(allowed: NONTEMPORAL, TEMPORAL, WC, WB)", a.flags);
		return {false, -EINVAL};
	}
	if (!range_in_map(*map, a.dest, a.len)) [[unlikely]] {
		set_errormsg("destination range [%p, +%zu) is not inside the map [%p, +%zu)",
			a.dest, a.len, map->addr, map->content_length);
		return {false, PMEM2_E_MAP_RANGE};
	}
	if (a.src == nullptr && a.len != 0 &&
	    (a.type == VDM_OPERATION_MEMCPY || a.type == VDM_OPERATION_MEMMOVE)) [[unlikely]] {
		set_errormsg("the source is NULL");
		return {false, -EINVAL};
	}
	if (!map->writable && a.type != VDM_OPERATION_FLUSH) [[unlikely]] {
		// Writing would fault (on a worker, with the threads mover).
		set_errormsg("the map at %p is not writable (mapped without PMEM2_PROT_WRITE)",
			map->addr);
		return {false, PMEM2_E_NO_ACCESS};
	}
	if (a.len == 0) [[unlikely]]
		return {false, 0};
	return {true, 0};
}

// The rest of a future that is complete at once (the verdict's result is
// in its output already): polling it is a no-op. Out of line, off the
// builder's hot path.
[[gnu::cold, gnu::noinline]] void complete_now(pmem2_future &f) noexcept
{
	vdm_operation_future &op = f.data.op.fut;
	op.data.data = nullptr;
	FUTURE_INIT_COMPLETE(&op);
	op.base.has_property = future_has_property_default;
	f.data.op.map = nullptr;
	f.data.op.map_arg = nullptr;
	generic(&f.data.op)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST | FUTURE_CHAIN_FLAG_ENTRY_PROCESSED;
	std::memset(&f.data.fin, 0, sizeof(f.data.fin));	// unused (DIFFERENCES.md B6)
	FUTURE_CHAIN_INIT(&f);
	f.base.context.state = FUTURE_STATE_COMPLETE;
}

// The one builder of a pmem2 future, for every verdict; K is the map's
// mover kind (a NULL map, always refused, is built as the default mover's,
// without mover or guard), so each kind's future is written without
// branches on the kind. Every member is written once, to what a zeroed
// future with these members set would hold (no blanket memset of the 328
// bytes: creating the 64 B future is on its measured hot path,
// docs/PERFORMANCE.md); the unused `fin` entry is zeroed (DIFFERENCES.md B6).
// tests/async checks that every byte is written.
template <durable::mover_kind K>
void build(pmem2_future &f, pmem2_map *map, const op_args &a, verdict v) noexcept
{
	using durable::mover_kind;
	vdm_operation_future &op = f.data.op.fut;
	auto *op_entry = generic(&f.data.op);
	f.output.dest = a.dest;
	f.output.result = v.result;
	f.output.reserved = 0;
	f.data.op.init = nullptr;
	f.data.op.init_arg = nullptr;

	// The operation, whatever the verdict, with the flags the original
	// requests; the threads mover also finds the request there.
	struct vdm *mover = nullptr;
	map_guard *guard = nullptr;
	durable::request req{};
	std::uint64_t vflags = 0;
	if (map) [[likely]] {
		mover = K == mover_kind::builtin ? &default_vdm : map->vdm;
		guard = map->guard;
		req = request_for(map, a);
		// The default mover supports VDM_F_MEM_DURABLE (default_vdm's
		// capabilities): the flags are known without asking it.
		if constexpr (K == mover_kind::builtin)
			vflags = map->granularity == PMEM2_GRANULARITY_CACHE_LINE ? VDM_F_MEM_DURABLE : 0;
		else
			vflags = original_vdm_flags(map, mover);
		if constexpr (K == mover_kind::ours)
			vflags |= durable::pack(req);
	}
	fill_operation(op, a, mover, vflags, guard);
	if (!v.runs) [[unlikely]] {
		complete_now(f);
		return;
	}

	f.data.op.map = K == mover_kind::builtin ? nullptr : op_done;
	if constexpr (K == mover_kind::builtin) {
		// The op task runs the operation without the indirect calls of
		// vdm_operation_impl; no map function, default_chain_task stores
		// the outcome (map_arg names where it is, as for the threads mover).
		op.data.data = default_mover_token(req);
		FUTURE_INIT(&op, default_op_task);
		f.data.op.map_arg = in_status_word;
		op_entry->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		std::memset(&f.data.fin, 0, sizeof(f.data.fin));	// unused (DIFFERENCES.md B6)
	} else if constexpr (K == mover_kind::ours) {
		// Its op_new allocates nothing: the operation is made now.
		vdm_generic_operation(mover, &op);
		if (!op.base.has_property)
			op.base.has_property = future_has_property_default;
		f.data.op.map_arg = in_status_word;
		op_entry->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		std::memset(&f.data.fin, 0, sizeof(f.data.fin));	// unused (DIFFERENCES.md B6)
	} else {
		// The operation is made by op_lazy_init at the first poll; until
		// then it has no task. Sizes are needed by the chain walk only
		// after init runs, but set them now so the future is well-formed
		// when inspected.
		op.data.data = nullptr;
		op.base.task = nullptr;
		op.base.has_property = nullptr;
		op.base.context.data_size = sizeof(op.data);
		op.base.context.output_size = sizeof(op.output);
		op.base.context.state = FUTURE_STATE_IDLE;
		op.base.context.padding = 0;
		f.data.op.map_arg = nullptr;
		f.data.op.init = op_lazy_init;
		auto &p = f.data.fin.fut.persist;
		p.data.map = map;
		p.data.ptr = a.dest;
		p.data.size = a.len;
		p.output.unused = durable::pack(req);
		FUTURE_INIT(&p, persist_step);
		f.data.fin.map = nullptr;
		f.data.fin.map_arg = guard;
		f.data.fin.init = nullptr;
		f.data.fin.init_arg = nullptr;
		generic(&f.data.fin)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		op_entry->flags = 0;
	}
	FUTURE_CHAIN_INIT(&f);
	if constexpr (K == mover_kind::builtin)
		f.base.task = default_chain_task;
}

// build() for the map's mover kind.
inline void build_for(pmem2_future &f, pmem2_map *map, const op_args &a, verdict v) noexcept
{
	switch (map ? map->mover : durable::mover_kind::builtin) {
	case durable::mover_kind::builtin: [[likely]]
		build<durable::mover_kind::builtin>(f, map, a, v);
		break;
	case durable::mover_kind::ours:
		build<durable::mover_kind::ours>(f, map, a, v);
		break;
	case durable::mover_kind::foreign:
		build<durable::mover_kind::foreign>(f, map, a, v);
		break;
	}
}

// ---------------------------------------------------------------------------
// Futures of one entry (<libpmem2/operations.h>).
//
// The entry is kept in the `fin` entry's bytes, which the builtin and ours
// kinds leave unused (DIFFERENCES.md B6): the op entry is marked LAST, so
// the chain walk never reads them. The batch_op in the operation must point
// at the entry, but a future moves by value until its first poll, so the
// pointer is set by the op entry's init hook, which the chain walk
// (async_chain_impl) runs before the entry's task at the first poll (or at
// a property query, which is as good as a poll: the future stays put from
// then on). Every mover of ours reads the operation only from op_start on,
// in place in the polled future: op_new returns a token and copies nothing
// (threads_op_new, sync_op_new, dml_op_new, the default mover's dm_op_new);
// op_start takes the operation from the future (the threads mover's slot
// and the DSA mover's slot copy it then, the sync and default movers run it
// in place), that is after the hook ran. The copy names the entry inside
// the future, which does not move while the operation runs.

static_assert(sizeof(durable::batch_entry) <= sizeof(pmem2_future{}.data.fin),
	"a batch entry fits in the unused persist entry");
static_assert(offsetof(pmem2_future, data.fin) % alignof(durable::batch_entry) == 0);

} // namespace

const durable::batch_entry *entry_in(const pmem2_future &f) noexcept
{
	return reinterpret_cast<const durable::batch_entry *>(&f.data.fin);
}

namespace {

void entry_init(void *future, struct future_context *, void *) noexcept
{
	auto *fut = static_cast<vdm_operation_future *>(future);
	auto *f = reinterpret_cast<pmem2_future *>(static_cast<char *>(future) -
		offsetof(pmem2_future, data.op.fut));
	vdm_operation &o = fut->data.operation;
	durable::batch_op b = durable::batch_of(o);
	b.entries = entry_in(*f);
	durable::set_batch(o, b);
}

} // namespace

pmem2_future make_entry_future(pmem2_map *map, const durable::batch_entry &e, int code,
	bool runs) noexcept
{
	// The entry pointer is set at the first poll (entry_init).
	const durable::batch_op b{nullptr, 1, 0, e.n};
	const op_args a{VDM_OPERATION_FLUSH, e.dest, nullptr, 0, e.n, 0, &b};
	pmem2_future f;
	const verdict v{code == 0 && runs && (!map || map->mover != durable::mover_kind::foreign),
		code};
	build_for(f, map, a, v);
	if (v.runs) {
		std::memcpy(static_cast<void *>(&f.data.fin), &e, sizeof(e));
		f.data.op.init = entry_init;
		if (checking()) [[unlikely]]
			watch(f);
	}
	return f;
}

int entry_of_future(const pmem2_future &f, const pmem2_map &map, durable::batch_entry &e,
	const char *fn) noexcept
{
	if (f.base.context.state != FUTURE_STATE_IDLE) {
		set_errormsg("%s: the future was polled already or is complete", fn);
		return -EALREADY;
	}
	const vdm_operation &o = f.data.op.fut.data.operation;
	const bool builtin = f.base.task == default_chain_task || is_watched(f.base.task, true);
	const bool ours = !builtin &&
		(f.base.task == async_chain_impl || is_watched(f.base.task, false)) &&
		f.data.op.map == op_done && f.data.op.init != op_lazy_init;
	if (!builtin && !ours) {
		set_errormsg("%s: not a future of a map whose mover runs batches", fn);
		return PMEM2_E_NOSUPP;
	}
	const durable::request r = builtin ?
		durable::unpack(reinterpret_cast<std::uintptr_t>(f.data.op.fut.data.data)) :
		durable::unpack(durable::flags_of(o));
	if (durable::guard_of(o) != map.guard || r.gen != map.guard_gen) {
		set_errormsg("%s: the future is not of the batch's map", fn);
		return -EXDEV;
	}
	if (f.data.op.init == entry_init) {
		std::memcpy(static_cast<void *>(&e), entry_in(f), sizeof(e));
		return 0;
	}
	if (durable::is_batch(o)) {
		set_errormsg("%s: the future is a batch's", fn);
		return PMEM2_E_NOSUPP;
	}
	switch (o.type) {
	case VDM_OPERATION_MEMCPY:
		e = {durable::entry_kind::copy, r.hints, o.data.memcpy.dest, o.data.memcpy.src, 0,
			o.data.memcpy.n};
		break;
	case VDM_OPERATION_MEMMOVE:
		e = {durable::entry_kind::move, r.hints, o.data.memmove.dest, o.data.memmove.src, 0,
			o.data.memmove.n};
		break;
	case VDM_OPERATION_MEMSET:
		e = {durable::entry_kind::fill, r.hints, o.data.memset.str, nullptr, o.data.memset.c,
			o.data.memset.n};
		break;
	case VDM_OPERATION_FLUSH:
		e = {durable::entry_kind::persist, 0, o.data.flush.dest, nullptr, 0, o.data.flush.n};
		break;
	}
	return 0;
}

pmem2_future make_batch_future(pmem2_map *map, const durable::batch_op &b) noexcept
{
	return make_future(map, op_args{VDM_OPERATION_FLUSH, nullptr, nullptr, 0, b.bytes, 0, &b});
}

pmem2_future make_future(pmem2_map *map, const op_args &a) noexcept
{
	pmem2_future f;
	const verdict v = judge(map, a);
	build_for(f, map, a, v);
	if (v.runs && checking()) [[unlikely]]
		watch(f);
	return f;
}

} // namespace pmem2::async
