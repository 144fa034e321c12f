// first_difference, every family forced (and named): equal ranges give the
// length; a difference at every position of lengths 0..300 and of a large
// range, at every misalignment of either side, is found at its offset.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "memops/compare.hpp"
#include "memops/memops.hpp"

namespace m = pmem2::memops;

class Compare : public ::testing::TestWithParam<std::string> {
protected:
	void SetUp() override
	{
		if (!m::force_compare(GetParam().c_str()))
			GTEST_SKIP() << "skipped: this CPU cannot run the " << GetParam() << " family";
		ASSERT_EQ(std::string(m::compare_selected()), GetParam());
	}
	void TearDown() override { m::force_compare(nullptr); }
};

TEST_P(Compare, EveryPositionOfEveryShortLength)
{
	std::vector<unsigned char> a(400), b(400);
	for (std::size_t i = 0; i < a.size(); ++i)
		a[i] = b[i] = static_cast<unsigned char>(i * 7 + 1);
	for (std::size_t n = 0; n <= 300; ++n) {
		EXPECT_EQ(m::first_difference(a.data(), b.data(), n), n);
		for (std::size_t at = 0; at < n; ++at) {
			b[at] ^= 0x10;
			ASSERT_EQ(m::first_difference(a.data(), b.data(), n), at) << n;
			b[at] ^= 0x10;
		}
	}
}

TEST_P(Compare, EveryMisalignmentAndALargeRange)
{
	const std::size_t n = (1 << 20) + 13;
	std::vector<unsigned char> a(n + 64), b(n + 64);
	for (std::size_t i = 0; i < a.size(); ++i)
		a[i] = static_cast<unsigned char>(i * 13 + 5);
	for (std::size_t oa = 0; oa < 64; oa += 7)
		for (std::size_t ob = 0; ob < 64; ob += 5) {
			std::memcpy(b.data() + ob, a.data() + oa, n);
			ASSERT_EQ(m::first_difference(a.data() + oa, b.data() + ob, n), n);
			for (std::size_t at : {std::size_t(0), std::size_t(63), std::size_t(64), n / 2 + 3, n - 1}) {
				b[ob + at] ^= 1;
				ASSERT_EQ(m::first_difference(a.data() + oa, b.data() + ob, n), at) << oa << " " << ob;
				b[ob + at + (at + 1 < n)] ^= 2;	// a second difference after it
				ASSERT_EQ(m::first_difference(a.data() + oa, b.data() + ob, n), at);
				b[ob + at + (at + 1 < n)] ^= 2;
				b[ob + at] ^= 1;
			}
		}
}

TEST(CompareDispatch, TheBestFamilyTheCpuRuns)
{
	EXPECT_EQ(std::string(m::compare_selected()), m::cpu().avx512f ? "avx512f" : "generic");
	EXPECT_FALSE(m::force_compare("sse9"));
	EXPECT_EQ(std::string(m::compare_selected()), m::cpu().avx512f ? "avx512f" : "generic");
}

INSTANTIATE_TEST_SUITE_P(Families, Compare, ::testing::Values("avx512f", "generic"),
	[](const auto &info) { return info.param; });
