// Shared by the reliability tests: scratch maps of a forced granularity,
// movers, waiting, and PMEM2_STRESS_SCALE.
#pragma once

#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dirent.h>

#include "common/tmpfile.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace pmem2::reltest {

// PMEM2_STRESS_SCALE (default 1) times n, at least `min`.
inline std::size_t scaled(std::size_t n, std::size_t min = 1)
{
	double s = 1.0;
	if (const char *e = std::getenv("PMEM2_STRESS_SCALE"))
		s = std::atof(e);
	if (!(s > 0))
		s = 1.0;
	return std::max(min, static_cast<std::size_t>(double(n) * s));
}

inline const char *gran_name(pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	default: return "PAGE";
	}
}

// A scratch file of `size` bytes mapped with a forced granularity and an
// optional mover.
struct mapped_file {
	pmem2::test::tmpfile file;
	pmem2_map *map = nullptr;
	char *base = nullptr;
	int err = 0;

	mapped_file(std::size_t size, pmem2_granularity g, struct vdm *vdm = nullptr)
		: file(size)
	{
		setenv("PMEM2_FORCE_GRANULARITY", gran_name(g), 1);
		pmem2_config *cfg = nullptr;
		pmem2_source *src = nullptr;
		EXPECT_EQ(pmem2_config_new(&cfg), 0);
		EXPECT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
		if (vdm) {
			EXPECT_EQ(pmem2_config_set_vdm(cfg, vdm), 0);
		}
		EXPECT_EQ(pmem2_source_from_fd(&src, file.fd()), 0);
		err = pmem2_map_new(&map, cfg, src);
		pmem2_source_delete(&src);
		pmem2_config_delete(&cfg);
		unsetenv("PMEM2_FORCE_GRANULARITY");
		if (map)
			base = static_cast<char *>(pmem2_map_get_address(map));
	}
	~mapped_file()
	{
		if (map)
			pmem2_map_delete(&map);
	}
	mapped_file(const mapped_file &) = delete;
	mapped_file &operator=(const mapped_file &) = delete;
};

inline int wait_future(pmem2_future &f)
{
	runtime *rt = runtime_new();
	runtime_wait(rt, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(rt);
	return FUTURE_OUTPUT(&f)->result;
}

// Threads of this process.
inline int thread_count()
{
	int n = 0;
	if (DIR *d = opendir("/proc/self/task")) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				++n;
		closedir(d);
	}
	return n;
}

} // namespace pmem2::reltest
