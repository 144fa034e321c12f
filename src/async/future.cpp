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

#include "async/default_mover.hpp"
#include "common/errormsg.hpp"
#include "durable/guard.hpp"
#include "durable/services.hpp"
#include "map/map.hpp"

namespace pmem2::async {
namespace {

using durable::map_guard;

// Hints that make sense for a durable asynchronous operation; NODRAIN and
// NOFLUSH would break the promise and are rejected.
constexpr unsigned allowed_flags = PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_TEMPORAL |
	PMEM2_F_MEM_WC | PMEM2_F_MEM_WB;

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

// The chain task of a default-mover future (op entry only, marked LAST):
// the steps of async_chain_impl for that one entry, inlined.
enum future_state default_chain_task(struct future_context *ctx, struct future_notifier *n) noexcept
{
	pmem2_future *f = future_of_chain(ctx);
	future_chain_entry *entry = generic(&f->data.op);
	if (!FUTURE_CHAIN_ENTRY_IS_PROCESSED(entry)) {
		future_context *op_ctx = &f->data.op.fut.base.context;
		if (op_ctx->state != FUTURE_STATE_COMPLETE)
			op_ctx->state = default_op_task(op_ctx, n);
		op_done(op_ctx, ctx, in_status_word);
		entry->flags |= FUTURE_CHAIN_FLAG_ENTRY_PROCESSED;
	}
	return FUTURE_STATE_COMPLETE;
}

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

void fill_operation(vdm_operation_future &op, const op_args &a, std::uint64_t vflags) noexcept
{
	vdm_operation &o = op.data.operation;
	std::memset(&o, 0, sizeof(o));
	o.type = a.type;
	if (a.type == VDM_OPERATION_MEMSET) {
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
	op.output.type = a.type;
	op.output.result = VDM_SUCCESS;
	op.output.output.memcpy.dest = nullptr;
}

// A future that is already complete with `result` (validation errors and
// zero-length operations): polling it is a no-op.
void complete_now(pmem2_future &f, int result) noexcept
{
	FUTURE_INIT_COMPLETE(&f.data.op.fut);
	f.data.op.fut.base.has_property = future_has_property_default;
	generic(&f.data.op)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST | FUTURE_CHAIN_FLAG_ENTRY_PROCESSED;
	f.output.result = result;
	FUTURE_CHAIN_INIT(&f);
	f.base.context.state = FUTURE_STATE_COMPLETE;
}

bool dest_in_map(const pmem2_map *map, const op_args &a) noexcept
{
	auto base = reinterpret_cast<std::uintptr_t>(map->addr);
	auto dest = reinterpret_cast<std::uintptr_t>(a.dest);
	return dest >= base && dest - base <= map->content_length &&
		a.len <= map->content_length - (dest - base);
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

// The common case, a valid non-empty operation on the default mover: every
// member written once (no blanket memset of the 328 bytes), and chain and
// op tasks that run the operation without indirect calls.
void init_default(pmem2_future &f, pmem2_map *map, const op_args &a) noexcept
{
	vdm_operation_future &op = f.data.op.fut;
	fill_operation(op, a, map->granularity == PMEM2_GRANULARITY_CACHE_LINE ?
		VDM_F_MEM_DURABLE : 0);
	op.data.vdm = &default_vdm;
	durable::set_guard(op.data.operation, map->guard);
	op.data.data = default_mover_token(request_for(map, a));
	FUTURE_INIT(&op, default_op_task);
	f.data.op.map = op_done;
	f.data.op.map_arg = in_status_word;
	f.data.op.init = nullptr;
	f.data.op.init_arg = nullptr;
	generic(&f.data.op)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
	std::memset(&f.data.fin, 0, sizeof(f.data.fin));	// unused (gap B6)
	f.output.dest = a.dest;
	f.output.result = 0;
	f.output.reserved = 0;
	FUTURE_CHAIN_INIT(&f);
	f.base.task = default_chain_task;
}

} // namespace

pmem2_future make_future(pmem2_map *map, const op_args &a) noexcept
{
	pmem2_future f;
	if (map && map->mover == durable::mover_kind::builtin && !(a.flags & ~allowed_flags) &&
			a.len != 0 && dest_in_map(map, a) && map->writable) [[likely]] {
		init_default(f, map, a);
		return f;
	}
	std::memset(&f, 0, sizeof(f));	// fin stays zeroed when unused (gap B6)
	f.output.dest = a.dest;
	f.output.result = 0;

	if (!map) {
		set_errormsg("map is NULL");
		fill_operation(f.data.op.fut, a, 0);
		complete_now(f, -EINVAL);
		return f;
	}
	durable::mover_kind kind = map->mover;
	struct vdm *mover = kind == durable::mover_kind::builtin ? &default_vdm : map->vdm;
	durable::request req = request_for(map, a);
	// Flags as the original requests them (callers inspect them); the
	// threads mover also finds the request there.
	std::uint64_t vflags = original_vdm_flags(map, mover);
	if (kind == durable::mover_kind::ours)
		vflags |= durable::pack(req);
	fill_operation(f.data.op.fut, a, vflags);
	f.data.op.fut.data.vdm = mover;
	durable::set_guard(f.data.op.fut.data.operation, map->guard);

	if (a.flags & ~allowed_flags) {
		set_errormsg("invalid flags 0x%x for an asynchronous durable operation "
			"(allowed: NONTEMPORAL, TEMPORAL, WC, WB)", a.flags);
		complete_now(f, -EINVAL);
		return f;
	}
	if (!dest_in_map(map, a)) {
		set_errormsg("destination range [%p, +%zu) is not inside the map [%p, +%zu)",
			a.dest, a.len, map->addr, map->content_length);
		complete_now(f, PMEM2_E_MAP_RANGE);
		return f;
	}
	if (!map->writable) {
		// Writing would fault (on a worker, with the threads mover).
		set_errormsg("the map at %p is not writable (mapped without PMEM2_PROT_WRITE)",
			map->addr);
		complete_now(f, PMEM2_E_NO_ACCESS);
		return f;
	}
	if (a.len == 0) {
		complete_now(f, 0);
		return f;
	}

	auto *op_entry = generic(&f.data.op);
	f.data.op.map = op_done;
	f.data.op.map_arg = kind == durable::mover_kind::foreign ? nullptr : in_status_word;
	switch (kind) {
	case durable::mover_kind::builtin:
		f.data.op.fut.data.data = default_mover_token(req);
		FUTURE_INIT(&f.data.op.fut, default_op_task);
		op_entry->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		break;
	case durable::mover_kind::ours:
		// Its op_new allocates nothing: the operation is made now.
		vdm_generic_operation(mover, &f.data.op.fut);
		if (!f.data.op.fut.base.has_property)
			f.data.op.fut.base.has_property = future_has_property_default;
		op_entry->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		break;
	case durable::mover_kind::foreign: {
		// Sizes are needed by the chain walk only after init runs, but
		// set them now so the future is well-formed when inspected.
		f.data.op.fut.base.context.data_size = sizeof(f.data.op.fut.data);
		f.data.op.fut.base.context.output_size = sizeof(f.data.op.fut.output);
		f.data.op.init = op_lazy_init;
		auto &p = f.data.fin.fut.persist;
		p.data.map = map;
		p.data.ptr = a.dest;
		p.data.size = a.len;
		p.output.unused = durable::pack(req);
		FUTURE_INIT(&p, persist_step);
		f.data.fin.map = nullptr;
		f.data.fin.map_arg = map->guard;
		generic(&f.data.fin)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		op_entry->flags = 0;
		break;
	}
	}
	FUTURE_CHAIN_INIT(&f);
	return f;
}

} // namespace pmem2::async
