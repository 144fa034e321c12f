// ppc64le feature detection and flush choice: each hwcap combination (faked
// through set_cpu_for_test) and option selects its instruction and the
// drain that completes it, and a CACHE_LINE persist through it runs: the
// recorder sees every 64-byte line of every 128-byte block flushed, once,
// and the drain after them. A slot the real CPU lacks is checked by
// selection only, not run. (qemu-user 7.2 raises SIGILL on dcbstps and
// phwsync on every CPU model, its power10 one included, which reports
// PPC_FEATURE2_ARCH_3_1; so the toolchain file runs the tests on a POWER9
// model, which does not report it.)
#include <gtest/gtest.h>

#include <sys/auxv.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "memops/cpu_ppc64le.hpp"
#include "memops/flush_arch.hpp"
#include "memops/memops.hpp"
#include "flush_counter.hpp"

namespace mo = pmem2::memops;
using memops_test::counting;

namespace {

struct flush_case {
	const char *name;
	unsigned long hwcap, hwcap2;
	bool no_clwb, no_clflushopt;
	const char *flush;
	bool persistent_drain;	// phwsync rather than hwsync
};

void PrintTo(const flush_case &c, std::ostream *os)
{
	*os << c.name;
}

class Ppc64leFlush : public ::testing::TestWithParam<flush_case> {
protected:
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::set_cpu_for_test(nullptr);
		mo::redispatch(mo::options_from_env());
	}
};

// The lines from..to (indices of 64-byte lines of buf), in order.
std::vector<const void *> lines(const char *buf, int from, int to)
{
	std::vector<const void *> v;
	for (int i = from; i <= to; ++i)
		v.push_back(buf + 64 * i);
	return v;
}

} // namespace

TEST(Ppc64leCpu, HwcapBits)
{
	const mo::cpu_features none = mo::cpu_from_hwcaps(0, 0);
	EXPECT_FALSE(none.dcbstps);
	EXPECT_FALSE(none.vsx);
	const mo::cpu_features all = mo::cpu_from_hwcaps(mo::hwcap_vsx, mo::hwcap2_arch_3_1);
	EXPECT_TRUE(all.dcbstps);
	EXPECT_TRUE(all.vsx);
	// ISA 3.0 (PPC_FEATURE2_ARCH_3_00) is not 3.1: no dcbstps.
	EXPECT_FALSE(mo::cpu_from_hwcaps(mo::hwcap_vsx, 0x00800000ul).dcbstps);
	EXPECT_FALSE(all.clwb);	// no other architecture's feature is ever reported
	EXPECT_FALSE(all.dc_cvap);
}

TEST(Ppc64leCpu, DefaultSelectionMatchesTheCpu)
{
	const mo::cpu_features &c = mo::cpu();
	const mo::dispatch_options o = mo::options_from_env();
	const char *want = c.dcbstps && !o.no_clwb ? "dcbstps" : !o.no_clflushopt ? "dcbst" : "dcbf";
	EXPECT_STREQ(want, mo::selected().flush);
	EXPECT_STREQ("generic", mo::selected().kernel);
	EXPECT_FALSE(mo::selected().wc_workaround);
	// The real CPU's hwcaps, read here independently of the library.
	EXPECT_EQ((getauxval(AT_HWCAP2) & mo::hwcap2_arch_3_1) != 0, c.dcbstps);
}

// The flush loops step by 128 bytes (flush_arch.hpp): right only while the
// CPU's cache block is a multiple of that.
TEST(Ppc64leCpu, FlushBlockDividesTheCpusCacheBlock)
{
	const unsigned long block = getauxval(AT_DCACHEBSIZE);
	if (block == 0)
		GTEST_SKIP() << "skipped: the kernel reports no AT_DCACHEBSIZE";
	EXPECT_EQ(128u, mo::detail::arch_flush_block);
	EXPECT_EQ(0u, block % mo::detail::arch_flush_block) << "cache block " << block;
}

TEST_P(Ppc64leFlush, PersistFlushesEveryBlockThenDrains)
{
	const flush_case &fc = GetParam();
	const mo::cpu_features fake = mo::cpu_from_hwcaps(fc.hwcap, fc.hwcap2);
	mo::set_cpu_for_test(&fake);
	counting rec;
	mo::set_recorder(&rec);
	mo::dispatch_options o;
	o.no_clwb = fc.no_clwb;
	o.no_clflushopt = fc.no_clflushopt;
	mo::redispatch(o);
	ASSERT_STREQ(fc.flush, mo::selected().flush);
	// The drain is chosen with the flush: phwsync completes dcbstps, and
	// hwsync (the BYTE tables' drain) everything else.
	const auto &t = mo::ops(mo::granularity::cache_line);
	const auto &byte = mo::ops(mo::granularity::byte);
	if (fc.persistent_drain)
		EXPECT_NE(byte.drain, t.drain);
	else
		EXPECT_EQ(byte.drain, t.drain);
	const mo::cpu_features real = mo::cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
	if (fake.dcbstps && !real.dcbstps && !fc.no_clwb)
		GTEST_SKIP() << "skipped: this CPU cannot run " << fc.flush << " (no ISA 3.1)";

	alignas(128) static char buf[128 * 4];
	t.memset(buf + 3, 0x5A, 64 * 4, 0);	// bytes 3..258: blocks 0..2, lines 0..5
	EXPECT_EQ(lines(buf, 0, 5), rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);
	EXPECT_EQ(0x5A, buf[3]);
	EXPECT_EQ(0x5A, buf[64 * 4 + 2]);
	EXPECT_EQ(0, buf[64 * 4 + 3]);

	rec.clear();
	t.persist(buf + 64, 65);	// bytes 64..128: blocks 0 and 1
	EXPECT_EQ(lines(buf, 0, 3), rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);

	rec.clear();
	t.persist(buf + 128 + 64, 1);	// the second half of block 1
	EXPECT_EQ(lines(buf, 2, 3), rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);

	// flush + drain as separate calls, and the plain primitives other
	// components use (the movers' write-back, deep flush).
	rec.clear();
	t.flush(buf + 300, 200);	// bytes 300..499: blocks 2 and 3
	EXPECT_EQ(lines(buf, 4, 7), rec.flushes);
	EXPECT_EQ(0, rec.fences);
	t.drain();
	EXPECT_EQ(1, rec.fences);
	rec.clear();
	mo::flush_lines(buf, 1);
	mo::fence();
	EXPECT_EQ(lines(buf, 0, 1), rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);

	// BYTE: no flush instruction, the drain barrier only.
	rec.clear();
	byte.persist(buf, 64);
	EXPECT_TRUE(rec.flushes.empty());
	EXPECT_EQ(1, rec.fences);
}

TEST_P(Ppc64leFlush, OptionsRuleOutTheBetterSlots)
{
	const flush_case &fc = GetParam();
	const mo::cpu_features fake = mo::cpu_from_hwcaps(fc.hwcap, fc.hwcap2);
	mo::set_cpu_for_test(&fake);
	mo::dispatch_options o;
	mo::redispatch(o);
	EXPECT_STREQ(fake.dcbstps ? "dcbstps" : "dcbst", mo::selected().flush);
	o.no_clwb = true;
	mo::redispatch(o);
	EXPECT_STREQ("dcbst", mo::selected().flush);
	o.no_clflushopt = true;
	mo::redispatch(o);
	EXPECT_STREQ("dcbf", mo::selected().flush);
	// PMEM_NO_CLFLUSHOPT alone leaves dcbstps to an ISA 3.1 CPU.
	o.no_clwb = false;
	mo::redispatch(o);
	EXPECT_STREQ(fake.dcbstps ? "dcbstps" : "dcbf", mo::selected().flush);
}

INSTANTIATE_TEST_SUITE_P(Hwcaps, Ppc64leFlush,
	::testing::Values(flush_case{"Isa30Dcbst", mo::hwcap_vsx, 0, false, false, "dcbst", false},
		flush_case{"Isa30NoClflushoptDcbf", mo::hwcap_vsx, 0, false, true, "dcbf", false},
		flush_case{"Isa31Dcbstps", mo::hwcap_vsx, mo::hwcap2_arch_3_1, false, false, "dcbstps", true},
		flush_case{"Isa31NoClwbDcbst", mo::hwcap_vsx, mo::hwcap2_arch_3_1, true, false, "dcbst", false},
		flush_case{"Isa31NoBothDcbf", mo::hwcap_vsx, mo::hwcap2_arch_3_1, true, true, "dcbf", false}),
	[](const ::testing::TestParamInfo<flush_case> &i) { return std::string(i.param.name); });
