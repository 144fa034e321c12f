// The 8-byte store guarantee, observed by a concurrent reader, and the
// safety of ops() during static initialisation.
#include "kernel_fixture.hpp"

#include <atomic>
#include <thread>

using namespace memops_test;
using mo::granularity;

namespace {

// Reached from a static constructor, before main() and possibly before the
// library's own load-time constructor: ops() must already work.
struct early_user {
	mo::memmove_fn fn = nullptr;
	bool copied = false;
	early_user()
	{
		fn = mo::ops(granularity::cache_line).memmove;
		char a[100], b[100];
		std::memset(a, 7, sizeof a);
		fn(b, a, sizeof b, 0);
		copied = std::memcmp(a, b, sizeof a) == 0;
	}
};
early_user g_early;

} // namespace

TEST(StaticInit, OpsUsableFromOtherConstructors)
{
	EXPECT_NE(nullptr, g_early.fn);
	EXPECT_TRUE(g_early.copied);
}

// With dest and len multiples of 8, the writer alternates every byte of the
// range between two values; a reader must never see an aligned 8-byte word
// that mixes them (a torn or sub-8-byte store). Probabilistic: it catches a
// split store only when the reader runs at the same moment, so it is a
// regression net on top of the reasoning in pieces.hpp and kernels.hpp, not a
// proof.
TEST_P(Kernel, EightByteStoresAreNeverSplit)
{
	const kernel_case &k = GetParam();
	if (k.name == "libc")
		GTEST_SKIP() << "the libc fallback is exempt from the 8-byte guarantee (DIFFERENCES.md S9.7)";
	constexpr std::size_t words = 4096 / 8 + 16;
	alignas(64) static std::uint64_t dst[words];
	alignas(64) static std::uint64_t src_a[words], src_b[words];
	for (std::size_t i = 0; i < words; ++i) {
		src_a[i] = 0x1111111111111111ULL;
		src_b[i] = 0x2222222222222222ULL;
		dst[i] = src_a[i];
	}
	std::atomic<bool> stop{false};
	std::atomic<std::size_t> torn{0};
	std::atomic<bool> started{false};
	std::thread reader([&] {
		started = true;
		while (!stop.load(std::memory_order_relaxed))
			for (std::size_t i = 0; i < words; ++i) {
				const std::uint64_t v =
					std::atomic_ref<std::uint64_t>(dst[i]).load(std::memory_order_relaxed);
				if (v != src_a[0] && v != src_b[0])
					torn.fetch_add(1, std::memory_order_relaxed);
			}
	});
	while (!started)
		std::this_thread::yield();
	const std::size_t lens[] = {8, 16, 24, 40, 64, 72, 136, 248, 256, 264, 1000, 4096};
	const int rounds = std::max(1, static_cast<int>(200 * stress_scale()));
	for (granularity g : {granularity::cache_line, granularity::byte})
		for (unsigned flags : {0u, unsigned(mo::f_nontemporal), unsigned(mo::f_temporal)})
			for (std::size_t len : lens)
				for (std::size_t off : {0u, 1u, 3u, 7u})
					for (int r = 0; r < rounds; ++r) {
						const mo::ops_table &t = mo::ops(g);
						char *d = reinterpret_cast<char *>(dst + off);
						t.memmove(d, r & 1 ? src_a : src_b, len, flags);
						t.memset(d, r & 1 ? 0x22 : 0x11, len, flags);
					}
	stop = true;
	reader.join();
	EXPECT_EQ(0u, torn.load());
}
