// pmem2::error, pmem2::result, flag sets.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include <pmem2/error.hpp>
#include <pmem2/flags.hpp>

using namespace pmem2;

TEST(CppError, DescribeNamesLibraryAndErrnoCodes)
{
	EXPECT_EQ(describe(0), "success");
	EXPECT_EQ(describe(PMEM2_E_NOSUPP), "operation not supported");
	EXPECT_EQ(describe(PMEM2_E_LENGTH_OUT_OF_RANGE), "length out of range");
	EXPECT_EQ(describe(-ENOENT), std::string(std::strerror(ENOENT)));
	EXPECT_EQ(describe(12345), "unrecognised error code");
}

TEST(CppError, ErrorKeepsCodeAndMessageAndMapsErrno)
{
	error e(-EACCES, "open /x: Permission denied");
	EXPECT_EQ(e.code(), -EACCES);
	EXPECT_EQ(e.errno_value(), EACCES);
	EXPECT_STREQ(e.what(), "open /x: Permission denied");
	EXPECT_EQ(error(PMEM2_E_NOSUPP, "x").errno_value(), ENOTSUP);
	EXPECT_EQ(error(PMEM2_E_MAP_RANGE, "x").errno_value(), EINVAL);
}

TEST(CppError, ResultHoldsValueOrError)
{
	result<int> ok = 7;
	ASSERT_TRUE(ok.has_value());
	EXPECT_EQ(ok.value(), 7);
	EXPECT_EQ(*ok, 7);
	EXPECT_EQ(ok.code(), 0);

	result<int> bad = detail::make_error(-ENOSPC, "write");
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.code(), -ENOSPC);
	EXPECT_EQ(bad.error().message, std::string("write: ") + std::strerror(ENOSPC));
	EXPECT_EQ(bad.value_or(3), 3);
	try {
		(void)bad.value();
		FAIL() << "value() of an error must throw";
	} catch (const error &e) {
		EXPECT_EQ(e.code(), -ENOSPC);
	}
}

TEST(CppError, ResultVoidThrowsOnlyOnError)
{
	result<void> ok;
	EXPECT_TRUE(ok.has_value());
	EXPECT_NO_THROW(ok.value());
	result<void> bad = detail::make_error(PMEM2_E_NOSUPP, "deep flush", "not here");
	EXPECT_FALSE(bad.has_value());
	EXPECT_EQ(bad.error().message, "deep flush: not here");
	EXPECT_THROW(bad.value(), error);
}

TEST(CppError, CheckThrowsWithLibraryMessage)
{
	EXPECT_NO_THROW(detail::check(0, "ok"));
	struct pmem2_source *src = nullptr;
	int rc = pmem2_source_from_fd(&src, -1);
	ASSERT_NE(rc, 0);
	try {
		detail::check(rc, "pmem2_source_from_fd");
		FAIL();
	} catch (const error &e) {
		EXPECT_EQ(e.code(), rc);
		std::string what = e.what();
		EXPECT_EQ(what.rfind("pmem2_source_from_fd: ", 0), 0u) << what;
		EXPECT_NE(what.find(pmem2_errormsg()), std::string::npos) << what;
	}
}

TEST(CppFlags, FlagSetsCombineAndConvertToCBits)
{
	constexpr mem_flags none;
	static_assert(none.empty());
	constexpr mem_flags f = mem_flag::nodrain | mem_flag::nontemporal;
	static_assert(f.bits() == (PMEM2_F_MEM_NODRAIN | PMEM2_F_MEM_NONTEMPORAL));
	static_assert(f.contains(mem_flag::nodrain));
	static_assert(!f.contains(mem_flag::wc));
	mem_flags g = mem_flag::wc;
	g |= mem_flag::noflush;
	EXPECT_EQ(g.bits(), PMEM2_F_MEM_WC | PMEM2_F_MEM_NOFLUSH);
	EXPECT_EQ((g & mem_flags(mem_flag::wc)), mem_flags(mem_flag::wc));
	EXPECT_EQ(mem_flags::from_bits(1u << 20).bits(), 1u << 20);
	EXPECT_EQ(to_string(granularity::cache_line), "cache_line");
	EXPECT_EQ(static_cast<int>(granularity::page), PMEM2_GRANULARITY_PAGE);
}
