#include "dsa/wait.hpp"

#include <sched.h>

#include <immintrin.h>
#include <x86intrin.h>

namespace pmem2::dsa {
namespace {

// PAUSEs per wait: about the time a small descriptor takes.
constexpr unsigned pauses = 32;
// UMWAIT's deadline, in TSC ticks from now: a few microseconds.
constexpr unsigned long long umwait_ticks = 10000;

void pause_a_little() noexcept
{
	for (unsigned i = 0; i < pauses; ++i) {
		_mm_pause();
	}
}

// C0.2 (the deeper, slower-to-wake state; control bit 0 = 0) until the
// record's line is written or the deadline passes.
__attribute__((target("waitpkg"))) void umwait_on(const completion *watch) noexcept
{
	_umonitor(const_cast<completion *>(watch));
	if (__atomic_load_n(&watch->rec.status, __ATOMIC_ACQUIRE) != 0)
		return;
	(void)_umwait(0, __rdtsc() + umwait_ticks);
}

} // namespace

void wait_a_little(wait_policy p, const completion *watch) noexcept
{
	switch (p) {
	case wait_policy::umwait:
		if (watch != nullptr) {
			umwait_on(watch);
			return;
		}
		pause_a_little();
		return;
	case wait_policy::pause:
		pause_a_little();
		return;
	case wait_policy::yield:
		sched_yield();
		return;
	}
}

} // namespace pmem2::dsa
