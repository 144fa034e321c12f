// x86-64 feature detection and what it selects: CPUID/XGETBV against
// /proc/cpuinfo, the SSE2/AVX/AVX-512F table and its PMEM_AVX/PMEM_AVX512F
// switches, the flush instruction per CPUID bit, MOVDIR64B streaming (its
// own kernel cases, run through every Kernel test) and the write-combining
// workaround. The tests every architecture runs are in kernels_test.cpp,
// rules_test.cpp and dispatch_test.cpp.
#include "kernel_fixture.hpp"
#include "memops/crc32c_set.hpp"
#include "memops/flush.hpp"
#include "support/env.hpp"

#include <fstream>

using namespace memops_test;
using mo::granularity;
using pmem2::test::scoped_env;

namespace {

// MOVDIR64B replaces only the streaming kernels of the best temporal family
// (DIFFERENCES.md S9.6); opt-in by PMEM_MOVDIR64B.
std::vector<kernel_case> movdir64b_cases()
{
	mo::dispatch_options o;
	o.wc_workaround = 0;
	o.movdir64b = true;
	const auto expected = +[]() noexcept -> const mo::detail::kernel_set & {
		for (const mo::detail::implementation &i : mo::detail::implementations())
			if (std::strcmp(i.get().name, best_temporal_family()) == 0)
				return mo::detail::kernels_movdir64b(i.get());
		return mo::detail::kernels_movdir64b(mo::detail::kernels_sse2());
	};
	return {{"movdir64b", o, best_temporal_family(), "movdir64b", expected,
		 mo::detail::feature_movdir64b}};
}

// Every PMEM_* variable unset for the scope.
struct no_pmem_env {
	scoped_env vars[9] = {{"PMEM_NO_CLWB", nullptr}, {"PMEM_NO_CLFLUSHOPT", nullptr},
		{"PMEM_NO_MOVNT", nullptr}, {"PMEM_MOVNT_THRESHOLD", nullptr},
		{"PMEM_NO_GENERIC_MEMCPY", nullptr}, {"PMEM_AVX", nullptr}, {"PMEM_AVX512F", nullptr},
		{"PMEM_MOVDIR64B", nullptr}, {"PMEM_WC_WORKAROUND", nullptr}};
	~no_pmem_env() { mo::redispatch(mo::options_from_env()); }
};

} // namespace

INSTANTIATE_TEST_SUITE_P(Movdir64b, Kernel, ::testing::ValuesIn(movdir64b_cases()), case_name);

TEST(X86Cpu, MatchesProcCpuinfo)
{
	std::ifstream f("/proc/cpuinfo");
	if (!f)
		GTEST_SKIP() << "/proc/cpuinfo not readable";
	std::string line, flags;
	while (std::getline(f, line))
		if (line.rfind("flags", 0) == 0) {
			flags = " " + line.substr(line.find(':') + 1) + " ";
			break;
		}
	if (flags.empty())
		GTEST_SKIP() << "no flags line in /proc/cpuinfo";
	auto has = [&](const char *n) { return flags.find(std::string(" ") + n + " ") != std::string::npos; };
	const mo::cpu_features &c = mo::cpu();
	EXPECT_TRUE(c.sse2);
	EXPECT_EQ(has("clflush"), c.clflush);
	EXPECT_EQ(has("clflushopt"), c.clflushopt);
	EXPECT_EQ(has("clwb"), c.clwb);
	EXPECT_EQ(has("avx"), c.avx);
	EXPECT_EQ(has("avx512f"), c.avx512f);
	EXPECT_EQ(has("movdir64b"), c.movdir64b);
	EXPECT_EQ(has("sse4_2"), c.sse42);
	EXPECT_EQ(has("pclmulqdq"), c.pclmulqdq);
	EXPECT_EQ(has("vpclmulqdq"), c.vpclmulqdq);
	EXPECT_FALSE(c.asimd || c.crc32 || c.dc_cvap || c.dc_cvadp) << "no aarch64 feature";
	std::ifstream v("/proc/cpuinfo");
	std::string vendor;
	while (std::getline(v, line))
		if (line.rfind("vendor_id", 0) == 0) {
			vendor = line.substr(line.find(':') + 2);
			break;
		}
	EXPECT_EQ(vendor == "GenuineIntel", c.genuine_intel);
}

TEST(X86Dispatch, TableIsAvx512fAvxSse2)
{
	auto impls = mo::detail::implementations();
	ASSERT_EQ(3u, impls.size());
	EXPECT_STREQ("avx512f", impls[0].get().name);
	EXPECT_STREQ("avx", impls[1].get().name);
	EXPECT_STREQ("sse2", impls[2].get().name);
	EXPECT_EQ(mo::detail::feature_avx512f, impls[0].required);
	EXPECT_EQ(mo::detail::feature_avx, impls[1].required);
	EXPECT_EQ(mo::detail::feature_sse2, impls[2].required);
	const mo::cpu_features &c = mo::cpu();
	EXPECT_STREQ(c.avx512f ? "avx512f" : c.avx ? "avx" : "sse2", best_temporal_family());
}

TEST(X86Dispatch, IsaSwitchesAndVendorDefaults)
{
	const mo::cpu_features &c = mo::cpu();
	no_pmem_env clean;
	{
		scoped_env off("PMEM_AVX512F", "0");
		mo::redispatch(mo::options_from_env());
		EXPECT_STREQ(c.avx ? "avx" : "sse2", mo::selected().kernel);
		scoped_env off2("PMEM_AVX", "0");
		mo::redispatch(mo::options_from_env());
		EXPECT_STREQ("sse2", mo::selected().kernel);
		EXPECT_STREQ("sse2", mo::selected().nt_kernel);
		scoped_env md("PMEM_MOVDIR64B", "1");
		mo::redispatch(mo::options_from_env());
		EXPECT_STREQ(c.movdir64b ? "movdir64b" : "sse2", mo::selected().nt_kernel);
	}
	scoped_env wc("PMEM_WC_WORKAROUND", "x");
	mo::redispatch(mo::options_from_env());
	EXPECT_EQ(c.genuine_intel, mo::selected().wc_workaround) << "vendor default";
}

// The flush instruction by CPUID bit (DIFFERENCES.md S8.4): CLWB, else
// CLFLUSHOPT, else CLFLUSH, each ruled out by its PMEM_NO_* option.
TEST(X86Dispatch, FlushFollowsCpuidAndOptions)
{
	const mo::cpu_features &c = mo::cpu();
	no_pmem_env clean;
	for (bool no_clwb : {false, true})
		for (bool no_clflushopt : {false, true}) {
			mo::dispatch_options o;
			o.no_clwb = no_clwb;
			o.no_clflushopt = no_clflushopt;
			mo::redispatch(o);
			const char *want = c.clwb && !no_clwb ? "clwb"
				: c.clflushopt && !no_clflushopt ? "clflushopt" : "clflush";
			EXPECT_STREQ(want, mo::selected().flush) << no_clwb << no_clflushopt;
		}
}

// Asking for MOVDIR64B on a CPU without it is ignored.
TEST(X86Dispatch, UnavailableFeaturesAreIgnored)
{
	const mo::cpu_features &c = mo::cpu();
	no_pmem_env clean;
	mo::dispatch_options o;
	o.movdir64b = true;
	mo::redispatch(o);
	EXPECT_STREQ(c.movdir64b ? "movdir64b" : best_temporal_family(), mo::selected().nt_kernel);
}

// MOVDIR64B replaces only the streaming kernels (DIFFERENCES.md S9.6 step 4): its row
// takes the temporal kernels of the family it is combined with. Checked
// without executing MOVDIR64B, so it runs on every CPU.
TEST(X86Dispatch, Movdir64bBorrowsTheTemporalKernels)
{
	using namespace mo::detail;
	for (const implementation &impl : implementations()) {
		const kernel_set &t = impl.get();
		const kernel_set &m = kernels_movdir64b(t);
		EXPECT_STREQ("movdir64b", m.name);
		EXPECT_TRUE(m.streams && m.nt_skips_flush);
		for (int k = 0; k < n_flush_kinds; ++k)
			for (int r = 0; r < 2; ++r) {
				EXPECT_EQ(t.memmove_t[k][r], m.memmove_t[k][r]) << t.name;
				EXPECT_EQ(t.memset_t[k][r], m.memset_t[k][r]) << t.name;
				EXPECT_NE(t.memmove_nt[k][r], m.memmove_nt[k][r]) << t.name;
				EXPECT_NE(t.memset_nt[k][r], m.memset_nt[k][r]) << t.name;
				EXPECT_NE(nullptr, m.memmove_nt[k][r]);
			}
		for (int k = 0; k < 3; ++k)
			EXPECT_NE(t.cache_line[k][0].memmove, m.cache_line[k][0].memmove);
	}
}

// The write-combining workaround (DIFFERENCES.md S9.5): an SFENCE after
// every 768 streamed bytes, by the SSE2 and AVX kernels only.
TEST_P(Kernel, WcWorkaroundFencesEvery768StreamedBytes)
{
	const kernel_case &k = GetParam();
	if (!has_nt())
		GTEST_SKIP() << k.name << " has no streaming kernels";
	recording rec;
	buffer dst(4096), src(4096);
	for (int wc : {0, 1}) {
		auto opt = k.opt;
		opt.wc_workaround = wc;
		opt.no_clflushopt = false;
		ASSERT_NO_FATAL_FAILURE(force(&rec, &opt));
		ASSERT_EQ(wc == 1, mo::selected().wc_workaround);
		if (std::strcmp(mo::selected().flush, "clflush") == 0)
			GTEST_SKIP() << "CPU has neither CLWB nor CLFLUSHOPT: in-kernel fence hides the count";
		for (int op = 0; op < 2; ++op) {
			rec.clear();
			if (op == 0)
				mo::ops(granularity::cache_line).memmove(dst.data(), src.data(), 4096,
									  mo::f_nontemporal | mo::f_nodrain);
			else
				mo::ops(granularity::cache_line).memset(dst.data(), 7, 4096,
									 mo::f_nontemporal | mo::f_nodrain);
			const bool applies = wc == 1 && (k.name == "sse2" || k.name == "avx");
			// 16 blocks of 256 bytes: a fence after blocks 3, 6, 9, 12, 15.
			EXPECT_EQ(applies ? 5u : 0u, rec.count(event::fence)) << "wc " << wc << " op " << op;
		}
	}
}

// The x86-64 CRC32C table, best first, and what each row needs.
TEST(X86Crc32c, TableIsVpclmulSse42Table)
{
	const auto impls = mo::detail::crc32c_implementations();
	ASSERT_EQ(3u, impls.size());
	EXPECT_STREQ("vpclmul", impls[0].get().name);
	EXPECT_STREQ("sse42", impls[1].get().name);
	EXPECT_STREQ("table", impls[2].get().name);
	EXPECT_EQ(mo::crc32c_family::vpclmul, impls[0].family);
	EXPECT_EQ(mo::detail::crc32c_feature_sse42 | mo::detail::crc32c_feature_vpclmul, impls[0].required);
	EXPECT_EQ(mo::detail::crc32c_feature_sse42, impls[1].required);
	for (const auto &impl : impls)
		EXPECT_TRUE(impl.get().copy_streams) << impl.get().name << ": SSE2 streams on every x86-64 CPU";
	const mo::cpu_features &c = mo::cpu();
	const unsigned f = mo::detail::crc32c_cpu_features();
	EXPECT_EQ(c.sse42 && c.pclmulqdq, (f & mo::detail::crc32c_feature_sse42) != 0);
	EXPECT_EQ(c.avx512f && c.vpclmulqdq, (f & mo::detail::crc32c_feature_vpclmul) != 0);
}
