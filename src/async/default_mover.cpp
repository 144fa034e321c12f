#include "async/default_mover.hpp"

#include "map/map.hpp"

namespace pmem2::async {

struct vdm *default_vdm() noexcept;	// async/pmem2_future.cpp

// Every map shares one stateless default mover (it keeps no per-map or
// per-operation memory), so creating it cannot fail and it stays valid for
// futures that outlive their map (gap A35/A37: no TLS key, no slab per map).
int default_mover_new(pmem2_map *map) noexcept
{
	map->vdm = default_vdm();
	map->vdm_owned = true;
	return 0;
}

void default_mover_delete(pmem2_map *map) noexcept
{
	map->vdm = nullptr;
	map->vdm_owned = false;
}

} // namespace pmem2::async
