// The synchronous mover: the first poll performs the operation. The
// per-operation "state" is a token (the mover itself); nothing is stored.
#include <libminiasync/data_mover_sync.h>

#include <new>

#include "common/export.hpp"
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
	run_plain(*op, 0, op_length(*op));
	return 0;
}

future_state sync_op_check(void *, const vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;
}

void sync_op_delete(void *, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	fill_output(*op, VDM_SUCCESS, out);
}

constexpr vdm sync_vdm = {
	sync_op_new, sync_op_delete, sync_op_start, sync_op_check, 0, nullptr,
};

} // namespace
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
