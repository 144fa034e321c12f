// A scratch file mapped with a forced granularity and an optional mover:
// the fixture of the tests that run pmem2 futures.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2.h>
#include <libpmem2/async.h>
#pragma GCC diagnostic pop

#include <cstdlib>
#include <string>

#include "support/granularity.hpp"
#include "support/scratch.hpp"

namespace pmem2::test {

// The PMEM2_FORCE_GRANULARITY value of a granularity.
inline const char *granularity_name(pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	default: return "PAGE";
	}
}

// `size` bytes in `dir`, mapped with PMEM2_FORCE_GRANULARITY=`force`
// (nullptr: what the file gives) and `vdm` (nullptr: the default mover).
// map is nullptr and err pmem2_map_new's code when mapping failed.
struct mapped_file {
	tmpfile file;
	pmem2_map *map = nullptr;
	char *base = nullptr;
	int err = 0;
	// What the map got (granularity_on_this_cpu() of the forced one).
	pmem2_granularity granularity = PMEM2_GRANULARITY_PAGE;

	mapped_file(std::size_t size, const std::string &dir, const char *force, struct vdm *vdm)
		: file(size, dir)
	{
		if (force)
			setenv("PMEM2_FORCE_GRANULARITY", force, 1);
		pmem2_config *cfg = nullptr;
		pmem2_source *src = nullptr;
		err = pmem2_config_new(&cfg);
		if (!err)
			err = pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
		if (!err && vdm)
			err = pmem2_config_set_vdm(cfg, vdm);
		if (!err)
			err = pmem2_source_from_fd(&src, file.fd());
		if (!err)
			err = pmem2_map_new(&map, cfg, src);
		pmem2_source_delete(&src);
		pmem2_config_delete(&cfg);
		unsetenv("PMEM2_FORCE_GRANULARITY");
		if (map) {
			base = static_cast<char *>(pmem2_map_get_address(map));
			granularity = pmem2_map_get_store_granularity(map);
		}
	}
	mapped_file(std::size_t size, pmem2_granularity g, struct vdm *vdm = nullptr,
			const std::string &dir = scratch_dir())
		: mapped_file(size, dir, granularity_name(g), vdm)
	{
	}
	~mapped_file()
	{
		if (map)
			pmem2_map_delete(&map);
	}
	mapped_file(const mapped_file &) = delete;
	mapped_file &operator=(const mapped_file &) = delete;
};

} // namespace pmem2::test
