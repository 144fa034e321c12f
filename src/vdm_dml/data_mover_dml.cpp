#include "vdm_dml/data_mover_dml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>

#include "miniasync/ops.hpp"

namespace pmem2::vdm_dml {
namespace {

std::string sysfs_root;
std::optional<dsa::cpu_features> forced_cpu;

thread_local char last_error[1024];

void fail(int err, const std::string &why) noexcept
{
	std::snprintf(last_error, sizeof(last_error), "%s", why.c_str());
	errno = err;
}

void *dml_op_new(vdm *v, const vdm_operation_type) noexcept
{
	return v;
}

// The CPU path: the whole operation now, durable when asked.
int dml_op_start(void *, const vdm_operation *op, future_notifier *n) noexcept
{
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	const std::size_t len = masync::op_length(*op);
	masync::run_plain(*op, 0, len);
	if ((masync::op_flags(*op) & VDM_F_MEM_DURABLE) && op->type != VDM_OPERATION_FLUSH && len != 0)
		masync::write_back(masync::op_dest(*op), len);
	return 0;
}

future_state dml_op_check(void *, const vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;
}

void dml_op_delete(void *, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	masync::fill_output(*op, VDM_SUCCESS, out);
}

int dml_has_property(void *, future_property property) noexcept
{
	return property == FUTURE_PROPERTY_ASYNC;
}

constexpr vdm cpu_vdm = {
	dml_op_new, dml_op_delete, dml_op_start, dml_op_check,
	VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT, dml_has_property,
};

} // namespace

void set_sysfs_root(std::string_view root)
{
	sysfs_root = root;
}

void set_cpu_features(const dsa::cpu_features *features)
{
	if (features != nullptr)
		forced_cpu = *features;
	else
		forced_cpu.reset();
}

} // namespace pmem2::vdm_dml

using namespace pmem2;

PMEM2_EXPORT struct data_mover_dml *data_mover_dml_new(enum data_mover_dml_type type)
{
	if (type != DATA_MOVER_DML_SOFTWARE && type != DATA_MOVER_DML_HARDWARE &&
	    type != DATA_MOVER_DML_AUTO) {
		vdm_dml::fail(EINVAL, "data_mover_dml_new: " + std::to_string(static_cast<int>(type)) +
			" is not a data_mover_dml_type");
		return nullptr;
	}
	data_mover_dml_type path = DATA_MOVER_DML_SOFTWARE;
	if (type != DATA_MOVER_DML_SOFTWARE) {
		std::string why;
		const auto queues = dsa::scan(vdm_dml::sysfs_root);
		const auto cpu = vdm_dml::forced_cpu.value_or(dsa::this_cpu());
		const dsa::work_queue *q = dsa::first_usable(queues, cpu, why);
		if (q != nullptr)
			why = q->name + " is usable, but this version of the library submits to no DSA "
				"work queue yet (docs/MOVERS.md)";
		if (type == DATA_MOVER_DML_HARDWARE) {
			vdm_dml::fail(ENODEV, "data_mover_dml_new(DATA_MOVER_DML_HARDWARE): " + why);
			return nullptr;
		}
	}
	auto *dmd = new (std::nothrow) data_mover_dml{vdm_dml::cpu_vdm, path, {}};
	if (dmd == nullptr)
		vdm_dml::fail(ENOMEM, "data_mover_dml_new: out of memory");
	return dmd;
}

PMEM2_EXPORT struct vdm *data_mover_dml_get_vdm(struct data_mover_dml *dmd)
{
	return dmd != nullptr ? &dmd->base : nullptr;
}

PMEM2_EXPORT void data_mover_dml_delete(struct data_mover_dml *dmd)
{
	delete dmd;
}

PMEM2_EXPORT const char *data_mover_dml_errormsg(void)
{
	return vdm_dml::last_error;
}

PMEM2_EXPORT enum data_mover_dml_type data_mover_dml_get_path(const struct data_mover_dml *dmd)
{
	return dmd != nullptr ? dmd->path : DATA_MOVER_DML_SOFTWARE;
}
