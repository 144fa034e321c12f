// CRC32C: the check values, every family against the table family for
// every length, start misalignment and chained split, the compile-time
// arithmetic, and the dispatch (table order, PMEM2_CRC32C, the recorder
// naming the kernel that ran).
#include "memops/crc32c_cases.hpp"
#include "memops/crc32c_poly.hpp"

#include <random>

using namespace memops_test;
namespace poly = pmem2::memops::crc32c_poly;

namespace {

class Crc32c : public CrcFamilyFixture {};

constexpr std::size_t large_len = (std::size_t(1) << 20) + 13;

std::vector<unsigned char> data(std::size_t n, std::uint64_t seed)
{
	return pmem2::test::pattern<unsigned char>(n, seed);
}

} // namespace

INSTANTIATE_TEST_SUITE_P(Families, Crc32c, ::testing::ValuesIn(all_crc_cases()), crc_case_name);

// RFC 3720 B.4 and the catalogue check value.
TEST_P(Crc32c, CheckValues)
{
	EXPECT_EQ(0xE3069283u, mo::crc32c(0, "123456789", 9));
	EXPECT_EQ(0u, mo::crc32c(0, nullptr, 0));
	EXPECT_EQ(0x12345678u, mo::crc32c(0x12345678u, "", 0)) << "empty input keeps the CRC";
	unsigned char b[32];
	std::memset(b, 0, sizeof b);
	EXPECT_EQ(0x8A9136AAu, mo::crc32c(0, b, sizeof b));
	std::memset(b, 0xFF, sizeof b);
	EXPECT_EQ(0x62A8AB43u, mo::crc32c(0, b, sizeof b));
	for (int i = 0; i < 32; ++i)
		b[i] = static_cast<unsigned char>(i);
	EXPECT_EQ(0x46DD794Eu, mo::crc32c(0, b, sizeof b));
	for (int i = 0; i < 32; ++i)
		b[i] = static_cast<unsigned char>(31 - i);
	EXPECT_EQ(0x113FDB5Cu, mo::crc32c(0, b, sizeof b));
}

TEST_P(Crc32c, EveryLengthTo4096MatchesTheTable)
{
	const auto buf = data(4096 + 64, 1);
	for (std::size_t len = 0; len <= 4096; ++len) {
		const std::uint32_t seed = static_cast<std::uint32_t>(len * 0x9E3779B9u);
		ASSERT_EQ(crc32c_table(seed, buf.data() + 3, len), mo::crc32c(seed, buf.data() + 3, len))
			<< "len " << len;
		ASSERT_EQ(crc32c_table(0, buf.data(), len), mo::crc32c(0, buf.data(), len)) << "len " << len;
	}
}

TEST_P(Crc32c, EveryStartMisalignment)
{
	const auto buf = data(large_len + 128, 2);
	const std::size_t lens[] = {0, 1, 7, 8, 63, 64, 65, 191, 192, 255, 256, 257, 511, 512,
				    513, 767, 768, 1000, 3071, 3072, 3073, 4096, 65536 + 7};
	for (std::size_t mis = 0; mis < 64; ++mis)
		for (std::size_t len : lens)
			ASSERT_EQ(crc32c_table(~0u, buf.data() + mis, len), mo::crc32c(~0u, buf.data() + mis, len))
				<< "len " << len << " misalignment " << mis;
	for (std::size_t mis : {0, 1, 17, 63})
		EXPECT_EQ(crc32c_table(0, buf.data() + mis, large_len), mo::crc32c(0, buf.data() + mis, large_len))
			<< "1 MiB + 13, misalignment " << mis;
}

TEST_P(Crc32c, ChainingInRandomSplits)
{
	const std::size_t n = 256 * 1024 + 29;
	const auto buf = data(n, 3);
	const std::uint32_t whole = crc32c_table(0, buf.data(), n);
	ASSERT_EQ(whole, mo::crc32c(0, buf.data(), n));
	std::mt19937_64 rng(42);
	for (int round = 0; round < 200; ++round) {
		// Pieces up to 16 KiB, short ones common.
		std::uint32_t crc = 0;
		std::size_t off = 0;
		while (off < n) {
			const std::size_t most = (rng() & 3) ? 600 : 16384;
			const std::size_t piece = std::min<std::size_t>(n - off, rng() % (most + 1));
			crc = mo::crc32c(crc, buf.data() + off, piece);
			off += piece;
		}
		ASSERT_EQ(whole, crc) << "round " << round;
	}
}

// The forced family's own kernel ran: its recording variant names it.
TEST_P(Crc32c, RecorderNamesTheKernelThatRan)
{
	recording rec;
	force(&rec);
	const auto buf = data(4096, 4);
	for (std::size_t len : {0, 5, 100, 4096}) {
		rec.clear();
		EXPECT_EQ(crc32c_table(0, buf.data(), len), mo::crc32c(0, buf.data(), len));
		EXPECT_EQ(std::vector<std::string>{"crc32c_" + GetParam().name}, rec.kernels()) << len;
		EXPECT_EQ(0u, rec.count(event::fence)) << "a CRC stores nothing";
	}
}

// The table family is the reference: itself checked bit by bit.
TEST(Crc32cTable, MatchesTheDefinitionBitByBit)
{
	const auto buf = data(2048 + 64, 5);
	for (std::size_t mis = 0; mis < 8; ++mis)
		for (std::size_t len = 0; len <= 2048; ++len)
			ASSERT_EQ(crc32c_bitwise(~0u - len, buf.data() + mis, len),
				  crc32c_table(~0u - len, buf.data() + mis, len))
				<< "len " << len << " misalignment " << mis;
}

// The compile-time arithmetic against its definition: x^32 mod P is P's
// own lower terms, and the shift constants move a raw CRC over zero bytes.
TEST(Crc32cPoly, PowersAndShiftsOfX)
{
	EXPECT_EQ(0x80000000u, poly::xpow_mod(0));
	EXPECT_EQ(0x00000001u, poly::xpow_mod(31));
	EXPECT_EQ(poly::reflected_poly, poly::xpow_mod(32));
	static_assert(poly::xpow_mod(32) == poly::reflected_poly);
	// x^(a+b) = x^a * x^b: a raw CRC advanced over n zero bytes one byte at
	// a time equals its product with x^(8n).
	const auto raw = mo::detail::crc32c_kernels_table().raw;
	const std::vector<char> zeros(4096, 0);
	for (std::size_t n : {5, 8, 64, 256, 1024, 2048}) {
		const std::uint32_t c = 0xDEADBEEFu;
		const std::uint32_t by_bytes = raw(c, zeros.data(), n);
		// c * x^(8n) mod P by the table: the CRC of c's four bytes
		// followed by n - 4 zero bytes, from 0.
		std::vector<char> msg(n, 0);
		std::memcpy(msg.data(), &c, 4);
		EXPECT_EQ(by_bytes, raw(0, msg.data(), n)) << n;
	}
	const auto t = poly::make_slice_tables();
	EXPECT_EQ(0u, t[0][0]);
	EXPECT_EQ(poly::xpow_mod(32 + 7), t[0][1]) << "byte 1 is x^7 of the message";
}

TEST(Crc32cDispatch, BestFirstWithRequiredFeatures)
{
	auto impls = mo::detail::crc32c_implementations();
	if (impls.size() == 1) {
		// Architectures without CRC32C kernels of their own (aarch64, ppc64le).
		EXPECT_STREQ("table", impls[0].get().name);
		EXPECT_EQ(0u, impls[0].required);
		EXPECT_STREQ("table", mo::crc32c_selected());
		return;
	}
	ASSERT_EQ(3u, impls.size());
	EXPECT_STREQ("vpclmul", impls[0].get().name);
	EXPECT_STREQ("sse42", impls[1].get().name);
	EXPECT_STREQ("table", impls[2].get().name);
	EXPECT_EQ(mo::crc32c_family::vpclmul, impls[0].family);
	EXPECT_EQ(0u, impls[2].required) << "the table runs anywhere";
	mo::redispatch_crc32c(mo::crc32c_family::vpclmul);
	const unsigned f = mo::detail::crc32c_cpu_features();
	const char *best = (f & mo::detail::crc32c_feature_vpclmul) && (f & mo::detail::crc32c_feature_sse42)
		? "vpclmul" : (f & mo::detail::crc32c_feature_sse42) ? "sse42" : "table";
	EXPECT_STREQ(best, mo::crc32c_selected());
	mo::redispatch_crc32c(mo::crc32c_family::table);
	EXPECT_STREQ("table", mo::crc32c_selected());
	mo::redispatch_crc32c(mo::crc32c_limit_from_env());
}

TEST(Crc32cDispatch, EnvironmentLimitsTheFamily)
{
	std::string saved;
	const char *e = std::getenv("PMEM2_CRC32C");
	const bool had = e != nullptr;
	if (had)
		saved = e;
	auto with = [](const char *v) {
		setenv("PMEM2_CRC32C", v, 1);
		return mo::crc32c_limit_from_env();
	};
	EXPECT_EQ(mo::crc32c_family::table, with("table"));
	EXPECT_EQ(mo::crc32c_family::sse42, with("sse42"));
	EXPECT_EQ(mo::crc32c_family::vpclmul, with("vpclmul"));
	for (const char *v : {"", "TABLE", "sse4.2", "0", "avx512"})
		EXPECT_EQ(mo::crc32c_family::vpclmul, with(v)) << "'" << v << "' limits nothing";
	unsetenv("PMEM2_CRC32C");
	EXPECT_EQ(mo::crc32c_family::vpclmul, mo::crc32c_limit_from_env());
	setenv("PMEM2_CRC32C", "table", 1);
	mo::redispatch_crc32c(mo::crc32c_limit_from_env());
	EXPECT_STREQ("table", mo::crc32c_selected());
	if (had)
		setenv("PMEM2_CRC32C", saved.c_str(), 1);
	else
		unsetenv("PMEM2_CRC32C");
	mo::redispatch_crc32c(mo::crc32c_limit_from_env());
}
