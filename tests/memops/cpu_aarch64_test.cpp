// aarch64 feature detection and flush choice: each hwcap combination
// (faked through set_cpu_for_test) selects its DC instruction, and a
// CACHE_LINE persist through it runs: the recorder sees every line flushed
// and the drain barrier after them. A slot the real CPU lacks is checked by
// selection only, not run. (qemu-user 7.2 with its default "max" CPU
// reports HWCAP_DCPOP and HWCAP2_DCPODP but raises SIGILL on DC CVAP and
// DC CVADP, so the toolchain file runs the tests on an ARMv8.0 model,
// which reports neither.)
#include <gtest/gtest.h>

#include <sys/auxv.h>

#include <cstring>
#include <vector>

#include "memops/cpu_aarch64.hpp"
#include "memops/memops.hpp"

namespace mo = pmem2::memops;

namespace {

struct counting : mo::recorder {
	std::vector<const void *> flushes;
	int fences = 0;
	int fences_after_last_flush = 0;
	void on_flush(const void *line) noexcept override
	{
		flushes.push_back(line);
		fences_after_last_flush = 0;
	}
	void on_nt_store(const void *, std::size_t) noexcept override {}
	void on_fence() noexcept override
	{
		++fences;
		++fences_after_last_flush;
	}
	void on_page_sync(const void *, std::size_t) noexcept override {}
};

struct hwcap_case {
	unsigned long hwcap, hwcap2;
	const char *flush;
};

class Aarch64Flush : public ::testing::TestWithParam<hwcap_case> {
protected:
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::set_cpu_for_test(nullptr);
		mo::redispatch(mo::options_from_env());
	}
};

} // namespace

TEST(Aarch64Cpu, HwcapBits)
{
	const mo::cpu_features none = mo::cpu_from_hwcaps(0, 0);
	EXPECT_FALSE(none.dc_cvap);
	EXPECT_FALSE(none.dc_cvadp);
	EXPECT_FALSE(none.asimd);
	const mo::cpu_features all = mo::cpu_from_hwcaps(mo::hwcap_dcpop | mo::hwcap_asimd, mo::hwcap2_dcpodp);
	EXPECT_TRUE(all.dc_cvap);
	EXPECT_TRUE(all.dc_cvadp);
	EXPECT_TRUE(all.asimd);
	EXPECT_FALSE(all.clwb);	// no x86-64 feature is ever reported
	EXPECT_FALSE(all.sse2);
}

TEST(Aarch64Cpu, DefaultSelectionMatchesTheCpu)
{
	const mo::cpu_features &c = mo::cpu();
	const mo::dispatch_options o = mo::options_from_env();
	const char *want = c.dc_cvadp && !o.no_clwb ? "dc cvadp"
		: c.dc_cvap && !o.no_clflushopt ? "dc cvap" : "dc cvac";
	EXPECT_STREQ(want, mo::selected().flush);
	EXPECT_STREQ("generic", mo::selected().kernel);
	EXPECT_FALSE(mo::selected().wc_workaround);
}

TEST_P(Aarch64Flush, PersistFlushesEveryLineThenDrains)
{
	const hwcap_case &hc = GetParam();
	const mo::cpu_features fake = mo::cpu_from_hwcaps(hc.hwcap, hc.hwcap2);
	mo::set_cpu_for_test(&fake);
	counting rec;
	mo::set_recorder(&rec);
	mo::redispatch(mo::dispatch_options{});
	ASSERT_STREQ(hc.flush, mo::selected().flush);
	const mo::cpu_features real = mo::cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
	if ((fake.dc_cvadp && !real.dc_cvadp) || (fake.dc_cvap && !real.dc_cvap))
		GTEST_SKIP() << "skipped: this CPU cannot run " << hc.flush;

	alignas(64) static char buf[64 * 5];
	const auto &t = mo::ops(mo::granularity::cache_line);
	t.memset(buf + 3, 0x5A, 64 * 4, 0);	// lines 0..4
	EXPECT_EQ(5u, rec.flushes.size());
	EXPECT_EQ(1, rec.fences_after_last_flush);
	for (std::size_t i = 0; i < rec.flushes.size(); ++i)
		EXPECT_EQ(buf + 64 * i, rec.flushes[i]);
	EXPECT_EQ(0x5A, buf[3]);
	EXPECT_EQ(0x5A, buf[64 * 4 + 2]);

	rec.flushes.clear();
	t.persist(buf + 64, 65);	// lines 1 and 2
	ASSERT_EQ(2u, rec.flushes.size());
	EXPECT_EQ(buf + 64, rec.flushes[0]);
	EXPECT_EQ(buf + 128, rec.flushes[1]);
	EXPECT_EQ(1, rec.fences_after_last_flush);

	// BYTE: no flush instruction, the drain barrier only.
	rec.flushes.clear();
	rec.fences = 0;
	mo::ops(mo::granularity::byte).persist(buf, 64);
	EXPECT_TRUE(rec.flushes.empty());
	EXPECT_EQ(1, rec.fences);
}

TEST_P(Aarch64Flush, OptionsRuleOutTheBetterSlots)
{
	const hwcap_case &hc = GetParam();
	const mo::cpu_features fake = mo::cpu_from_hwcaps(hc.hwcap, hc.hwcap2);
	mo::set_cpu_for_test(&fake);
	mo::dispatch_options o;
	o.no_clwb = true;
	mo::redispatch(o);
	EXPECT_STREQ(fake.dc_cvap ? "dc cvap" : "dc cvac", mo::selected().flush);
	o.no_clflushopt = true;
	mo::redispatch(o);
	EXPECT_STREQ("dc cvac", mo::selected().flush);
}

INSTANTIATE_TEST_SUITE_P(Hwcaps, Aarch64Flush,
	::testing::Values(hwcap_case{0, 0, "dc cvac"},
		hwcap_case{mo::hwcap_dcpop, 0, "dc cvap"},
		hwcap_case{mo::hwcap_dcpop, mo::hwcap2_dcpodp, "dc cvadp"}),
	[](const ::testing::TestParamInfo<hwcap_case> &i) {
		const std::string f = i.param.flush;
		return f == "dc cvac" ? "Cvac" : f == "dc cvap" ? "Cvap" : "Cvadp";
	});
