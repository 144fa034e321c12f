// PMEM_* environment parsing, CPU detection and load-time dispatch.
#include "memops/flush.hpp"
#include "memops/kernel_cases.hpp"
#include "support/bytes.hpp"
#include "support/stress.hpp"

#include <fstream>
#include <sstream>

using namespace memops_test;

namespace {

const char *const all_vars[] = {"PMEM_NO_CLWB", "PMEM_NO_CLFLUSHOPT", "PMEM_NO_MOVNT",
				"PMEM_MOVNT_THRESHOLD", "PMEM_NO_GENERIC_MEMCPY", "PMEM_AVX",
				"PMEM_AVX512F", "PMEM_MOVDIR64B", "PMEM_WC_WORKAROUND"};

class MemopsEnv : public ::testing::Test {
protected:
	std::vector<std::pair<std::string, std::string>> saved;
	void SetUp() override
	{
		for (const char *v : all_vars) {
			if (const char *e = std::getenv(v))
				saved.emplace_back(v, e);
			unsetenv(v);
		}
	}
	void TearDown() override
	{
		for (const char *v : all_vars)
			unsetenv(v);
		for (auto &[k, v] : saved)
			setenv(k.c_str(), v.c_str(), 1);
		mo::redispatch(mo::options_from_env());
	}
	static mo::dispatch_options with(const char *var, const char *value)
	{
		setenv(var, value, 1);
		mo::dispatch_options o = mo::options_from_env();
		unsetenv(var);
		return o;
	}
};

} // namespace

TEST_F(MemopsEnv, DefaultsWhenNothingIsSet)
{
	const mo::dispatch_options o = mo::options_from_env();
	EXPECT_FALSE(o.no_clwb);
	EXPECT_FALSE(o.no_clflushopt);
	EXPECT_FALSE(o.no_movnt);
	EXPECT_TRUE(o.avx);
	EXPECT_TRUE(o.avx512f);
	EXPECT_FALSE(o.movdir64b);
	EXPECT_EQ(256, o.movnt_threshold);
	EXPECT_EQ(-1, o.wc_workaround);
	EXPECT_FALSE(o.no_generic_memcpy);
}

TEST_F(MemopsEnv, DisablingSwitchesNeedExactly1)
{
	for (const char *var : {"PMEM_NO_CLWB", "PMEM_NO_CLFLUSHOPT", "PMEM_NO_MOVNT"}) {
		auto get = [&](const mo::dispatch_options &o) {
			return std::string(var) == "PMEM_NO_CLWB" ? o.no_clwb
				: std::string(var) == "PMEM_NO_CLFLUSHOPT" ? o.no_clflushopt : o.no_movnt;
		};
		EXPECT_TRUE(get(with(var, "1"))) << var;
		for (const char *v : {"0", "", "01", "1 ", "2", "true", "yes"})
			EXPECT_FALSE(get(with(var, v))) << var << "=" << v;
	}
}

TEST_F(MemopsEnv, IsaSwitchesDisableOnlyOnExactly0)
{
	EXPECT_FALSE(with("PMEM_AVX", "0").avx);
	EXPECT_FALSE(with("PMEM_AVX512F", "0").avx512f);
	for (const char *v : {"1", "", "00", "no", "false"}) {
		EXPECT_TRUE(with("PMEM_AVX", v).avx) << v;
		EXPECT_TRUE(with("PMEM_AVX512F", v).avx512f) << v;
	}
}

TEST_F(MemopsEnv, Movdir64bIsOptInWhenSetAndNot0)
{
	EXPECT_FALSE(mo::options_from_env().movdir64b);
	EXPECT_FALSE(with("PMEM_MOVDIR64B", "0").movdir64b);
	for (const char *v : {"1", "", "yes", "00"})
		EXPECT_TRUE(with("PMEM_MOVDIR64B", v).movdir64b) << v;
}

TEST_F(MemopsEnv, ThresholdParsesWithAtollAndIgnoresNegatives)
{
	EXPECT_EQ(1000, with("PMEM_MOVNT_THRESHOLD", "1000").movnt_threshold);
	EXPECT_EQ(0, with("PMEM_MOVNT_THRESHOLD", "0").movnt_threshold);
	EXPECT_EQ(0, with("PMEM_MOVNT_THRESHOLD", "abc").movnt_threshold);
	EXPECT_EQ(12, with("PMEM_MOVNT_THRESHOLD", "12abc").movnt_threshold);
	EXPECT_EQ(64, with("PMEM_MOVNT_THRESHOLD", "  64").movnt_threshold);
	EXPECT_EQ(256, with("PMEM_MOVNT_THRESHOLD", "-5").movnt_threshold);
	EXPECT_EQ(256, with("PMEM_MOVNT_THRESHOLD", "-1").movnt_threshold);
	EXPECT_EQ(1LL << 40, with("PMEM_MOVNT_THRESHOLD", "1099511627776").movnt_threshold);
}

TEST_F(MemopsEnv, WcWorkaroundIs1On0OffElseVendorDefault)
{
	EXPECT_EQ(1, with("PMEM_WC_WORKAROUND", "1").wc_workaround);
	EXPECT_EQ(0, with("PMEM_WC_WORKAROUND", "0").wc_workaround);
	for (const char *v : {"", "2", "on", "01"})
		EXPECT_EQ(-1, with("PMEM_WC_WORKAROUND", v).wc_workaround) << v;
}

TEST_F(MemopsEnv, NoGenericMemcpyIsAtollNonZero)
{
	EXPECT_TRUE(with("PMEM_NO_GENERIC_MEMCPY", "1").no_generic_memcpy);
	EXPECT_TRUE(with("PMEM_NO_GENERIC_MEMCPY", "2").no_generic_memcpy);
	EXPECT_TRUE(with("PMEM_NO_GENERIC_MEMCPY", "-1").no_generic_memcpy);
	EXPECT_FALSE(with("PMEM_NO_GENERIC_MEMCPY", "0").no_generic_memcpy);
	EXPECT_FALSE(with("PMEM_NO_GENERIC_MEMCPY", "abc").no_generic_memcpy);
	EXPECT_FALSE(with("PMEM_NO_GENERIC_MEMCPY", "").no_generic_memcpy);
}

TEST_F(MemopsEnv, EnvironmentDrivesTheSelection)
{
	const mo::cpu_features &c = mo::cpu();
	setenv("PMEM_NO_MOVNT", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ("generic", mo::selected().kernel);
	setenv("PMEM_NO_GENERIC_MEMCPY", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ("libc", mo::selected().kernel);
	unsetenv("PMEM_NO_MOVNT");
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ(best_temporal_family(), mo::selected().kernel)
		<< "PMEM_NO_GENERIC_MEMCPY matters only without arch kernels";
	setenv("PMEM_AVX512F", "0", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ(c.avx ? "avx" : "sse2", mo::selected().kernel);
	setenv("PMEM_AVX", "0", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ("sse2", mo::selected().kernel);
	EXPECT_STREQ("sse2", mo::selected().nt_kernel);
	setenv("PMEM_MOVNT_THRESHOLD", "777", 1);
	setenv("PMEM_WC_WORKAROUND", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_EQ(777u, mo::selected().movnt_threshold);
	EXPECT_TRUE(mo::selected().wc_workaround);
	setenv("PMEM_WC_WORKAROUND", "x", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_EQ(c.genuine_intel, mo::selected().wc_workaround) << "vendor default";
	setenv("PMEM_MOVDIR64B", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ(c.movdir64b ? "movdir64b" : "sse2", mo::selected().nt_kernel);
	setenv("PMEM_NO_CLWB", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ(c.clflushopt ? "clflushopt" : "clflush", mo::selected().flush);
	setenv("PMEM_NO_CLFLUSHOPT", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ("clflush", mo::selected().flush);
}

// The dispatch table is ordered best first and every row names a family.
TEST(DispatchTable, BestFirstWithRequiredFeatures)
{
	auto impls = mo::detail::implementations();
	ASSERT_EQ(3u, impls.size());
	EXPECT_STREQ("avx512f", impls[0].get().name);
	EXPECT_STREQ("avx", impls[1].get().name);
	EXPECT_STREQ("sse2", impls[2].get().name);
	EXPECT_EQ(mo::detail::feature_avx512f, impls[0].required);
	EXPECT_EQ(mo::detail::feature_sse2, impls[2].required);
	// With no PMEM_* overrides the best available family is chosen.
	mo::dispatch_options o;
	mo::redispatch(o);
	EXPECT_STREQ(best_temporal_family(), mo::selected().kernel);
	EXPECT_STREQ(best_temporal_family(), mo::detail::current_kernels().name);
	mo::redispatch(mo::options_from_env());
}

TEST(DispatchTable, TablesAreStablePerGranularity)
{
	using mo::granularity;
	const mo::ops_table *a = &mo::ops(granularity::cache_line);
	mo::redispatch(mo::options_from_env());
	EXPECT_EQ(a, &mo::ops(granularity::cache_line));
	for (granularity g : {granularity::byte, granularity::cache_line, granularity::page}) {
		const mo::ops_table &t = mo::ops(g);
		EXPECT_NE(nullptr, t.memmove);
		EXPECT_NE(nullptr, t.memset);
		EXPECT_NE(nullptr, t.persist);
		EXPECT_NE(nullptr, t.flush);
		EXPECT_NE(nullptr, t.drain);
	}
}

// CPUID/XGETBV agree with what the kernel reports in /proc/cpuinfo (which
// also accounts for OS-enabled state).
TEST(CpuDetection, MatchesProcCpuinfo)
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
	std::ifstream v("/proc/cpuinfo");
	std::string vendor;
	while (std::getline(v, line))
		if (line.rfind("vendor_id", 0) == 0) {
			vendor = line.substr(line.find(':') + 2);
			break;
		}
	EXPECT_EQ(vendor == "GenuineIntel", c.genuine_intel);
}

// Forcing a feature off (PMEM_AVX512F=0 / PMEM_AVX=0 semantics) is honoured
// even on a CPU that has it, and asking for a feature the CPU lacks is
// ignored.
TEST(DispatchTable, UnavailableFeaturesAreIgnored)
{
	const mo::cpu_features &c = mo::cpu();
	mo::dispatch_options o;
	o.movdir64b = true;
	mo::redispatch(o);
	EXPECT_STREQ(c.movdir64b ? "movdir64b" : best_temporal_family(), mo::selected().nt_kernel);
	mo::redispatch(mo::options_from_env());
}

// MOVDIR64B replaces only the streaming kernels (DIFFERENCES.md S9.6 step 4): its row
// takes the temporal kernels of the family it is combined with. Checked
// without executing MOVDIR64B, so it runs on every CPU.
TEST(DispatchTable, Movdir64bBorrowsTheTemporalKernels)
{
	using namespace mo::detail;
	for (const implementation &impl : implementations()) {
		const kernel_set &t = impl.get();
		const kernel_set &m = kernels_movdir64b(t);
		EXPECT_STREQ("movdir64b", m.name);
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
