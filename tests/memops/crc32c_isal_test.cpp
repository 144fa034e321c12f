// CRC32C against ISA-L's crc32_iscsi, the benchmark baseline, when
// libisal-dev is installed (tests only; no library links ISA-L).
//
// The conventions differ: crc32_iscsi(buf, len, init) is the raw CRC
// (no complement on the way in or out; crc32c_poly.hpp), so
//   crc32c(crc, buf, len) == ~crc32_iscsi(buf, len, ~crc)
// and a fresh CRC32C is ~crc32_iscsi(buf, len, 0xFFFFFFFF).
#include "memops/crc32c_cases.hpp"

#if PMEM2_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include <random>

using namespace memops_test;

namespace {

class Crc32cIsal : public CrcFamilyFixture {
protected:
	void SetUp() override
	{
#if !PMEM2_HAVE_ISAL
		GTEST_SKIP() << "ISA-L not found at configure time (install libisal-dev: scripts/deps)";
#else
		CrcFamilyFixture::SetUp();
#endif
	}
};

} // namespace

INSTANTIATE_TEST_SUITE_P(Families, Crc32cIsal, ::testing::ValuesIn(all_crc_cases()), crc_case_name);

TEST_P(Crc32cIsal, MatchesCrc32IscsiWithItsConvention)
{
#if PMEM2_HAVE_ISAL
	auto buf = pmem2::test::pattern<unsigned char>(70000, 11);
	unsigned char check[] = "123456789";
	ASSERT_EQ(0xE3069283u, ~crc32_iscsi(check, 9, 0xFFFFFFFFu)) << "the conversion above";
	for (std::size_t len = 0; len <= 4096; ++len)
		ASSERT_EQ(~crc32_iscsi(buf.data() + (len & 63), static_cast<int>(len), ~0x5A5Au),
			  mo::crc32c(0x5A5Au, buf.data() + (len & 63), len))
			<< "len " << len;
	std::mt19937_64 rng(7);
	for (int i = 0; i < 200; ++i) {
		const std::size_t off = rng() % 1000, len = rng() % (buf.size() - off);
		const auto crc = static_cast<std::uint32_t>(rng());
		ASSERT_EQ(~crc32_iscsi(buf.data() + off, static_cast<int>(len), ~crc),
			  mo::crc32c(crc, buf.data() + off, len))
			<< "off " << off << " len " << len;
	}
#endif
}
