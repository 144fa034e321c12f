// The synchronous mover: the first poll performs the operation. The
// per-operation "state" is a token (the mover itself); nothing is stored.
// A durable operation (libpmem2's request, durable/protocol.hpp) enters its
// map's guard, runs through libpmem2's services (durable when they return:
// the map's kernels, its msync on a PAGE map) and leaves the guard; its
// status goes back in the operation's status word.
#include <libminiasync/data_mover_sync.h>

#include <new>

#include "common/export.hpp"
#include "durable/batch.hpp"
#include "durable/protocol.hpp"
#include "durable/run.hpp"
#include "internal.hpp"
#include "ops.hpp"

struct data_mover_sync {
	vdm base;	// first: callbacks recover the mover from it
};

namespace pmem2::masync {
namespace {

void *sync_op_new(vdm *v, const vdm_operation_type) noexcept
{
	return v;
}

int sync_op_start(void *, const vdm_operation *op, future_notifier *n) noexcept
{
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	const std::uint64_t flags = durable::flags_of(*op);
	if (!durable::is_request(flags)) {
		run_plain(*op, 0, op_length(*op));
		return 0;
	}
	auto &o = const_cast<vdm_operation &>(*op);
	const durable::request r = durable::unpack(flags);
	durable::map_guard *g = durable::guard_of(o);
	if (g == nullptr || !g->svc->enter(g, r.gen)) {
		durable::set_status(o, durable::status_refused);	// nothing written
		return 0;
	}
	const int st = op_length(o) == 0 && !durable::is_batch(o) ? durable::status_ok :
		durable::run_range(o, durable::whole_op{}, r, *g->svc);
	g->svc->leave(g);
	durable::set_status(o, st);
	return 0;
}

future_state sync_op_check(void *, const vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;
}

void sync_op_delete(void *, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	const bool failed = durable::is_request(durable::flags_of(*op)) &&
		durable::status_of(*op) != durable::status_ok;
	fill_output(*op, failed ? VDM_ERROR_JOB_CORRUPTED : VDM_SUCCESS, out);
}

constexpr vdm sync_vdm = {
	sync_op_new, sync_op_delete, sync_op_start, sync_op_check, 0, nullptr,
};

} // namespace

bool is_sync_mover(const struct vdm *v) noexcept
{
	return v->op_new == sync_op_new && v->op_start == sync_op_start &&
		v->op_check == sync_op_check && v->op_delete == sync_op_delete;
}

} // namespace pmem2::masync

PMEM2_EXPORT struct data_mover_sync *data_mover_sync_new(void)
{
	return new (std::nothrow) data_mover_sync{pmem2::masync::sync_vdm};
}

PMEM2_EXPORT struct vdm *data_mover_sync_get_vdm(struct data_mover_sync *dms)
{
	return &dms->base;
}

PMEM2_EXPORT void data_mover_sync_delete(struct data_mover_sync *dms)
{
	delete dms;
}

PMEM2_EXPORT struct vdm *vdm_synchronous_new(void)
{
	data_mover_sync *dms = data_mover_sync_new();
	return dms != nullptr ? &dms->base : nullptr;
}

PMEM2_EXPORT void vdm_synchronous_delete(struct vdm *vdm)
{
	// base is the first member of data_mover_sync.
	delete reinterpret_cast<data_mover_sync *>(vdm);
}
