// PMEM2_STRESS_SCALE: how much of each sweep and stress loop runs. The
// sanitizer stages set it to 0.1 (scripts/test); unset, it is 1.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>

namespace pmem2::test {

// The scale; `fallback` when the variable is unset or not a positive number.
inline double stress_scale(double fallback = 1.0)
{
	const char *e = std::getenv("PMEM2_STRESS_SCALE");
	double v = e ? std::atof(e) : fallback;
	return v > 0 ? v : fallback;
}

// n times the scale, at least `min`.
inline std::size_t scaled(std::size_t n, std::size_t min = 1)
{
	return std::max(min, static_cast<std::size_t>(double(n) * stress_scale()));
}

} // namespace pmem2::test
