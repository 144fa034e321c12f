// The map's default data mover (pmem2_async.md §3): created by map_new when
// the config names no vdm, and by map_from_existing; destroyed by map_delete.
#pragma once

struct pmem2_map;

namespace pmem2::async {

// Create the default mover for `map`; sets map->vdm and map->vdm_owned.
// 0 or a negative error code (message set); on failure the map is unchanged.
int default_mover_new(pmem2_map *map) noexcept;
// Destroy a mover made by default_mover_new (only called when vdm_owned).
void default_mover_delete(pmem2_map *map) noexcept;

} // namespace pmem2::async
