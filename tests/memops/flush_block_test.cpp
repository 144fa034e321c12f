// The fallback kernels (generic, libc) at CACHE_LINE on this architecture:
// for every length, misalignment and overlap direction the destination
// gets the right bytes, and the flushes cover exactly the flush blocks
// (flush_arch.hpp arch_flush_block: 64 bytes, 128 on ppc64le) the
// destination touches, each reported line once (no block flushed twice),
// then one drain. These are the only kernels aarch64 and ppc64le run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "memops/flush_arch.hpp"
#include "memops/memops.hpp"
#include "support/bytes.hpp"

namespace mo = pmem2::memops;

namespace {

constexpr std::size_t block = mo::detail::arch_flush_block;

struct events : mo::recorder {
	std::vector<std::uintptr_t> flushed;	// in order
	int fences_after_last_flush = 0;
	int fences = 0;
	void on_flush(const void *line) noexcept override
	{
		flushed.push_back(reinterpret_cast<std::uintptr_t>(line));
		fences_after_last_flush = 0;
	}
	void on_nt_store(const void *, std::size_t) noexcept override {}
	void on_fence() noexcept override
	{
		++fences;
		++fences_after_last_flush;
	}
	void on_page_sync(const void *, std::size_t) noexcept override {}
	void clear()
	{
		flushed.clear();
		fences = fences_after_last_flush = 0;
	}
};

// Empty when the flushes are exactly the 64-byte lines of the blocks that
// [d, d+n) touches, each once, else what is wrong.
std::string check_flushes(const events &e, const void *d, std::size_t n)
{
	std::map<std::uintptr_t, int> seen;
	for (std::uintptr_t l : e.flushed)
		++seen[l];
	std::map<std::uintptr_t, int> want;
	if (n != 0) {
		const auto a = reinterpret_cast<std::uintptr_t>(d);
		const std::uintptr_t end = (a + n + block - 1) & ~std::uintptr_t(block - 1);
		for (std::uintptr_t l = a & ~std::uintptr_t(block - 1); l < end; l += 64)
			want[l] = 1;
	}
	if (seen == want)
		return {};
	std::string why;
	for (auto [l, c] : seen)
		if (want.count(l) == 0 || c != 1)
			why += " line +" + std::to_string(l - reinterpret_cast<std::uintptr_t>(d)) + " x" +
				std::to_string(c);
	for (auto [l, c] : want)
		if (seen.count(l) == 0)
			why += " missing +" + std::to_string(l - reinterpret_cast<std::uintptr_t>(d));
	return why;
}

struct family_case {
	const char *name;
	bool no_generic_memcpy;
};

void PrintTo(const family_case &c, std::ostream *os)
{
	*os << c.name;
}

class FlushBlock : public ::testing::TestWithParam<family_case> {
protected:
	void SetUp() override
	{
		mo::dispatch_options o;
		o.no_movnt = true;
		o.no_generic_memcpy = GetParam().no_generic_memcpy;
		mo::set_recorder(&rec);
		mo::redispatch(o);
		ASSERT_STREQ(GetParam().name, mo::selected().kernel);
	}
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::redispatch(mo::options_from_env());
	}
	events rec;
};

std::vector<std::size_t> lengths()
{
	std::vector<std::size_t> v;
	for (std::size_t n = 0; n <= 3 * block + 70; ++n)
		v.push_back(n);
	for (std::size_t n : {1000u, 1024u, 4096u, 4099u})
		v.push_back(n);
	return v;
}

} // namespace

TEST_P(FlushBlock, MemmoveEveryDirectionFlushesEachBlockOnceThenDrains)
{
	const auto &t = mo::ops(mo::granularity::cache_line);
	constexpr std::size_t arena = 8192 + 4 * block;
	alignas(128) static unsigned char buf[arena], want[arena];
	for (std::size_t n : lengths())
		for (std::size_t mis = 0; mis < block; mis += n < 300 ? 13 : 61)
			// Apart, overlapping forward (src above dest) and backward.
			for (long shift : {4096L, 24L, -24L}) {
				pmem2::test::fill_pattern(buf, arena, static_cast<unsigned>(n + mis));
				std::memcpy(want, buf, arena);
				unsigned char *d = buf + 2 * block + mis;
				const unsigned char *s = shift == 4096 ? d + 4096 : d + shift;
				if (shift == 4096 && n > 4096)
					continue;
				std::memmove(want + (d - buf), s - buf + want, n);
				rec.clear();
				t.memmove(d, s, n, 0);
				ASSERT_EQ(0, std::memcmp(want, buf, arena)) << "n " << n << " mis " << mis << " shift " << shift;
				ASSERT_EQ("", check_flushes(rec, d, n)) << "n " << n << " mis " << mis << " shift " << shift;
				ASSERT_EQ(1, rec.fences_after_last_flush);
				ASSERT_EQ(1, rec.fences);
			}
}

TEST_P(FlushBlock, MemsetFlushesEachBlockOnceThenDrains)
{
	const auto &t = mo::ops(mo::granularity::cache_line);
	alignas(128) static unsigned char buf[4 * block + 4200];
	for (std::size_t n : lengths())
		for (std::size_t mis = 0; mis < block; mis += n < 300 ? 11 : 57) {
			std::memset(buf, 0, sizeof(buf));
			unsigned char *d = buf + block + mis;
			rec.clear();
			t.memset(d, 0xA5, n, 0);
			for (std::size_t i = 0; i < sizeof(buf); ++i) {
				const bool in = buf + i >= d && buf + i < d + n;
				ASSERT_EQ(in ? 0xA5 : 0, buf[i]) << "byte " << i << " n " << n << " mis " << mis;
			}
			ASSERT_EQ("", check_flushes(rec, d, n)) << "n " << n << " mis " << mis;
			ASSERT_EQ(1, rec.fences_after_last_flush);
		}
}

TEST_P(FlushBlock, NodrainLeavesTheDrainToTheCaller)
{
	const auto &t = mo::ops(mo::granularity::cache_line);
	alignas(128) static unsigned char buf[4 * block];
	t.memset(buf + 5, 1, 2 * block, mo::f_nodrain);
	EXPECT_EQ("", check_flushes(rec, buf + 5, 2 * block));
	EXPECT_EQ(0, rec.fences);
	t.drain();
	EXPECT_EQ(1, rec.fences);
}

INSTANTIATE_TEST_SUITE_P(Families, FlushBlock,
	::testing::Values(family_case{"generic", false}, family_case{"libc", true}),
	[](const ::testing::TestParamInfo<family_case> &i) {
		return std::string(i.param.no_generic_memcpy ? "Libc" : "Generic");
	});
