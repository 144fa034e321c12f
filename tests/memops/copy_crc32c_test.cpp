// copy_crc32c: for every family, the bytes written equal the source and
// nothing else changes, the CRC equals crc32c of the source, for every
// misalignment of either side and every length; and, through the recorder,
// the durability of each granularity: at CACHE_LINE every destination line
// flushed or streamed, then exactly one fence, last.
#include "memops/crc32c_cases.hpp"

#include <algorithm>
#include <set>

using namespace memops_test;
using mo::granularity;

namespace {

class CopyCrc32c : public CrcFamilyFixture {};

constexpr std::size_t guard = 128;
constexpr std::size_t large_len = (std::size_t(1) << 20) + 13;
const granularity all_grans[] = {granularity::cache_line, granularity::byte, granularity::page};

// Source and destination arenas; the destination is restored after each
// copy so the guards around it can be checked.
struct rig {
	buffer src, dst, pristine;
	explicit rig(std::size_t most)
	    : src(most + 2 * guard + 64), dst(most + 2 * guard + 64), pristine(most + 2 * guard + 64)
	{
		fill_pattern(src.data(), src.size, 7);
		fill_pattern(pristine.data(), pristine.size, 8);
		std::memcpy(dst.data(), pristine.data(), dst.size);
	}
	char *d(std::size_t mis) const { return reinterpret_cast<char *>(dst.data() + guard + mis); }
	const char *s(std::size_t mis) const { return reinterpret_cast<const char *>(src.data() + guard + mis); }

	::testing::AssertionResult copy(granularity g, std::size_t len, std::size_t dmis, std::size_t smis,
					std::uint32_t crc = 0)
	{
		char *dp = d(dmis);
		const char *sp = s(smis);
		const std::uint32_t got = mo::copy_crc32c(dp, sp, len, crc, g);
		auto res = ::testing::AssertionSuccess();
		const std::uint32_t want = crc32c_table(crc, sp, len);
		const std::size_t off = guard + dmis;
		if (got != want)
			res = ::testing::AssertionFailure() << "crc " << std::hex << got << " not " << want << std::dec;
		else if (std::memcmp(dp, sp, len) != 0)
			res = ::testing::AssertionFailure() << "bytes differ";
		else if (std::memcmp(dst.data(), pristine.data(), off) != 0)
			res = ::testing::AssertionFailure() << "stored below dest";
		else if (std::memcmp(dst.data() + off + len, pristine.data() + off + len, dst.size - off - len) != 0)
			res = ::testing::AssertionFailure() << "stored past dest + len";
		std::memcpy(dp, pristine.data() + off, len);
		if (res)
			return res;	// described only on failure: this runs a hundred thousand times
		return res << " (granularity " << static_cast<int>(g) << " len " << len << " dmis " << dmis
			   << " smis " << smis << ")";
	}
};

// Where the CPU cannot write back a line (riscv64 without Zicbom) the
// CACHE_LINE copy is the page copy and one page sync of exactly the
// destination, after every store (no flush, nothing streamed).
::testing::AssertionResult durable_by_page_sync(const recording &rec, const char *d, std::size_t len)
{
	std::size_t syncs = 0;
	for (std::size_t i = 0; i < rec.ev.size(); ++i) {
		const event &e = rec.ev[i];
		if (e.kind == event::flush || e.kind == event::nt)
			return ::testing::AssertionFailure() << "a line flushed or streamed without line write-back";
		if (e.kind != event::page_sync)
			continue;
		++syncs;
		if (i + 1 != rec.ev.size())
			return ::testing::AssertionFailure() << "event after the page sync";
		if (e.a != reinterpret_cast<std::uintptr_t>(d) || e.n != len)
			return ::testing::AssertionFailure() << "the page sync is not of the destination";
	}
	if (syncs != 1)
		return ::testing::AssertionFailure() << syncs << " page syncs, not one";
	return ::testing::AssertionSuccess();
}

// Which lines of [d, d+len) the events made durable, and in what order.
::testing::AssertionResult durable_at_cache_line(const recording &rec, const char *d, std::size_t len)
{
	if (!mo::can_write_back_lines())
		return durable_by_page_sync(rec, d, len);
	std::set<std::uintptr_t> flushed;
	std::vector<std::pair<std::uintptr_t, std::uintptr_t>> streamed;
	std::size_t fences = 0;
	for (std::size_t i = 0; i < rec.ev.size(); ++i) {
		const event &e = rec.ev[i];
		if (e.kind == event::fence) {
			++fences;
			if (i + 1 != rec.ev.size())
				return ::testing::AssertionFailure() << "event after the fence";
		} else if (e.kind == event::flush) {
			flushed.insert(e.a);
		} else if (e.kind == event::nt) {
			streamed.emplace_back(e.a, e.a + e.n);
		} else if (e.kind == event::page_sync) {
			return ::testing::AssertionFailure() << "page sync at CACHE_LINE";
		}
	}
	if (fences != 1)
		return ::testing::AssertionFailure() << fences << " fences, not one";
	const auto begin = reinterpret_cast<std::uintptr_t>(d), end = begin + len;
	for (std::uintptr_t line = begin & ~std::uintptr_t(63); len != 0 && line < end; line += 64) {
		if (flushed.count(line))
			continue;
		// Not flushed: every byte of it in [d, d+len) streamed.
		const std::uintptr_t lo = std::max(line, begin), hi = std::min(line + 64, end);
		bool covered = false;
		for (auto [a, b] : streamed)
			covered = covered || (a <= lo && hi <= b);
		if (!covered)
			return ::testing::AssertionFailure() << "line +" << (line - begin) << " neither flushed nor streamed";
	}
	for (auto [a, b] : streamed)
		if (a < begin || b > end || (a & 63) != 0)
			return ::testing::AssertionFailure() << "streamed range outside dest or not line-aligned";
	return ::testing::AssertionSuccess();
}

// Lengths: every one to 4096 for the bytes, a sample for the durability.
std::vector<std::size_t> some_lengths()
{
	return {0, 1, 3, 8, 63, 64, 65, 127, 128, 200, 255, 256, 257, 300, 511, 512, 513, 1000,
		3071, 3072, 3073, 4096, 4096 + 13, 10000};
}

} // namespace

INSTANTIATE_TEST_SUITE_P(Families, CopyCrc32c, ::testing::ValuesIn(all_crc_cases()), crc_case_name);

TEST_P(CopyCrc32c, EveryLengthTo4096)
{
	rig r(4096 + 64);
	for (granularity g : all_grans)
		for (std::size_t len = 0; len <= 4096; ++len)
			ASSERT_TRUE(r.copy(g, len, (len * 7) & 63, (len * 13) & 63, static_cast<std::uint32_t>(len)));
}

TEST_P(CopyCrc32c, EveryMisalignmentOfSourceAndDestination)
{
	rig r(10000 + 64);
	for (std::size_t len : some_lengths())
		for (std::size_t dmis = 0; dmis < 64; ++dmis)
			for (std::size_t smis = 0; smis < 64; ++smis)
				ASSERT_TRUE(r.copy(granularity::cache_line, len, dmis, smis, 0x1234u));
}

TEST_P(CopyCrc32c, LargeCopies)
{
	rig r(large_len + 64);
	for (granularity g : all_grans)
		for (auto [dmis, smis] : {std::pair<std::size_t, std::size_t>{0, 0}, {0, 5}, {33, 0}, {63, 1}})
			ASSERT_TRUE(r.copy(g, large_len, dmis, smis, 99));
}

// Splitting a copy in pieces chains the CRC like crc32c().
TEST_P(CopyCrc32c, ChainsLikeCrc32c)
{
	rig r(70000);
	const char *s = r.s(3);
	char *d = r.d(9);
	std::uint32_t crc = 0;
	std::size_t off = 0;
	for (std::size_t piece : {1, 63, 300, 4096, 7, 65536 - 4467})
		crc = mo::copy_crc32c(d + off, s + off, piece, crc, granularity::cache_line), off += piece;
	EXPECT_EQ(mo::crc32c(0, s, off), crc);
	EXPECT_EQ(0, std::memcmp(d, s, off));
}

// CACHE_LINE, each flush instruction the CPU has (the best slot, then
// with the better ones ruled out; flush_arch.hpp): every line of the
// destination flushed or streamed, then one fence, the last event; the
// store kind as the threshold says; the family's kernel named.
TEST_P(CopyCrc32c, DurableAtCacheLine)
{
	rig r(10000 + 64);
	std::vector<mo::dispatch_options> kinds(3);
	kinds[1].no_clwb = true;
	kinds[2].no_clwb = kinds[2].no_clflushopt = true;
	const bool streams = crc_row(GetParam()).copy_streams;
	recording rec;
	for (const mo::dispatch_options &opt : kinds) {
		force(&rec, opt);
		const std::size_t threshold = mo::selected().movnt_threshold;
		for (std::size_t len : some_lengths())
			for (std::size_t dmis : {0, 1, 32, 63}) {
				rec.clear();
				ASSERT_TRUE(r.copy(granularity::cache_line, len, dmis, (dmis + 5) & 63));
				ASSERT_TRUE(durable_at_cache_line(rec, r.d(dmis), len))
					<< "len " << len << " dmis " << dmis << " flush " << mo::selected().flush;
				// Only x86-64 streams (copy_crc32c.hpp, crc_streams).
				const bool nt = streams && len >= threshold;
				const std::string kind = nt ? "nt" : "t";
				ASSERT_EQ(std::vector<std::string>{"copy_crc32c_" + kind + "_" + GetParam().name},
					  rec.kernels());
				if (nt && len >= threshold + 128) {
					ASSERT_GT(rec.count(event::nt), 0u) << "len " << len;
				}
			}
	}
	// Without a recorder at dispatch, the production variant reports nothing
	// (but the page sync, which reports to any recorder installed, where
	// the CPU cannot write back lines).
	force(nullptr);
	mo::set_recorder(&rec);
	rec.clear();
	ASSERT_TRUE(r.copy(granularity::cache_line, 4096, 0, 0));
	EXPECT_EQ(mo::can_write_back_lines() ? 0u : 1u, rec.ev.size());
	EXPECT_EQ(rec.ev.size(), rec.count(event::page_sync));
}

// BYTE: regular stores only, nothing flushed, one fence at the end.
TEST_P(CopyCrc32c, ByteStoresAndFencesOnce)
{
	rig r(10000 + 64);
	recording rec;
	force(&rec);
	for (std::size_t len : some_lengths()) {
		rec.clear();
		ASSERT_TRUE(r.copy(granularity::byte, len, 3, 0));
		ASSERT_EQ(std::vector<std::string>{"copy_crc32c_t_" + GetParam().name}, rec.kernels());
		EXPECT_EQ(0u, rec.count(event::flush) + rec.count(event::nt) + rec.count(event::page_sync)) << len;
		ASSERT_EQ(1u, rec.count(event::fence)) << len;
		EXPECT_EQ(event::fence, rec.ev.back().kind);
	}
}

// PAGE: nothing flushed and no page sync (the caller msyncs); streamed
// from the threshold up and then fenced once, else regular stores and no
// fence.
TEST_P(CopyCrc32c, PageFlushesNothingAndFencesOnlyStreams)
{
	rig r(10000 + 64);
	recording rec;
	force(&rec);
	const std::size_t threshold = mo::selected().movnt_threshold;
	for (std::size_t len : some_lengths()) {
		rec.clear();
		ASSERT_TRUE(r.copy(granularity::page, len, 0, 9));
		EXPECT_EQ(0u, rec.count(event::flush) + rec.count(event::page_sync)) << len;
		const bool nt = crc_row(GetParam()).copy_streams && len >= threshold;	// x86-64 only streams
		ASSERT_EQ(std::vector<std::string>{std::string("copy_crc32c_") + (nt ? "nt_" : "t_") + GetParam().name},
			  rec.kernels());
		ASSERT_EQ(nt ? 1u : 0u, rec.count(event::fence)) << len;
		if (nt) {
			EXPECT_EQ(event::fence, rec.ev.back().kind);
		}
	}
}

// The threshold is memops': forcing it moves the store kind.
TEST_P(CopyCrc32c, FollowsTheNonTemporalThreshold)
{
	rig r(4096 + 64);
	recording rec;
	mo::dispatch_options opt;
	opt.movnt_threshold = 1000;
	force(&rec, opt);
	// Only x86-64 (SSE2, its baseline) has streaming stores; elsewhere
	// every copy is stored and flushed (copy_crc32c.hpp, crc_streams).
	const bool streams = crc_row(GetParam()).copy_streams;
	for (std::size_t len : {999, 1000}) {
		rec.clear();
		ASSERT_TRUE(r.copy(granularity::cache_line, len, 0, 0));
		ASSERT_TRUE(durable_at_cache_line(rec, r.d(0), len));
		EXPECT_EQ(streams && len >= 1000 ? 1u : 0u, rec.count(event::nt)) << len;
	}
}
