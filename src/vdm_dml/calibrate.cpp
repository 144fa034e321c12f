#include "vdm_dml/calibrate.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "miniasync/ops.hpp"

namespace pmem2::vdm_dml {
namespace {

constexpr std::size_t smallest = 4096, largest = 256 * 1024;
constexpr int rounds = 3;

std::int64_t now() noexcept
{
	timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return std::int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

struct buffers {
	char *src = static_cast<char *>(std::aligned_alloc(4096, largest));
	char *dst = static_cast<char *>(std::aligned_alloc(4096, largest));
	~buffers()
	{
		std::free(src);
		std::free(dst);
	}
};

} // namespace

std::size_t measure_crossover(dsa::queue_link &q, dsa::wait_policy wait) noexcept
{
	buffers b;
	if (b.src == nullptr || b.dst == nullptr)
		return SIZE_MAX;
	std::memset(b.src, 0x5a, largest);
	std::memset(b.dst, 0, largest);	// present: no page faults in the timing
	for (std::size_t n = smallest; n <= largest; n *= 2) {
		std::int64_t cpu = INT64_MAX, dev = INT64_MAX;
		for (int r = 0; r < rounds; ++r) {
			std::int64_t t = now();
			std::memcpy(b.dst, b.src, n);
			masync::write_back(b.dst, n);
			cpu = std::min(cpu, now() - t);

			vdm_operation op{};
			op.type = VDM_OPERATION_MEMCPY;
			op.data.memcpy = {b.dst, b.src, n, VDM_F_MEM_DURABLE};
			t = now();
			dsa::job j(op, q);
			if (j.wait(wait) != dsa::job_state::done)
				return SIZE_MAX;
			dev = std::min(dev, now() - t);
		}
		if (dev <= cpu)
			return n;
	}
	return SIZE_MAX;
}

} // namespace pmem2::vdm_dml
