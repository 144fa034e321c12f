#include "async/default_mover.hpp"

#include "map/map.hpp"

namespace pmem2::async {

// The synchronous library has no mover: maps carry none.
int default_mover_new(pmem2_map *map) noexcept
{
	map->vdm = nullptr;
	map->vdm_owned = false;
	return 0;
}

void default_mover_delete(pmem2_map *map) noexcept
{
	map->vdm = nullptr;
	map->vdm_owned = false;
}

} // namespace pmem2::async
