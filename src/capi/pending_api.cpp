// Entry points whose features this build does not provide: deep flush,
// vm reservations, bad blocks, device identity / placement, and
// machine-check-safe I/O. Each fails with PMEM2_E_NOSUPP and a message,
// with its out-parameters nulled where the API defines that.
#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "common/export.hpp"

namespace {
int unsupported(const char *func) noexcept
{
	pmem2::set_errormsg("%s: operation not supported by this build", func);
	return PMEM2_E_NOSUPP;
}
} // namespace

PMEM2_EXPORT int pmem2_deep_flush(struct pmem2_map *, void *, size_t)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_source_device_id(const struct pmem2_source *, char *, size_t *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_source_device_usc(const struct pmem2_source *, uint64_t *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_source_numa_node(const struct pmem2_source *, int *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_source_pread_mcsafe(struct pmem2_source *, void *, size_t, size_t)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_source_pwrite_mcsafe(struct pmem2_source *, void *, size_t, size_t)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_badblock_context_new(struct pmem2_badblock_context **bbctx,
	const struct pmem2_source *)
{
	if (bbctx)
		*bbctx = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_badblock_next(struct pmem2_badblock_context *, struct pmem2_badblock *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT void pmem2_badblock_context_delete(struct pmem2_badblock_context **bbctx)
{
	if (bbctx)
		*bbctx = nullptr;
}

PMEM2_EXPORT int pmem2_badblock_clear(struct pmem2_badblock_context *, const struct pmem2_badblock *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_new(struct pmem2_vm_reservation **rsv_ptr, void *, size_t)
{
	if (rsv_ptr)
		*rsv_ptr = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_delete(struct pmem2_vm_reservation **)
{
	return unsupported(__func__);
}

PMEM2_EXPORT void *pmem2_vm_reservation_get_address(struct pmem2_vm_reservation *)
{
	return nullptr;
}

PMEM2_EXPORT size_t pmem2_vm_reservation_get_size(struct pmem2_vm_reservation *)
{
	return 0;
}

PMEM2_EXPORT int pmem2_vm_reservation_extend(struct pmem2_vm_reservation *, size_t)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_shrink(struct pmem2_vm_reservation *, size_t, size_t)
{
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find(struct pmem2_vm_reservation *, size_t, size_t,
	struct pmem2_map **map)
{
	if (map)
		*map = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_prev(struct pmem2_vm_reservation *,
	struct pmem2_map *, struct pmem2_map **prev_map)
{
	if (prev_map)
		*prev_map = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_next(struct pmem2_vm_reservation *,
	struct pmem2_map *, struct pmem2_map **next_map)
{
	if (next_map)
		*next_map = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_first(struct pmem2_vm_reservation *,
	struct pmem2_map **map)
{
	if (map)
		*map = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_last(struct pmem2_vm_reservation *,
	struct pmem2_map **map)
{
	if (map)
		*map = nullptr;
	return unsupported(__func__);
}
