// VM reservations: pmem2_vm_reservation_*.
#include <libpmem2/base.h>

#include "capi/shim.hpp"
#include "common/export.hpp"
#include "map/reservation.hpp"

using pmem2::capi::guarded;
using pmem2::capi::null_arg;

namespace {

// Store a lookup result: 0 and the map, or MAPPING_NOT_FOUND (*out NULL).
int found(pmem2_map *m, pmem2_map **out, const char *func) noexcept
{
	*out = m;
	if (m)
		return 0;
	pmem2::set_errormsg("%s: no map found", func);
	return PMEM2_E_MAPPING_NOT_FOUND;
}

} // namespace

PMEM2_EXPORT int pmem2_vm_reservation_new(struct pmem2_vm_reservation **rsv_ptr, void *addr,
	size_t size)
{
	if (rsv_ptr == nullptr)
		return null_arg(__func__, "rsv_ptr");
	*rsv_ptr = nullptr;
	return guarded([&] { return pmem2::vm::reservation_new(*rsv_ptr, addr, size); });
}

PMEM2_EXPORT int pmem2_vm_reservation_delete(struct pmem2_vm_reservation **rsv_ptr)
{
	if (rsv_ptr == nullptr)
		return null_arg(__func__, "rsv_ptr");
	if (*rsv_ptr == nullptr)
		return null_arg(__func__, "*rsv_ptr");
	int r = guarded([&] { return pmem2::vm::reservation_delete(*rsv_ptr); });
	if (r == 0)
		*rsv_ptr = nullptr;
	return r;
}

PMEM2_EXPORT void *pmem2_vm_reservation_get_address(struct pmem2_vm_reservation *rsv)
{
	return pmem2::vm::address(*rsv);
}

PMEM2_EXPORT size_t pmem2_vm_reservation_get_size(struct pmem2_vm_reservation *rsv)
{
	return pmem2::vm::size(*rsv);
}

PMEM2_EXPORT int pmem2_vm_reservation_extend(struct pmem2_vm_reservation *rsv, size_t size)
{
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	return guarded([&] { return pmem2::vm::reservation_extend(*rsv, size); });
}

PMEM2_EXPORT int pmem2_vm_reservation_shrink(struct pmem2_vm_reservation *rsv, size_t offset,
	size_t size)
{
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	return guarded([&] { return pmem2::vm::reservation_shrink(*rsv, offset, size); });
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find(struct pmem2_vm_reservation *rsv,
	size_t reserv_offset, size_t len, struct pmem2_map **map)
{
	if (map == nullptr)
		return null_arg(__func__, "map");
	*map = nullptr;
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	return found(pmem2::vm::find(*rsv, reserv_offset, len), map, __func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_prev(struct pmem2_vm_reservation *rsv,
	struct pmem2_map *map, struct pmem2_map **prev_map)
{
	if (prev_map == nullptr)
		return null_arg(__func__, "prev_map");
	*prev_map = nullptr;
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	if (map == nullptr)
		return null_arg(__func__, "map");
	return found(pmem2::vm::find_prev(*rsv, map), prev_map, __func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_next(struct pmem2_vm_reservation *rsv,
	struct pmem2_map *map, struct pmem2_map **next_map)
{
	if (next_map == nullptr)
		return null_arg(__func__, "next_map");
	*next_map = nullptr;
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	if (map == nullptr)
		return null_arg(__func__, "map");
	return found(pmem2::vm::find_next(*rsv, map), next_map, __func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_first(struct pmem2_vm_reservation *rsv,
	struct pmem2_map **map)
{
	if (map == nullptr)
		return null_arg(__func__, "map");
	*map = nullptr;
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	return found(pmem2::vm::find_first(*rsv), map, __func__);
}

PMEM2_EXPORT int pmem2_vm_reservation_map_find_last(struct pmem2_vm_reservation *rsv,
	struct pmem2_map **map)
{
	if (map == nullptr)
		return null_arg(__func__, "map");
	*map = nullptr;
	if (rsv == nullptr)
		return null_arg(__func__, "rsv");
	return found(pmem2::vm::find_last(*rsv), map, __func__);
}
