// The CRC32C tests' cases: the kernel families to parameterise over, a
// fixture that forces one and proves the dispatch selected it, and the
// bit-at-a-time CRC32C every family is checked against.
#pragma once

#include "memops/crc32c.hpp"
#include "memops/crc32c_set.hpp"
#include "memops/kernel_cases.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace memops_test {

// One family of the architecture's table (crc32c_implementations()).
struct crc_case {
	std::string name;	// "vpclmul", "sse42", "armv8", "table"
	mo::crc32c_family family;
	unsigned required;	// crc32c_feature_* bits the CPU must have
};

inline std::vector<crc_case> all_crc_cases()
{
	std::vector<crc_case> v;
	for (const auto &impl : mo::detail::crc32c_implementations())
		v.push_back({impl.get().name, impl.family, impl.required});
	return v;
}

inline void PrintTo(const crc_case &c, std::ostream *os)
{
	*os << c.name;
}

inline std::string crc_case_name(const ::testing::TestParamInfo<crc_case> &i)
{
	return i.param.name;
}

// Why a family cannot run here, or empty if it can.
inline std::string crc_missing_feature(const crc_case &c)
{
	static const char *const names[] = {
		"SSE4.2 (CPUID.1:ECX[20]) and PCLMULQDQ (CPUID.1:ECX[1])",
		"VPCLMULQDQ (CPUID.7:ECX[10]) with AVX-512F state (CPUID.7:EBX[16], XCR0)",
		"the CRC32 extension (HWCAP_CRC32)"};
	const unsigned lacking = c.required & ~mo::detail::crc32c_cpu_features();
	std::string why;
	for (unsigned bit = 0; bit < 32; ++bit)
		if (lacking & (1u << bit)) {
			why += why.empty() ? "CPU lacks " : ", ";
			why += bit < std::size(names) ? names[bit] : "feature bit " + std::to_string(bit);
		}
	return why;
}

// The row a forced family must come from, found by name in the table.
inline const mo::detail::crc32c_kernels &crc_row(const crc_case &c)
{
	for (const auto &impl : mo::detail::crc32c_implementations())
		if (c.name == impl.get().name)
			return impl.get();
	ADD_FAILURE() << "no row named " << c.name;
	return mo::detail::crc32c_kernels_table();
}

// CRC32C one bit at a time, straight from the definition (reflected
// polynomial 0x82F63B78, init and final xor ~0).
inline std::uint32_t crc32c_bitwise(std::uint32_t crc, const void *data, std::size_t n)
{
	const auto *p = static_cast<const unsigned char *>(data);
	crc = ~crc;
	for (std::size_t i = 0; i < n; ++i) {
		crc ^= p[i];
		for (int b = 0; b < 8; ++b)
			crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
	}
	return ~crc;
}

// The table family's crc32c, the reference of the others.
inline std::uint32_t crc32c_table(std::uint32_t crc, const void *data, std::size_t n)
{
	return mo::detail::crc32c_kernels_table().crc[0](crc, data, n);
}

// Forces the family (skipping loudly when the CPU lacks it) and checks
// the dispatch chose exactly its row.
class CrcFamilyFixture : public ::testing::TestWithParam<crc_case> {
protected:
	void SetUp() override
	{
		const std::string why = crc_missing_feature(GetParam());
		if (!why.empty())
			GTEST_SKIP() << "crc32c family " << GetParam().name << " skipped: " << why;
		force(nullptr);
	}
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::redispatch(mo::options_from_env());
		mo::redispatch_crc32c(mo::crc32c_limit_from_env());
	}

	// Re-run both dispatches (memops' for the copy's flush instruction and
	// recording mode), with or without a recorder.
	void force(mo::recorder *rec, const mo::dispatch_options &opt = mo::dispatch_options{})
	{
		mo::set_recorder(rec);
		mo::redispatch(opt);
		mo::redispatch_crc32c(GetParam().family);
		ASSERT_STREQ(GetParam().name.c_str(), mo::crc32c_selected());
		ASSERT_EQ(&crc_row(GetParam()), &mo::detail::current_crc32c_kernels());
	}
};

} // namespace memops_test
