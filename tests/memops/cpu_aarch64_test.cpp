// aarch64 feature detection and what it selects: each hwcap combination
// (faked through set_cpu_for_test) selects its DC instruction, its kernel
// family (NEON with HWCAP_ASIMD, else generic) and its CRC32C family (the
// CRC32 extension with HWCAP_CRC32, else the table), and each choice runs:
// the recorder sees the kernel, every line flushed and the drain barrier
// after them. A slot the real CPU lacks is checked by selection only, not
// run. The kernel tests every architecture runs (kernels_test.cpp,
// rules_test.cpp) force each family of the table in turn. (qemu-user 7.2 with its default "max" CPU
// reports HWCAP_DCPOP and HWCAP2_DCPODP but raises SIGILL on DC CVAP and
// DC CVADP, so the toolchain file runs the tests on an ARMv8.0 model,
// which reports neither.)
#include <gtest/gtest.h>

#include <sys/auxv.h>

#include <cstring>
#include <string>
#include <vector>

#include "memops/cpu_aarch64.hpp"
#include "memops/crc32c.hpp"
#include "memops/crc32c_set.hpp"
#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"
#include "flush_counter.hpp"

namespace mo = pmem2::memops;
using memops_test::counting;

namespace {

// A fake CPU for the scope: the dispatches re-run with it, and with the
// real one afterwards.
class FakeCpu {
public:
	FakeCpu(unsigned long hwcap, unsigned long hwcap2) : f_(mo::cpu_from_hwcaps(hwcap, hwcap2))
	{
		mo::set_cpu_for_test(&f_);
	}
	~FakeCpu()
	{
		mo::set_recorder(nullptr);
		mo::set_cpu_for_test(nullptr);
		mo::redispatch(mo::options_from_env());
		mo::redispatch_crc32c(mo::crc32c_limit_from_env());
	}
	FakeCpu(const FakeCpu &) = delete;
	FakeCpu &operator=(const FakeCpu &) = delete;

private:
	mo::cpu_features f_;
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
	EXPECT_FALSE(none.crc32);
	const mo::cpu_features all = mo::cpu_from_hwcaps(
		mo::hwcap_dcpop | mo::hwcap_asimd | mo::hwcap_crc32, mo::hwcap2_dcpodp);
	EXPECT_TRUE(all.dc_cvap);
	EXPECT_TRUE(all.dc_cvadp);
	EXPECT_TRUE(all.asimd);
	EXPECT_TRUE(all.crc32);
	EXPECT_TRUE(mo::cpu_from_hwcaps(mo::hwcap_crc32, 0).crc32);
	EXPECT_FALSE(mo::cpu_from_hwcaps(mo::hwcap_crc32, 0).asimd);
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
	const char *family = o.no_movnt ? (o.no_generic_memcpy ? "libc" : "generic")
		: c.asimd ? "neon" : "generic";
	EXPECT_STREQ(family, mo::selected().kernel);
	EXPECT_STREQ(family, mo::selected().nt_kernel);
	EXPECT_EQ(o.wc_workaround == 1, mo::selected().wc_workaround) << "off unless forced on";
	const mo::crc32c_family limit = mo::crc32c_limit_from_env();
	const bool armv8 = c.crc32 && (limit == mo::crc32c_family::best || limit == mo::crc32c_family::armv8);
	EXPECT_STREQ(armv8 ? "armv8" : "table", mo::crc32c_selected());
}

// The aarch64 tables, best first: NEON then generic; the CRC32 extension
// then the table. Neither family here streams past the caches.
TEST(Aarch64Cpu, TablesAreNeonGenericAndArmv8Table)
{
	using namespace mo::detail;
	const auto impls = implementations();
	ASSERT_EQ(2u, impls.size());
	EXPECT_STREQ("neon", impls[0].get().name);
	EXPECT_EQ(unsigned(feature_asimd), impls[0].required);
	EXPECT_STREQ("generic", impls[1].get().name);
	EXPECT_EQ(0u, impls[1].required);
	EXPECT_TRUE(kernels_neon().streams) << "STNP kernels of its own";
	EXPECT_FALSE(kernels_neon().nt_skips_flush) << "STNP lines are flushed";
	const auto crcs = crc32c_implementations();
	ASSERT_EQ(2u, crcs.size());
	EXPECT_STREQ("armv8", crcs[0].get().name);
	EXPECT_EQ(mo::crc32c_family::armv8, crcs[0].family);
	EXPECT_EQ(unsigned(crc32c_feature_crc32), crcs[0].required);
	EXPECT_STREQ("table", crcs[1].get().name);
	for (const auto &c : crcs)
		EXPECT_FALSE(c.get().copy_streams) << c.get().name;
}

// HWCAP_ASIMD selects the NEON family, its absence the generic one; each
// runs (a copy through the real CPU's flush slot, then a fill), every line
// flushed and the drain last. The non-temporal store kind runs the NEON
// family's STNP kernel, whose lines are flushed too.
TEST(Aarch64Kernels, AsimdSelectsNeonElseGeneric)
{
	const mo::cpu_features real = mo::cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
	if (!real.asimd)
		GTEST_SKIP() << "skipped: this CPU reports no HWCAP_ASIMD, so the NEON kernels cannot run";
	struct row {
		unsigned long hwcap;
		const char *family;
	};
	alignas(64) static char src[64 * 6], dst[64 * 6];
	for (std::size_t i = 0; i < sizeof src; ++i)
		src[i] = static_cast<char>(i * 7 + 1);
	for (const row &r : {row{mo::hwcap_asimd, "neon"}, row{0, "generic"}}) {
		FakeCpu fake(r.hwcap, 0);
		counting rec;
		mo::set_recorder(&rec);
		mo::redispatch(mo::dispatch_options{});
		ASSERT_STREQ(r.family, mo::selected().kernel);
		ASSERT_STREQ("dc cvac", mo::selected().flush) << "the fake reports no DC CVAP";
		const auto &t = mo::ops(mo::granularity::cache_line);
		for (unsigned flags : {unsigned(mo::f_temporal), unsigned(mo::f_nontemporal)}) {
			const bool nt = flags == mo::f_nontemporal;
			rec.flushes.clear();
			rec.kernels.clear();
			t.memmove(dst + 5, src, 64 * 5, flags);	// lines 0..5
			EXPECT_EQ(0, std::memcmp(dst + 5, src, 64 * 5));
			const std::string want = std::string(r.family) == "generic"
				? "memmove_generic" : std::string(nt ? "memmove_nt_" : "memmove_t_") + r.family;
			EXPECT_EQ(std::vector<std::string>{want}, rec.kernels);
			ASSERT_EQ(6u, rec.flushes.size()) << want;
			for (std::size_t i = 0; i < rec.flushes.size(); ++i)
				EXPECT_EQ(dst + 64 * i, rec.flushes[i]) << want;
			EXPECT_EQ(1, rec.fences_after_last_flush) << want;
		}
	}
}

// PMEM_NO_MOVNT=1 selects the generic kernel even with Advanced SIMD, as
// it does on x86-64 (PMDK's only aarch64 kernel).
TEST(Aarch64Kernels, NoMovntSelectsGeneric)
{
	FakeCpu fake(mo::hwcap_asimd, 0);
	mo::dispatch_options o;
	o.no_movnt = true;
	mo::redispatch(o);
	EXPECT_STREQ("generic", mo::selected().kernel);
	o.no_generic_memcpy = true;
	mo::redispatch(o);
	EXPECT_STREQ("libc", mo::selected().kernel);
}

// HWCAP_CRC32 selects the CRC32 extension's family, its absence the
// table; each runs (the recorder names its kernel) and agrees with the
// other, alone and fused with a durable copy; PMEM2_CRC32C=table limits it.
TEST(Aarch64Crc32c, Crc32HwcapSelectsArmv8ElseTable)
{
	const mo::cpu_features real = mo::cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
	alignas(64) static char src[5000], dst[5000];
	for (std::size_t i = 0; i < sizeof src; ++i)
		src[i] = static_cast<char>(i * 13 + 5);
	std::uint32_t results[2][2] = {};
	int k = 0;
	for (unsigned long hwcap : {mo::hwcap_crc32, 0ul}) {
		const char *family = hwcap ? "armv8" : "table";
		FakeCpu fake(hwcap, 0);
		counting rec;
		mo::set_recorder(&rec);
		mo::redispatch(mo::dispatch_options{});
		mo::redispatch_crc32c(mo::crc32c_family::best);
		ASSERT_STREQ(family, mo::crc32c_selected());
		if (hwcap && !real.crc32)
			GTEST_SKIP() << "skipped: this CPU reports no HWCAP_CRC32, so CRC32CX cannot run";
		results[k][0] = mo::crc32c(0, src + 3, 4000);
		EXPECT_EQ(std::vector<std::string>{std::string("crc32c_") + family}, rec.kernels);
		rec.kernels.clear();
		rec.flushes.clear();
		results[k][1] = mo::copy_crc32c(dst + 1, src + 3, 4000, 0, mo::granularity::cache_line);
		EXPECT_EQ(std::vector<std::string>{std::string("copy_crc32c_t_") + family}, rec.kernels);
		EXPECT_EQ(0, std::memcmp(dst + 1, src + 3, 4000));
		EXPECT_EQ((4000 + 1 + 63) / 64, rec.flushes.size()) << "every line of the copy flushed";
		EXPECT_EQ(1, rec.fences_after_last_flush);
		mo::redispatch_crc32c(mo::crc32c_family::table);
		EXPECT_STREQ("table", mo::crc32c_selected()) << "PMEM2_CRC32C=table";
		mo::redispatch_crc32c(mo::crc32c_family::sse42);
		EXPECT_STREQ("table", mo::crc32c_selected()) << "another architecture's family limits to the table";
		++k;
	}
	EXPECT_EQ(results[1][0], results[0][0]);
	EXPECT_EQ(results[0][0], results[0][1]);
	EXPECT_EQ(results[1][0], results[1][1]);
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
