// Maps: pmem2_map_*, and the persistence / memory-function getters.
#include <libpmem2/base.h>

#include <vector>

#include "capi/shim.hpp"
#include "check/process.hpp"
#include "common/export.hpp"
#include "map/config.hpp"
#include "map/map.hpp"

using pmem2::capi::enum_value;
using pmem2::capi::guarded;
using pmem2::capi::null_arg;

PMEM2_EXPORT int pmem2_map_new(struct pmem2_map **map_ptr, const struct pmem2_config *cfg,
	const struct pmem2_source *src)
{
	if (map_ptr == nullptr)
		return null_arg(__func__, "map_ptr");
	*map_ptr = nullptr;
	if (cfg == nullptr)
		return null_arg(__func__, "cfg");
	if (src == nullptr)
		return null_arg(__func__, "src");
	int r = guarded([&] { return pmem2::map_new(*map_ptr, *cfg, src->info); });
	if (r == 0 && pmem2::check::process::enabled())
		pmem2::check::process::map_created(*map_ptr, src->info.fd, cfg->offset);
	return r;
}

// Validates gran/addr/len; a bad granularity is an error, not an abort (DIFFERENCES.md A14).
PMEM2_EXPORT int pmem2_map_from_existing(struct pmem2_map **map, const struct pmem2_source *src,
	void *addr, size_t len, enum pmem2_granularity gran)
{
	if (map == nullptr)
		return null_arg(__func__, "map");
	*map = nullptr;
	if (src == nullptr)
		return null_arg(__func__, "src");
	const int g = enum_value(gran);
	int r = guarded([&] { return pmem2::map_from_existing(*map, src->info, addr, len, g); });
	if (r == 0 && pmem2::check::process::enabled())
		pmem2::check::process::map_adopted(*map, src->info.fd);
	return r;
}

namespace {

// pmem2_map_delete in check mode: the map compared with its durable image
// before it is unmapped, the findings written once the delete succeeded.
int delete_checked(struct pmem2_map **map_ptr)
{
	std::vector<pmem2::check::finding> found;
	int r = guarded([&] {
		found = pmem2::check::process::map_deleting(*map_ptr);
		return 0;
	});
	if (r != 0)
		return r;
	pmem2_map *m = *map_ptr;
	r = guarded([&] { return pmem2::map_delete(*map_ptr); });
	if (r == 0) {
		pmem2::check::process::map_deleted(m, found);
		*map_ptr = nullptr;
	}
	return r;
}

} // namespace

PMEM2_EXPORT int pmem2_map_delete(struct pmem2_map **map_ptr)
{
	if (map_ptr == nullptr)
		return null_arg(__func__, "map_ptr");
	if (*map_ptr == nullptr) {
		pmem2::set_errormsg("%s: *map_ptr is NULL", __func__);
		return PMEM2_E_MAPPING_NOT_FOUND;
	}
	if (pmem2::check::process::active())
		return delete_checked(map_ptr);
	int r = guarded([&] { return pmem2::map_delete(*map_ptr); });
	if (r == 0)
		*map_ptr = nullptr;
	return r;
}

PMEM2_EXPORT void *pmem2_map_get_address(struct pmem2_map *map)
{
	return map->addr;
}

PMEM2_EXPORT size_t pmem2_map_get_size(struct pmem2_map *map)
{
	return map->content_length;
}

PMEM2_EXPORT enum pmem2_granularity pmem2_map_get_store_granularity(struct pmem2_map *map)
{
	return map->granularity;
}

namespace {

// Check mode: the functions that verify their range after the call.
const pmem2::check::process::checked_ops &checked(const struct pmem2_map *map)
{
	return pmem2::check::process::ops(static_cast<pmem2::memops::granularity>(map->granularity));
}

} // namespace

PMEM2_EXPORT pmem2_persist_fn pmem2_get_persist_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).persist;
	return map->ops->persist;
}

PMEM2_EXPORT pmem2_flush_fn pmem2_get_flush_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).flush;
	return map->ops->flush;
}

PMEM2_EXPORT pmem2_drain_fn pmem2_get_drain_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).drain;
	return map->ops->drain;
}

PMEM2_EXPORT pmem2_memmove_fn pmem2_get_memmove_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).memmove;
	return map->ops->memmove;
}

// memcpy is the overlap-safe memmove, as in the original.
PMEM2_EXPORT pmem2_memcpy_fn pmem2_get_memcpy_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).memcpy;
	return map->ops->memmove;
}

PMEM2_EXPORT pmem2_memset_fn pmem2_get_memset_fn(struct pmem2_map *map)
{
	if (pmem2::check::process::active())
		return checked(map).memset;
	return map->ops->memset;
}
