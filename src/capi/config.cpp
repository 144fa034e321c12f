// Configs: pmem2_config_*.
#include <cstdint>

#include <libpmem2/base.h>

#include "capi/shim.hpp"
#include "common/export.hpp"
#include "map/config.hpp"

using pmem2::capi::enum_value;
using pmem2::capi::guarded;
using pmem2::capi::null_arg;

// Declared by <libpmem2/async.h>; a plain store in the config.
PMEM2_EXPORT int pmem2_config_set_vdm(struct pmem2_config *cfg, struct vdm *vdm);

PMEM2_EXPORT int pmem2_config_new(struct pmem2_config **cfg)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	*cfg = nullptr;
	return guarded([&] {
		*cfg = new pmem2_config;
		return 0;
	});
}

PMEM2_EXPORT int pmem2_config_delete(struct pmem2_config **cfg)
{
	if (cfg == nullptr)
		return 0;
	delete *cfg;
	*cfg = nullptr;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_offset(struct pmem2_config *cfg, size_t offset)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	if (offset > static_cast<size_t>(INT64_MAX)) {
		pmem2::set_errormsg("offset %zu is greater than INT64_MAX", offset);
		return PMEM2_E_OFFSET_OUT_OF_RANGE;
	}
	cfg->offset = offset;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_length(struct pmem2_config *cfg, size_t length)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	cfg->length = length;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_required_store_granularity(struct pmem2_config *cfg,
	enum pmem2_granularity g)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	int v = enum_value(g);
	if (v < PMEM2_GRANULARITY_BYTE || v > PMEM2_GRANULARITY_PAGE) {
		pmem2::set_errormsg("invalid granularity value %d", v);
		return PMEM2_E_GRANULARITY_NOT_SUPPORTED;
	}
	cfg->required_granularity = v;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_sharing(struct pmem2_config *cfg, enum pmem2_sharing_type type)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	int v = enum_value(type);
	if (v != PMEM2_SHARED && v != PMEM2_PRIVATE) {
		pmem2::set_errormsg("invalid sharing value %d", v);
		return PMEM2_E_INVALID_SHARING_VALUE;
	}
	cfg->sharing = static_cast<pmem2_sharing_type>(v);
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_protection(struct pmem2_config *cfg, unsigned prot)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	if (prot & ~pmem2::prot_valid) {
		pmem2::set_errormsg("invalid protection flags 0x%x", prot & ~pmem2::prot_valid);
		return PMEM2_E_INVALID_PROT_FLAG;
	}
	cfg->protection = prot;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_vm_reservation(struct pmem2_config *cfg,
	struct pmem2_vm_reservation *rsv, size_t offset)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	cfg->reservation = rsv;
	cfg->reservation_offset = rsv ? offset : 0;
	return 0;
}

PMEM2_EXPORT int pmem2_config_set_vdm(struct pmem2_config *cfg, struct vdm *vdm)
{
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	cfg->vdm = vdm;
	return 0;
}
