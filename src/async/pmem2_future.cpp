// pmem2_memcpy_async, pmem2_memmove_async, pmem2_memset_async and the
// map's default mover (pmem2_async.md), built so that a future completes
// only once its data is durable at the map's granularity.
//
// A pmem2 future is a two-entry miniasync chain: `op` (a vdm operation) and
// `fin` (a persist step). Which parts are used depends on the mover:
//   * default mover (ours, synchronous): the op copies with the map's
//     durable kernels on the polling thread; no persist step.
//   * movers advertising durable::cap_durable_ext (libminiasync's threads
//     mover): the worker copies AND makes the data durable; no persist step,
//     so the polling thread never blocks on persistence.
//   * any other mover: the op is created lazily at the first poll, then a
//     persist step runs on the polling thread (CACHE_LINE movers that
//     advertise VDM_F_MEM_DURABLE skip it, as in the original).
// Every mode checks the map guard (common/durable_op.hpp) so a future whose
// map was deleted completes with PMEM2_E_MAPPING_NOT_FOUND, writing nothing.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2/base.h>
#include <libpmem2/async.h>

#include "common/durable_op.hpp"
#include "common/errormsg.hpp"
#include "common/export.hpp"
#include "map/map.hpp"
#include "memops/memops.hpp"

namespace pmem2::async {
namespace {

using durable::map_guard;

// Hints that make sense for a durable asynchronous operation; NODRAIN and
// NOFLUSH would break the promise and are rejected.
constexpr unsigned allowed_flags = PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_TEMPORAL |
	PMEM2_F_MEM_WC | PMEM2_F_MEM_WB;

// The persist step's output word: bit 63 says "skip, result in low 32 bits";
// otherwise it holds the guard generation (low 32) and granularity (32..33).
constexpr std::uint64_t skip_bit = std::uint64_t(1) << 63;

future_chain_entry *generic(void *entry) noexcept
{
	return static_cast<future_chain_entry *>(entry);
}

// ---------------------------------------------------------------------------
// The default mover. Its per-operation token (vdm_operation_data.data) packs
// the guard generation (bits 0..31, odd when bound to a map), the map's
// granularity (32..33) and the caller's hints (40..45); the guard pointer
// sits in the operation's spare bytes and is cleared when the guard refused
// the operation. No per-operation memory exists, so nothing can leak.

std::uintptr_t dm_token(std::uint32_t gen, unsigned gran, unsigned hints) noexcept
{
	return std::uintptr_t(gen) | (std::uintptr_t(gran & 3) << 32) |
		(std::uintptr_t(hints & 0x3f) << 40);
}

void *dm_op_new(struct vdm *, enum vdm_operation_type) noexcept
{
	// Only reached through vdm_memcpy() & co. on the default mover, which
	// callers cannot obtain; an even generation makes op_start refuse it.
	return reinterpret_cast<void *>(std::uintptr_t(2));
}

int dm_op_start(void *data, const struct vdm_operation *op, struct future_notifier *n) noexcept
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	auto token = reinterpret_cast<std::uintptr_t>(data);
	auto gen = static_cast<std::uint32_t>(token);
	auto gran = static_cast<memops::granularity>((token >> 32) & 3);
	unsigned hints = unsigned(token >> 40) & 0x3f;
	// op points into the caller's future; the spare bytes are ours.
	void *opdata = const_cast<vdm_operation *>(op)->data.data;
	map_guard *g = durable::guard_of(opdata);
	durable::hazard_slot *held;
	if (!(gen & 1) || !g || !durable::guard_enter_here(g, gen, held)) {
		durable::set_guard(opdata, nullptr);
		return 0;
	}
	const memops::ops_table &t = memops::ops(gran);
	switch (op->type) {
	case VDM_OPERATION_MEMCPY:
	case VDM_OPERATION_MEMMOVE: {
		unsigned f = hints;
		// As the original: the default mover streams at CACHE_LINE
		// unless the caller asked for temporal stores.
		if (gran == memops::granularity::cache_line && !(f & (PMEM2_F_MEM_TEMPORAL | PMEM2_F_MEM_WB)))
			f |= PMEM2_F_MEM_NONTEMPORAL;
		t.memmove(op->data.memcpy.dest, op->data.memcpy.src, op->data.memcpy.n, f);
		break;
	}
	case VDM_OPERATION_MEMSET: {
		unsigned f = hints;
		if (gran == memops::granularity::cache_line && !(f & (PMEM2_F_MEM_TEMPORAL | PMEM2_F_MEM_WB)))
			f |= PMEM2_F_MEM_NONTEMPORAL;
		t.memset(op->data.memset.str, op->data.memset.c, op->data.memset.n, f);
		break;
	}
	case VDM_OPERATION_FLUSH:
		// gap B9: the original aborts here; flush means persist.
		t.persist(op->data.flush.dest, op->data.flush.n);
		break;
	default:
		durable::guard_leave_here(g, held);
		durable::set_guard(opdata, nullptr);
		return 0;
	}
	durable::guard_leave_here(g, held);
	return 0;
}

enum future_state dm_op_check(void *, const struct vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;	// the work happened inside op_start
}

void dm_op_delete(void *, const struct vdm_operation *op, struct vdm_operation_output *out) noexcept
{
	out->type = op->type;
	out->result = durable::guard_of(op->data.data) ? VDM_SUCCESS : VDM_ERROR_JOB_CORRUPTED;
	switch (op->type) {
	case VDM_OPERATION_MEMCPY: out->output.memcpy.dest = op->data.memcpy.dest; break;
	case VDM_OPERATION_MEMMOVE: out->output.memmove.dest = op->data.memmove.dest; break;
	case VDM_OPERATION_MEMSET: out->output.memset.str = op->data.memset.str; break;
	default: out->output.flush.unused = 0; break;
	}
}

// One instance for the process: it holds no state, so every map shares it
// and it stays valid after any map is deleted.
struct vdm default_vdm_instance = {
	dm_op_new, dm_op_delete, dm_op_start, dm_op_check,
	VDM_F_MEM_DURABLE, future_has_property_default,
};

// ---------------------------------------------------------------------------
// Chain callbacks.

int result_from_op(const vdm_operation_data *od, const vdm_operation_output *out,
		std::uint32_t gen) noexcept
{
	if (out->result == VDM_SUCCESS)
		return 0;
	if (out->result == VDM_ERROR_OUT_OF_MEMORY)
		return -ENOMEM;
	map_guard *g = durable::guard_of(od->operation.data.data);
	if (!g || g->gen.load(std::memory_order_acquire) != gen)
		return PMEM2_E_MAPPING_NOT_FOUND;
	return -EIO;
}

// Map of the op entry: turns the vdm result into ours. rhs is the persist
// step when one is attached, else the chain itself.
void op_done(struct future_context *lhs, struct future_context *rhs, void *arg) noexcept
{
	auto *od = static_cast<vdm_operation_data *>(future_context_get_data(lhs));
	auto *out = static_cast<vdm_operation_output *>(future_context_get_output(lhs));
	int err = result_from_op(od, out, std::uint32_t(reinterpret_cast<std::uintptr_t>(arg)));
	if (rhs->data_size == sizeof(pmem2_future_data)) {
		static_cast<pmem2_future_output *>(future_context_get_output(rhs))->result = err;
	} else if (err) {
		auto *po = static_cast<pmem2_persist_future_output *>(future_context_get_output(rhs));
		po->unused = skip_bit | std::uint32_t(err);
	}
}

// The default mover's op entry task: what vdm_operation_impl does for this
// mover (start, check, delete) in one call, without the indirect calls.
enum future_state dm_task(struct future_context *ctx, struct future_notifier *n) noexcept
{
	auto *data = static_cast<vdm_operation_data *>(future_context_get_data(ctx));
	auto *out = static_cast<vdm_operation_output *>(future_context_get_output(ctx));
	dm_op_start(data->data, &data->operation, n);
	dm_op_delete(data->data, &data->operation, out);
	return FUTURE_STATE_COMPLETE;
}

// The chain task of a default-mover future (op entry only, marked LAST):
// the steps of async_chain_impl for that one entry, inlined.
enum future_state dm_chain_task(struct future_context *ctx, struct future_notifier *n) noexcept
{
	auto *f = reinterpret_cast<pmem2_future *>(reinterpret_cast<char *>(ctx) -
		offsetof(struct future, context));
	future_chain_entry *entry = generic(&f->data.op);
	if (!FUTURE_CHAIN_ENTRY_IS_PROCESSED(entry)) {
		future_context *op_ctx = &f->data.op.fut.base.context;
		if (op_ctx->state != FUTURE_STATE_COMPLETE)
			op_ctx->state = dm_task(op_ctx, n);
		op_done(op_ctx, ctx, entry->map_arg);
		entry->flags |= FUTURE_CHAIN_FLAG_ENTRY_PROCESSED;
	}
	return FUTURE_STATE_COMPLETE;
}

// The persist step's task (used only inside a pmem2_future, where the chain
// entry's map_arg holds the guard).
enum future_state persist_step(struct future_context *ctx, struct future_notifier *n) noexcept
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	auto *pd = static_cast<pmem2_persist_future_data *>(future_context_get_data(ctx));
	auto *po = static_cast<pmem2_persist_future_output *>(future_context_get_output(ctx));
	std::uint64_t v = po->unused;
	if (v & skip_bit)
		return FUTURE_STATE_COMPLETE;
	auto *entry = reinterpret_cast<future_chain_entry *>(reinterpret_cast<char *>(ctx) -
		offsetof(future_chain_entry, future) - offsetof(struct future, context));
	auto *g = static_cast<map_guard *>(entry->map_arg);
	auto gen = static_cast<std::uint32_t>(v);
	auto gran = static_cast<memops::granularity>((v >> 32) & 3);
	durable::hazard_slot *held;
	if (durable::guard_enter_here(g, gen, held)) {
		memops::ops(gran).persist(pd->ptr, pd->size);
		durable::guard_leave_here(g, held);
		po->unused = 0;
	} else {
		po->unused = skip_bit | std::uint32_t(PMEM2_E_MAPPING_NOT_FOUND);
	}
	return FUTURE_STATE_COMPLETE;
}

// Map of the persist step: publishes its result into the chain output.
void fin_done(struct future_context *lhs, struct future_context *rhs, void *) noexcept
{
	auto *po = static_cast<pmem2_persist_future_output *>(future_context_get_output(lhs));
	auto *fo = static_cast<pmem2_future_output *>(future_context_get_output(rhs));
	if (po->unused & skip_bit)
		fo->result = static_cast<int>(static_cast<std::uint32_t>(po->unused));
}

// Lazy init of a foreign mover's op: created at the first poll (so a
// dropped future never reached the mover) and only while the map lives.
void op_lazy_init(void *future, struct future_context *, void *arg) noexcept
{
	auto *fut = static_cast<vdm_operation_future *>(future);
	auto gen = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(arg));
	map_guard *g = durable::guard_of(fut->data.operation.data.data);
	if (g->gen.load(std::memory_order_acquire) != gen) {
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

struct op_args {
	vdm_operation_type type;
	void *dest;
	const void *src;
	int c;
	std::size_t len;
	unsigned flags;
};

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

bool uses_default_mover(const pmem2_map *map) noexcept
{
	return map->vdm == nullptr || map->vdm == &default_vdm_instance || map->vdm_owned;
}

bool dest_in_map(const pmem2_map *map, const op_args &a) noexcept
{
	auto base = reinterpret_cast<std::uintptr_t>(map->addr);
	auto dest = reinterpret_cast<std::uintptr_t>(a.dest);
	return dest >= base && dest - base <= map->content_length &&
		a.len <= map->content_length - (dest - base);
}

// The common case, a valid non-empty operation on the default mover: every
// member written once (no blanket memset of the 328 bytes), and chain and
// op tasks that run the operation without indirect calls. Same layout,
// values and behaviour as the general path below builds for this case.
void init_default(pmem2_future &f, pmem2_map *map, const op_args &a) noexcept
{
	auto gran = static_cast<unsigned>(map->granularity);
	vdm_operation_future &op = f.data.op.fut;
	fill_operation(op, a, map->granularity == PMEM2_GRANULARITY_CACHE_LINE ?
		VDM_F_MEM_DURABLE : 0);
	op.data.vdm = &default_vdm_instance;
	durable::set_guard(op.data.operation.data.data, map->guard);
	op.data.data = reinterpret_cast<void *>(dm_token(map->guard_gen, gran, a.flags));
	FUTURE_INIT(&op, dm_task);
	f.data.op.map = op_done;
	f.data.op.map_arg = reinterpret_cast<void *>(std::uintptr_t(map->guard_gen));
	f.data.op.init = nullptr;
	f.data.op.init_arg = nullptr;
	generic(&f.data.op)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
	std::memset(&f.data.fin, 0, sizeof(f.data.fin));	// unused (gap B6)
	f.output.dest = a.dest;
	f.output.result = 0;
	f.output.reserved = 0;
	FUTURE_CHAIN_INIT(&f);
	f.base.task = dm_chain_task;
}

pmem2_future make_future(pmem2_map *map, const op_args &a) noexcept
{
	pmem2_future f;
	if (map && uses_default_mover(map) && !(a.flags & ~allowed_flags) && a.len != 0 &&
			dest_in_map(map, a)) [[likely]] {
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
	auto gran = static_cast<unsigned>(map->granularity);
	struct vdm *mover = map->vdm ? map->vdm : &default_vdm_instance;
	bool is_default = mover == &default_vdm_instance || map->vdm_owned;
	if (is_default)
		mover = &default_vdm_instance;
	bool ext = !is_default && (mover->capabilities & durable::cap_durable_ext);
	bool durable_cap = vdm_is_supported(mover, VDM_F_MEM_DURABLE);

	// vdm flags as the original requests them (callers inspect them).
	std::uint64_t vflags = 0;
	if (ext)
		vflags = durable::encode(gran, a.flags, map->guard_gen);
	else if (map->granularity == PMEM2_GRANULARITY_CACHE_LINE && durable_cap)
		vflags = VDM_F_MEM_DURABLE;
	fill_operation(f.data.op.fut, a, vflags);
	f.data.op.fut.data.vdm = mover;
	durable::set_guard(f.data.op.fut.data.operation.data.data, map->guard);

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
	if (a.len == 0) {
		complete_now(f, 0);
		return f;
	}

	auto *op_entry = generic(&f.data.op);
	void *gen_arg = reinterpret_cast<void *>(std::uintptr_t(map->guard_gen));
	bool need_persist = false;
	if (is_default) {
		f.data.op.fut.data.data = reinterpret_cast<void *>(
			dm_token(map->guard_gen, gran, a.flags));
		FUTURE_INIT(&f.data.op.fut, vdm_operation_impl);
	} else if (ext) {
		vdm_generic_operation(mover, &f.data.op.fut);
		if (!f.data.op.fut.base.has_property)
			f.data.op.fut.base.has_property = future_has_property_default;
	} else {
		// Sizes are needed by the chain walk only after init runs, but
		// set them now so the future is well-formed when inspected.
		f.data.op.fut.base.context.data_size = sizeof(f.data.op.fut.data);
		f.data.op.fut.base.context.output_size = sizeof(f.data.op.fut.output);
		f.data.op.init = op_lazy_init;
		f.data.op.init_arg = gen_arg;
		need_persist = !(map->granularity == PMEM2_GRANULARITY_CACHE_LINE && durable_cap);
	}
	f.data.op.map = op_done;
	f.data.op.map_arg = gen_arg;

	if (need_persist) {
		auto &p = f.data.fin.fut.persist;
		p.data.map = map;
		p.data.ptr = a.dest;
		p.data.size = a.len;
		p.output.unused = std::uint64_t(map->guard_gen) | (std::uint64_t(gran) << 32);
		FUTURE_INIT(&p, persist_step);
		f.data.fin.map = fin_done;
		f.data.fin.map_arg = map->guard;
		f.data.fin.init = nullptr;
		f.data.fin.init_arg = nullptr;
		generic(&f.data.fin)->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
		op_entry->flags = 0;
	} else {
		op_entry->flags = FUTURE_CHAIN_FLAG_ENTRY_LAST;
	}
	FUTURE_CHAIN_INIT(&f);
	return f;
}

} // namespace

struct vdm *default_vdm() noexcept { return &default_vdm_instance; }

} // namespace pmem2::async

using pmem2::async::make_future;
using pmem2::async::op_args;

PMEM2_EXPORT struct pmem2_future pmem2_memcpy_async(struct pmem2_map *map,
	void *pmemdest, const void *src, size_t len, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMCPY, pmemdest, src, 0, len, flags});
}

PMEM2_EXPORT struct pmem2_future pmem2_memmove_async(struct pmem2_map *map,
	void *pmemdest, const void *src, size_t len, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMMOVE, pmemdest, src, 0, len, flags});
}

PMEM2_EXPORT struct pmem2_future pmem2_memset_async(struct pmem2_map *map,
	void *str, int c, size_t n, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMSET, str, nullptr, c, n, flags});
}
