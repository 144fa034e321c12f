// Waiting without sleeping: the monotonic clock that bounds a spin, and the
// pause between two looks at a word. Every spin loop of both libraries uses
// these two, so a change of clock or of pause instruction is made once.
#pragma once

#include "memops/relax_arch.hpp"

#include <ctime>

namespace pmem2 {

// CLOCK_MONOTONIC in nanoseconds (a vDSO call, no system call).
inline long long now_ns() noexcept
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// One pause of a spin loop: tells the core (and an SMT sibling) that this
// thread only waits.
inline void cpu_relax() noexcept
{
	memops::arch_relax();
}

} // namespace pmem2
