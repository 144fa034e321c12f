#include "async/default_mover.hpp"

#include <cstdint>

#include <libpmem2/base.h>

#include "durable/guard.hpp"
#include "durable/run.hpp"
#include "durable/services.hpp"

namespace pmem2::async {
namespace {

// Only reached through vdm_memcpy() & co. on this mover, which callers
// cannot obtain: a token without a request, so op_start refuses it.
char token;

void *dm_op_new(struct vdm *, enum vdm_operation_type) noexcept
{
	return &token;	// non-null: vdm_operation_impl treats nullptr as out of memory
}

// The work happens here. An operation without a request or whose map is
// gone is refused and writes nothing.
int dm_op_start(void *data, const struct vdm_operation *cop, struct future_notifier *n) noexcept
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	// op points into the caller's future, whose status word is ours.
	auto &op = const_cast<vdm_operation &>(*cop);
	auto word = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(data));
	durable::map_guard *g = durable::guard_of(op);
	durable::request r = durable::unpack(word);
	durable::hazard_slot *held;
	if (data == &token || !durable::is_request(word) || g == nullptr ||
	    !durable::guard_enter_here(g, r.gen, held)) {
		durable::set_status(op, durable::status_refused);
		return 0;
	}
	// As the original: the default mover streams at CACHE_LINE unless the
	// caller asked for temporal stores.
	if (r.granularity == PMEM2_GRANULARITY_CACHE_LINE &&
	    !(r.hints & (PMEM2_F_MEM_TEMPORAL | PMEM2_F_MEM_WB)))
		r.hints |= PMEM2_F_MEM_NONTEMPORAL;
	// DIFFERENCES.md B9: the original aborts on FLUSH; here flush means persist.
	int st = durable::run_range(op, durable::whole_op{}, r, durable::direct_kernels{});
	durable::guard_leave_here(g, held);
	durable::set_status(op, st);
	return 0;
}

enum future_state dm_op_check(void *, const struct vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;	// the work happened inside op_start
}

void dm_op_delete(void *, const struct vdm_operation *op, struct vdm_operation_output *out) noexcept
{
	out->type = op->type;
	out->result = durable::status_of(*op) == durable::status_ok ? VDM_SUCCESS :
		VDM_ERROR_JOB_CORRUPTED;
	switch (op->type) {
	case VDM_OPERATION_MEMCPY: out->output.memcpy.dest = op->data.memcpy.dest; break;
	case VDM_OPERATION_MEMMOVE: out->output.memmove.dest = op->data.memmove.dest; break;
	case VDM_OPERATION_MEMSET: out->output.memset.str = op->data.memset.str; break;
	default: out->output.flush.unused = 0; break;
	}
}

} // namespace

struct vdm default_vdm = {
	dm_op_new, dm_op_delete, dm_op_start, dm_op_check,
	VDM_F_MEM_DURABLE, future_has_property_default,
};

enum future_state default_op_task(struct future_context *ctx, struct future_notifier *n) noexcept
{
	auto *data = static_cast<vdm_operation_data *>(future_context_get_data(ctx));
	auto *out = static_cast<vdm_operation_output *>(future_context_get_output(ctx));
	dm_op_start(data->data, &data->operation, n);
	dm_op_delete(data->data, &data->operation, out);
	return FUTURE_STATE_COMPLETE;
}

} // namespace pmem2::async
