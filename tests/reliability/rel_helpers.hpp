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

#include "common/mapped_file.hpp"
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

using test::granularity_name;
using test::mapped_file;


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
