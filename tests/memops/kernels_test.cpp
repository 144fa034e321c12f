// Data correctness of every kernel family through the per-granularity entry
// points: all flag combinations, lengths, misalignments and overlaps,
// checked against std::memmove/std::memset, with guard bytes around the
// destination.
#include "kernel_fixture.hpp"

#include <algorithm>
#include <set>

using namespace memops_test;
using mo::granularity;

namespace {

constexpr std::size_t guard = 128;
constexpr std::size_t max_len = 4096 + 64;

// Lengths: every value 0..300, then a sweep to 4096 with the interesting
// boundaries around lines, the threshold and pages.
std::vector<std::size_t> sweep_lengths()
{
	std::set<std::size_t> s;
	for (std::size_t i = 0; i <= 300; ++i)
		s.insert(i);
	const std::size_t step = std::max<std::size_t>(1, static_cast<std::size_t>(13 / stress_scale()));
	for (std::size_t i = 301; i <= 4096; i += step)
		s.insert(i);
	for (std::size_t b : {512u, 768u, 1024u, 2048u, 3072u, 4096u})
		for (std::size_t d = 0; d < 3; ++d) {
			s.insert(b - d);
			s.insert(std::min<std::size_t>(4096, b + d));
		}
	return {s.begin(), s.end()};
}

// One destination arena (restored after each call) and one source arena.
struct copy_rig {
	buffer dst{max_len + 2 * guard + 64};
	buffer pristine{max_len + 2 * guard + 64};
	buffer src{max_len + 2 * guard + 64};
	copy_rig()
	{
		fill_pattern(pristine.data(), pristine.size, 1);
		std::memcpy(dst.data(), pristine.data(), dst.size);
		fill_pattern(src.data(), src.size, 2);
	}

	// Copy len bytes at the given misalignments; true if the destination
	// got exactly the source and the guards are intact. (Compared with
	// memcmp and described only on failure: these run a million times,
	// under emulation too.)
	::testing::AssertionResult memmove(const mo::ops_table &t, std::size_t len, std::size_t dmis,
					   std::size_t smis, unsigned flags)
	{
		unsigned char *d = dst.data() + guard + dmis;
		const unsigned char *s = src.data() + guard + smis;
		void *ret = t.memmove(d, s, len, flags);
		auto res = check(d, len, std::memcmp(d, s, len) == 0);
		if (ret != d)
			res = ::testing::AssertionFailure() << "returned " << ret << " not dest";
		restore(d, len);
		if (res)
			return res;
		return res << " (memmove len " << len << " dmis " << dmis << " smis " << smis
			   << " flags 0x" << std::hex << flags << std::dec << ")";
	}

	::testing::AssertionResult memset(const mo::ops_table &t, std::size_t len, std::size_t dmis,
					  int c, unsigned flags)
	{
		unsigned char *d = dst.data() + guard + dmis;
		void *ret = t.memset(d, c, len, flags);
		const auto b = static_cast<unsigned char>(c);
		// Every byte is b: the first is, and each equals the next.
		auto res = check(d, len, len == 0 || (d[0] == b && std::memcmp(d, d + 1, len - 1) == 0));
		if (ret != d)
			res = ::testing::AssertionFailure() << "returned " << ret << " not dest";
		restore(d, len);
		if (res)
			return res;
		return res << " (memset len " << len << " dmis " << dmis << " c " << c << " flags 0x"
			   << std::hex << flags << std::dec << ")";
	}

	::testing::AssertionResult check(const unsigned char *d, std::size_t len, bool stored_right)
	{
		const std::size_t off = static_cast<std::size_t>(d - dst.data());
		if (!stored_right)
			return ::testing::AssertionFailure() << "destination bytes wrong";
		if (std::memcmp(dst.data() + off - guard, pristine.data() + off - guard, guard) != 0)
			return ::testing::AssertionFailure() << "guard before dest touched";
		if (std::memcmp(d + len, pristine.data() + off + len, guard) != 0)
			return ::testing::AssertionFailure() << "guard after dest touched";
		return ::testing::AssertionSuccess();
	}

	void restore(unsigned char *d, std::size_t len)
	{
		std::memcpy(d, pristine.data() + (d - dst.data()), len);
	}
};

const granularity all_grans[] = {granularity::cache_line, granularity::byte, granularity::page};

// Hint flags the length sweeps run with (all store kinds and drains).
const unsigned sweep_flags[] = {0, mo::f_nontemporal, mo::f_temporal, mo::f_noflush,
				mo::f_nodrain, mo::f_wc};

} // namespace

TEST_P(Kernel, MemmoveAllLengthsAndDestAlignments)
{
	copy_rig rig;
	const auto lens = sweep_lengths();
	for (granularity g : {granularity::cache_line, granularity::byte}) {
		const mo::ops_table &t = mo::ops(g);
		for (unsigned flags : sweep_flags)
			for (std::size_t len : lens) {
				const std::size_t step = len <= 300 ? 1 : 7;
				for (std::size_t dmis = 0; dmis < 64; dmis += step)
					ASSERT_TRUE(rig.memmove(t, len, dmis, (dmis * 5 + len) & 63, flags));
			}
	}
}

TEST_P(Kernel, MemsetAllLengthsAndDestAlignments)
{
	copy_rig rig;
	const auto lens = sweep_lengths();
	for (granularity g : {granularity::cache_line, granularity::byte}) {
		const mo::ops_table &t = mo::ops(g);
		for (unsigned flags : sweep_flags)
			for (std::size_t len : lens) {
				const std::size_t step = len <= 300 ? 1 : 7;
				for (std::size_t dmis = 0; dmis < 64; dmis += step)
					ASSERT_TRUE(rig.memset(t, len, dmis, static_cast<int>(len * 31 + dmis), flags));
			}
	}
}

TEST_P(Kernel, PageGranularityLengths)
{
	copy_rig rig;
	const mo::ops_table &t = mo::ops(granularity::page);
	for (unsigned flags : sweep_flags)
		for (std::size_t len = 0; len <= 4096; len += (len < 300 ? 1 : 61)) {
			ASSERT_TRUE(rig.memmove(t, len, len & 63, (len * 3) & 63, flags));
			ASSERT_TRUE(rig.memset(t, len, (len * 7) & 63, static_cast<int>(len), flags));
		}
}

TEST_P(Kernel, EveryFlagCombination)
{
	copy_rig rig;
	const std::size_t lens[] = {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 128, 129,
				    255, 256, 257, 300, 1024, 4096};
	for (granularity g : all_grans) {
		const mo::ops_table &t = mo::ops(g);
		for (unsigned flags = 0; flags <= mo::f_valid_flags; ++flags)
			for (std::size_t len : lens)
				for (std::size_t dmis : {0u, 1u, 8u, 40u}) {
					ASSERT_TRUE(rig.memmove(t, len, dmis, (dmis + 3) & 63, flags));
					ASSERT_TRUE(rig.memset(t, len, dmis, 0x5A + static_cast<int>(flags), flags));
				}
	}
}

TEST_P(Kernel, EverySrcDestMisalignment)
{
	copy_rig rig;
	const std::size_t lens[] = {1, 33, 64, 200, 1000};
	const mo::ops_table &t = mo::ops(granularity::cache_line);
	for (unsigned flags : {0u, unsigned(mo::f_nontemporal), unsigned(mo::f_temporal)})
		for (std::size_t len : lens)
			for (std::size_t dmis = 0; dmis < 64; ++dmis)
				for (std::size_t smis = 0; smis < 64; ++smis)
					ASSERT_TRUE(rig.memmove(t, len, dmis, smis, flags));
}

TEST_P(Kernel, MemsetConvertsValueToUnsignedChar)
{
	copy_rig rig;
	const mo::ops_table &t = mo::ops(granularity::cache_line);
	for (int c : {0x1234, -1, -128, 0x7FFFFF00, 255})
		for (std::size_t len : {5u, 64u, 300u, 2000u})
			ASSERT_TRUE(rig.memset(t, len, 3, c, 0));
}

// The same data through the variants for every flush slot the CPU offers
// (flush_arch.hpp: CLWB, CLFLUSHOPT, CLFLUSH on x86-64; DC CVADP, DC CVAP,
// DC CVAC on aarch64), each forced by the options that rule out the better
// slots and verified by force(). Which slot a CPU gets is the
// architecture's test's (cpu_<arch>_test.cpp); here, an option that rules
// a slot out is obeyed and the last slot, which every CPU has, is reached.
TEST_P(Kernel, EveryFlushInstructionVariant)
{
	copy_rig rig;
	std::set<int> seen;
	for (int choice = 0; choice < 3; ++choice) {
		auto opt = GetParam().opt;
		opt.no_clwb = choice >= 1;
		opt.no_clflushopt = choice >= 2;
		ASSERT_NO_FATAL_FAILURE(force(nullptr, &opt));
		const int slot = selected_slot();
		ASSERT_GE(slot, choice) << mo::selected().flush << " was ruled out";
		seen.insert(slot);
		for (granularity g : all_grans) {
			const mo::ops_table &t = mo::ops(g);
			for (unsigned flags : {0u, unsigned(mo::f_nontemporal), unsigned(mo::f_temporal),
					       unsigned(mo::f_nodrain)})
				for (std::size_t len = 0; len <= 4096; len += (len < 300 ? 1 : 97)) {
					if (g == granularity::page && len % 5)
						continue;	// msync per call: sample
					ASSERT_TRUE(rig.memmove(t, len, (len * 7) & 63, (len * 3) & 63, flags));
					ASSERT_TRUE(rig.memset(t, len, (len * 11) & 63, static_cast<int>(len), flags));
				}
		}
	}
	EXPECT_TRUE(seen.count(2)) << mo::detail::arch_flush_names[2] << " never chosen";
}

// Overlapping moves in both directions, against std::memmove on a copy.
TEST_P(Kernel, OverlappingMovesBothDirections)
{
	const std::size_t span = 6000;
	buffer buf(span + 2 * guard);
	buffer ref(span + 2 * guard);
	buffer pristine(span + 2 * guard);
	fill_pattern(pristine.data(), pristine.size, 7);
	std::vector<std::size_t> lens;
	for (std::size_t l = 1; l <= 300; l += (l < 80 ? 1 : 7))
		lens.push_back(l);
	// Also every way the line groups split a run (one group per power of
	// two of lines below 2 * group_lines, 4-line groups above).
	for (std::size_t l : {447u, 511u, 512u, 513u, 960u, 1000u, 1023u, 1024u, 1536u, 1984u, 2047u,
			      2048u, 2049u, 2112u, 3968u, 4000u})
		lens.push_back(l);
	const long deltas[] = {1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 100, 127, 128,
			       129, 255, 256, 257, 300, 511};
	for (granularity g : all_grans) {
		const mo::ops_table &t = mo::ops(g);
		for (unsigned flags : {0u, unsigned(mo::f_nontemporal), unsigned(mo::f_temporal),
				       unsigned(mo::f_noflush)})
			for (std::size_t len : lens)
				for (long delta : deltas)
					for (int sign : {1, -1}) {
						if (g == granularity::page && (len % 3) != 0)
							continue;	// msync per call: sample
						const long dd = sign * delta;
						unsigned char *base = buf.data() + guard + 600;
						const std::size_t dmis = (len + static_cast<std::size_t>(delta)) & 63;
						unsigned char *d = base + dmis;
						unsigned char *s = d - dd;
						std::memcpy(buf.data(), pristine.data(), buf.size);
						std::memcpy(ref.data(), pristine.data(), ref.size);
						std::memmove(ref.data() + (d - buf.data()), ref.data() + (s - buf.data()), len);
						t.memmove(d, s, len, flags);
						ASSERT_EQ(0, std::memcmp(buf.data(), ref.data(), buf.size))
							<< "len " << len << " delta " << dd << " flags " << flags
							<< " gran " << static_cast<int>(g);
					}
	}
}

TEST_P(Kernel, ZeroLengthAndSamePointerStoreNothing)
{
	copy_rig rig;
	for (granularity g : all_grans) {
		const mo::ops_table &t = mo::ops(g);
		for (unsigned flags = 0; flags <= mo::f_valid_flags; ++flags) {
			unsigned char *d = rig.dst.data() + guard + 5;
			EXPECT_EQ(d, t.memmove(d, rig.src.data(), 0, flags));
			EXPECT_EQ(d, t.memset(d, 0x11, 0, flags));
			EXPECT_EQ(d, t.memmove(d, d, 1000, flags));
			EXPECT_EQ(0, std::memcmp(rig.dst.data(), rig.pristine.data(), rig.dst.size));
		}
	}
}

// Large copies and fills (1 MiB+13 and 16 MiB), misaligned, both
// directions of overlap, every store kind.
TEST_P(Kernel, LargeCopiesAndFills)
{
	const std::size_t sizes[] = {(1u << 20) + 13, std::size_t(16) << 20};
	for (std::size_t n : sizes) {
		if (n > (4u << 20) && stress_scale() < 0.5)
			continue;
		buffer src(n + 4096), dst(n + 4096), ref(n + 4096);
		fill_pattern(src.data(), src.size, n);
		for (granularity g : {granularity::cache_line, granularity::byte, granularity::page}) {
			const mo::ops_table &t = mo::ops(g);
			for (unsigned flags : {0u, unsigned(mo::f_nontemporal), unsigned(mo::f_temporal),
					       unsigned(mo::f_noflush)}) {
				std::memset(dst.data(), 0xEE, dst.size);
				unsigned char *d = dst.data() + 64 + 3;
				const unsigned char *s = src.data() + 17;
				t.memmove(d, s, n, flags);
				ASSERT_EQ(0, std::memcmp(d, s, n)) << "size " << n << " flags " << flags;
				ASSERT_EQ(0xEE, d[-1]);
				ASSERT_EQ(0xEE, d[n]);
				t.memset(d, 0x3C, n, flags);
				ASSERT_TRUE(std::all_of(d, d + n, [](unsigned char c) { return c == 0x3C; }));
				ASSERT_EQ(0xEE, d[-1]);
				ASSERT_EQ(0xEE, d[n]);
			}
		}
		// Overlap: shift a large block up by 5 and back down by 69.
		std::memcpy(dst.data(), src.data(), n);
		std::memcpy(ref.data(), src.data(), n);
		const std::size_t m = n - 4096;
		const mo::ops_table &t = mo::ops(granularity::cache_line);
		t.memmove(dst.data() + 5, dst.data(), m, 0);
		std::memmove(ref.data() + 5, ref.data(), m);
		ASSERT_EQ(0, std::memcmp(dst.data(), ref.data(), n));
		t.memmove(dst.data() + 1, dst.data() + 70, m, mo::f_nontemporal);
		std::memmove(ref.data() + 1, ref.data() + 70, m);
		ASSERT_EQ(0, std::memcmp(dst.data(), ref.data(), n));
	}
}

INSTANTIATE_TEST_SUITE_P(Kernels, Kernel, ::testing::ValuesIn(all_kernel_cases()), case_name);
