// Works (dsa/work.hpp): each opcode's descriptor field by field in
// <linux/idxd.h>'s names, a fill's pattern phase for a piece at any offset,
// what the device refuses, what a record's result makes of a work; and works
// as jobs on the device model, cut into pieces and stopped by page faults,
// ending with the CPU kernels' results (memops::crc32c from any seed,
// memops::first_difference, memset8's bytes).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dsa/job.hpp"
#include "dsa/work.hpp"
#include "memops/compare.hpp"
#include "memops/crc32c.hpp"
#include "support/dsa_model.hpp"
#include "support/wait.hpp"

using namespace pmem2::dsa;
using pmem2::test::dsa_model;

namespace {

std::uint64_t a(const void *p)
{
	return reinterpret_cast<std::uintptr_t>(p);
}

constexpr std::uint32_t record = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
constexpr std::uint32_t durable = record | IDXD_OP_FLAG_DRDBK;	// CC clear
constexpr std::uint32_t crc_flags = crc_flag_read_seed | crc_flag_bypass_inversion |
	crc_flag_bypass_data_reflection;

} // namespace

TEST(DsaWork, Fill8CarriesThePatternAndKeepsItsPhaseFromAnyOffset)
{
	completion c{};
	char dst[64];
	const std::uint64_t p = 0x0807060504030201ULL;
	const work w = fill8_work(dst, p, 64, VDM_F_MEM_DURABLE);
	dsa_hw_desc d = describe(w, 0, 64, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_MEMFILL);
	EXPECT_EQ(d.flags, durable);
	EXPECT_EQ(d.pattern, p);
	EXPECT_EQ(d.dst_addr, a(dst));
	EXPECT_EQ(d.xfer_size, 64u);
	EXPECT_EQ(d.completion_addr, a(&c.rec));
	// From byte 3 on: byte i of the piece is byte (3 + i) % 8 of the whole.
	d = describe(w, 3, 61, &c);
	EXPECT_EQ(d.pattern, 0x0302010807060504ULL);
	EXPECT_EQ(d.dst_addr, a(dst + 3));
	EXPECT_EQ(d.xfer_size, 61u);
	EXPECT_EQ(describe(w, 8, 8, &c).pattern, p);
	EXPECT_EQ(describe(w, 13, 8, &c).pattern, 0x0504030201080706ULL);
}

TEST(DsaWork, DualcastNamesBothDestinations)
{
	completion c{};
	alignas(4096) static char buf[3 * 4096];
	const work w = dualcast_work(buf + 4096 + 5, buf + 2 * 4096 + 5, buf + 100, 50, VDM_F_MEM_DURABLE);
	const dsa_hw_desc d = describe(w, 10, 40, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_DUALCAST);
	EXPECT_EQ(d.flags, durable);
	EXPECT_EQ(d.src_addr, a(buf + 110));
	EXPECT_EQ(d.dst_addr, a(buf + 4096 + 15));
	EXPECT_EQ(d.dest2, a(buf + 2 * 4096 + 15));
	EXPECT_EQ(d.xfer_size, 40u);
	EXPECT_FALSE(device_refuses(w));
	// Bits 11:0 of the destinations differ: the device would refuse it.
	EXPECT_TRUE(device_refuses(dualcast_work(buf + 4096, buf + 2 * 4096 + 1, buf, 50, 0)));
	// Overlapping the source, or each other.
	EXPECT_TRUE(device_refuses(dualcast_work(buf + 4096, buf + 2 * 4096, buf + 4096 + 10, 50, 0)));
	EXPECT_TRUE(device_refuses(dualcast_work(buf + 4096, buf + 4096, buf, 50, 0)));
}

TEST(DsaWork, CrcgenSeedsWithTheCrcSoFarAndSetsNoCrcFlag)
{
	completion c{};
	char src[100] = {};
	work w = crcgen_work(src, 100, 0x12345678u);
	dsa_hw_desc d = describe(w, 0, 100, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_CRCGEN);
	EXPECT_EQ(d.flags, record);	// nothing written: no cache control, no readback
	EXPECT_EQ(d.flags & crc_flags, 0u) << "the device's own inversion is the zlib chaining";
	EXPECT_EQ(d.src_addr, a(src));
	EXPECT_EQ(d.crc_seed, 0x12345678u);
	EXPECT_EQ(d.crc_rsvd, 0u);
	EXPECT_EQ(d.seed_addr, 0u);
	EXPECT_EQ(d.xfer_size, 100u);
	w.crc = 0xabcdef01u;	// what a first piece gave
	d = describe(w, 60, 40, &c);
	EXPECT_EQ(d.src_addr, a(src + 60));
	EXPECT_EQ(d.crc_seed, 0xabcdef01u);
}

TEST(DsaWork, CopyCrcIsADurableCopyWithASeed)
{
	completion c{};
	char src[100] = {}, dst[100] = {};
	const work w = copy_crc_work(dst, src, 100, 7, VDM_F_MEM_DURABLE);
	const dsa_hw_desc d = describe(w, 4, 96, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_COPY_CRC);
	EXPECT_EQ(d.flags, durable);
	EXPECT_FALSE(d.flags & IDXD_OP_FLAG_CC);
	EXPECT_EQ(d.flags & crc_flags, 0u);
	EXPECT_EQ(d.src_addr, a(src + 4));
	EXPECT_EQ(d.dst_addr, a(dst + 4));
	EXPECT_EQ(d.crc_seed, 7u);
	EXPECT_EQ(d.xfer_size, 96u);
	EXPECT_TRUE(device_refuses(copy_crc_work(src + 10, src, 50, 0, 0)));
}

TEST(DsaWork, CompareNamesBothSourcesAndExpectsNothing)
{
	completion c{};
	char x[100] = {}, y[100] = {};
	const work w = compare_work(x, y, 100);
	EXPECT_EQ(w.difference, 100u);
	const dsa_hw_desc d = describe(w, 30, 70, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_COMPARE);
	EXPECT_EQ(d.flags, record);
	EXPECT_FALSE(d.flags & IDXD_OP_FLAG_CR) << "a difference is a result, not a failure";
	EXPECT_EQ(d.src_addr, a(x + 30));
	EXPECT_EQ(d.src2_addr, a(y + 30));
	EXPECT_EQ(d.expected_res, 0u);
	EXPECT_EQ(d.xfer_size, 70u);
}

TEST(DsaWork, RecordsGiveTheCrcAndTheFirstDifference)
{
	completion c{};
	char x[100] = {}, y[100] = {};
	work crc = crcgen_work(x, 100, 1);
	c.rec.crc_val = 0x1122334455667788ULL;
	c.rec.bytes_completed = 0;
	c.rec.status = DSA_COMP_PAGE_FAULT_NOBOF;
	EXPECT_FALSE(take_result(crc, 0, c));
	EXPECT_EQ(crc.crc, 1u) << "no byte done: the seed stands";
	c.rec.bytes_completed = 10;
	EXPECT_FALSE(take_result(crc, 0, c));
	EXPECT_EQ(crc.crc, 0x55667788u);
	work cmp = compare_work(x, y, 100);
	c.rec.status = DSA_COMP_SUCCESS;
	c.rec.result = 0;
	EXPECT_FALSE(take_result(cmp, 40, c));
	EXPECT_EQ(cmp.difference, 100u);
	c.rec.result = 1;
	c.rec.bytes_completed = 17;
	EXPECT_TRUE(take_result(cmp, 40, c));
	EXPECT_EQ(cmp.difference, 57u);
}

// ---- on the model -----------------------------------------------------------

namespace {

struct queue : queue_link {
	explicit queue(dsa_model &m, std::uint64_t max_xfer = 1 << 20)
	{
		port = &m;
		size = 16;
		max_transfer_size = max_xfer;
	}
};

work run(dsa_model &m, const work &w, std::uint64_t max_xfer = 1 << 20)
{
	queue q(m, max_xfer);
	job j(w, q);
	const auto end = std::chrono::steady_clock::now() + pmem2::test::wait_bound;
	job_state s;
	while ((s = j.poll()) == job_state::running && std::chrono::steady_clock::now() < end)
		std::this_thread::yield();
	EXPECT_EQ(s, job_state::done);
	return j.result();
}

std::vector<unsigned char> bytes(std::size_t n, unsigned seed)
{
	std::vector<unsigned char> v(n);
	for (std::size_t i = 0; i < n; ++i)
		v[i] = static_cast<unsigned char>((i * 131 + seed) >> 3);
	return v;
}

} // namespace

TEST(DsaWorkOnModel, CrcEqualsTheCpuKernelFromAnySeedInPiecesAndAfterFaults)
{
	EXPECT_EQ(pmem2::memops::crc32c(0, "123456789", 9), 0xE3069283u);
	const auto src = bytes(5 * 4096 + 77, 3);
	for (std::uint32_t seed : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
		SCOPED_TRACE(seed);
		const std::uint32_t want = pmem2::memops::crc32c(seed, src.data(), src.size());
		{
			dsa_model m;
			EXPECT_EQ(run(m, crcgen_work(src.data(), src.size(), seed)).crc, want);
		}
		{
			dsa_model m;	// pieces of 4000 bytes, each seeded by the last
			EXPECT_EQ(run(m, crcgen_work(src.data(), src.size(), seed), 4000).crc, want);
		}
		for (std::size_t page : {1, 2, 5}) {
			dsa_model m;
			m.fault_at(src.data() + page * 4096 - (a(src.data()) % 4096));
			EXPECT_EQ(run(m, crcgen_work(src.data() + 1, src.size() - 1, seed)).crc,
				pmem2::memops::crc32c(seed, src.data() + 1, src.size() - 1));
			EXPECT_EQ(m.accepted(), 2u) << "resumed after the fault";
		}
	}
}

TEST(DsaWorkOnModel, CopyCrcCopiesAndGivesTheCrcAfterAFault)
{
	const auto src = bytes(3 * 4096 + 5, 9);
	std::vector<unsigned char> dst(src.size() + 64);
	dsa_model m;
	m.fault_at(dst.data() + 3 + 4096);
	const work r = run(m, copy_crc_work(dst.data() + 3, src.data(), src.size(), 0x5a5a5a5au, 0));
	EXPECT_EQ(r.crc, pmem2::memops::crc32c(0x5a5a5a5au, src.data(), src.size()));
	EXPECT_EQ(std::memcmp(dst.data() + 3, src.data(), src.size()), 0);
	EXPECT_EQ(m.accepted(), 2u);
}

TEST(DsaWorkOnModel, CompareEndsAtTheFirstDifferenceAcrossPiecesAndFaults)
{
	const std::size_t n = 4 * 4096 + 11;
	const auto x = bytes(n, 1);
	for (std::size_t at : {std::size_t(0), n / 2, n - 1, n}) {
		SCOPED_TRACE(at);
		auto y = x;
		if (at != n)
			y[at] ^= 0x40;
		const std::size_t want = pmem2::memops::first_difference(x.data(), y.data(), n);
		ASSERT_EQ(want, at);
		{
			dsa_model m;
			EXPECT_EQ(run(m, compare_work(x.data(), y.data(), n)).difference, want);
		}
		{
			dsa_model m;
			EXPECT_EQ(run(m, compare_work(x.data(), y.data(), n), 3000).difference, want);
		}
		dsa_model m;
		m.fault_at(y.data() + 2 * 4096);
		EXPECT_EQ(run(m, compare_work(x.data(), y.data(), n)).difference, want);
	}
}

TEST(DsaWorkOnModel, Fill8KeepsThePatternPhaseAcrossPiecesAndFaults)
{
	const std::uint64_t p = 0x1122334455667788ULL;
	const std::size_t n = 3 * 4096 + 13;
	for (std::size_t misalign : {0, 3}) {
		std::vector<unsigned char> dst(n + 64, 0);
		unsigned char *d = dst.data() + misalign;
		dsa_model m;
		// The fault stops the fill at a byte that is not a multiple of 8
		// from its start: the rest starts mid-pattern.
		m.fault_at(reinterpret_cast<void *>((a(d) + 4096) & ~std::uint64_t(4095)));
		run(m, fill8_work(d, p, n, 0), 4091);
		for (std::size_t i = 0; i < n; ++i)
			ASSERT_EQ(d[i], static_cast<unsigned char>(p >> (8 * (i % 8)))) << i;
		EXPECT_GT(m.accepted(), 2u);
	}
}

TEST(DsaWorkOnModel, DualcastWritesBothDestinationsAfterAFault)
{
	alignas(4096) static unsigned char d1[3 * 4096], d2[3 * 4096];
	const auto src = bytes(2 * 4096 + 100, 5);
	dsa_model m;
	m.fault_at(d2 + 4096);
	run(m, dualcast_work(d1 + 9, d2 + 9, src.data(), src.size(), 0));
	EXPECT_EQ(std::memcmp(d1 + 9, src.data(), src.size()), 0);
	EXPECT_EQ(std::memcmp(d2 + 9, src.data(), src.size()), 0);
	EXPECT_EQ(m.accepted(), 2u);
}

TEST(DsaWorkOnModel, TheModelRefusesDualcastDestinationsWithDifferentLowBits)
{
	alignas(4096) static unsigned char d1[4096], d2[4096], src[64];
	dsa_model m;
	queue q(m);
	job j(dualcast_work(d1, d2 + 1, src, 64, 0), q);
	const auto end = std::chrono::steady_clock::now() + pmem2::test::wait_bound;
	job_state s;
	while ((s = j.poll()) == job_state::running && std::chrono::steady_clock::now() < end)
		std::this_thread::yield();
	EXPECT_EQ(s, job_state::failed);
	EXPECT_EQ(j.failed_status(), DSA_COMP_ADDR_ALIGN);
}
