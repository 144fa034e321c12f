// PMEM_* environment parsing and the load-time dispatch, on every
// architecture (its CPU detection: cpu_<arch>_test.cpp).
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
	setenv("PMEM_MOVNT_THRESHOLD", "777", 1);
	setenv("PMEM_WC_WORKAROUND", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_EQ(777u, mo::selected().movnt_threshold);
	EXPECT_TRUE(mo::selected().wc_workaround);
	// The flush options rule out the architecture's best slot, then the
	// second (flush_arch.hpp); the last is every CPU's.
	setenv("PMEM_NO_CLWB", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_GE(selected_slot(), 1) << mo::selected().flush;
	setenv("PMEM_NO_CLFLUSHOPT", "1", 1);
	mo::redispatch(mo::options_from_env());
	EXPECT_STREQ(mo::detail::arch_flush_names[2], mo::selected().flush);
}

// memops' table of this architecture: best first, the last row runnable on
// every CPU of it; with no option the first row the CPU runs is chosen, and
// every row it runs can be forced by name (what the kernel tests do).
TEST(DispatchTable, BestFirstAndForcedByName)
{
	using namespace mo::detail;
	const auto impls = implementations();
	ASSERT_FALSE(impls.empty());
	const unsigned have = kernel_features(mo::cpu());
	EXPECT_EQ(impls.back().required, impls.back().required & have) << impls.back().get().name;
	mo::dispatch_options o;
	mo::redispatch(o);
	EXPECT_STREQ(best_temporal_family(), mo::selected().kernel);
	EXPECT_STREQ(best_temporal_family(), current_kernels().name);
	for (const implementation &impl : impls) {
		o.family = impl.get().name;
		mo::redispatch(o);
		const bool runs = (impl.required & have) == impl.required;
		EXPECT_STREQ(runs ? impl.get().name : best_temporal_family(), mo::selected().kernel)
			<< "forcing " << impl.get().name;
		if (runs) {
			EXPECT_EQ(&impl.get(), &current_kernels());
		}
	}
	o.family = "no such family";
	mo::redispatch(o);
	EXPECT_STREQ(best_temporal_family(), mo::selected().kernel);
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
