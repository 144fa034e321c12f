// The check mode inside libpmem2 (src/check/process.cpp): off and free
// unless PMEM2_CHECK=1, and when on, the findings of maps deleted or left
// mapped and of synchronous calls that returned with their range not durable.
#include <gtest/gtest.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <libpmem2.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/process.hpp"
#include "memops/memops.hpp"
#include "support/env.hpp"
#include "support/mapped_file.hpp"
#include "support/bytes.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;
namespace process = pmem2::check::process;
namespace memops = pmem2::memops;

std::string real(const std::string &p)
{
	char buf[PATH_MAX];
	return ::realpath(p.c_str(), buf) ? buf : p;
}

// First in the file: with ctest every test is a process of its own, and
// this one sees the decision the environment makes at the first map.
TEST(CheckProcess, OffWithoutTheEnvironmentVariable)
{
	scoped_env e("PMEM2_CHECK", nullptr);
	mapped_file mf(1 << 16, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	EXPECT_FALSE(process::enabled());
	EXPECT_EQ(memops::current_recorder(), nullptr);
	const memops::ops_table &t = memops::ops(memops::granularity::cache_line);
	EXPECT_EQ(reinterpret_cast<void *>(pmem2_get_persist_fn(mf.map)), reinterpret_cast<void *>(t.persist));
	EXPECT_EQ(reinterpret_cast<void *>(pmem2_get_memcpy_fn(mf.map)), reinterpret_cast<void *>(t.memmove));
	EXPECT_EQ(reinterpret_cast<void *>(pmem2_get_drain_fn(mf.map)), reinterpret_cast<void *>(t.drain));
}

// In a process of its own (death-test style "threadsafe" re-runs the
// binary): the decision is made once, at the first pmem2_map_new.
TEST(CheckProcess, OnWithTheEnvironmentVariableAtTheFirstMap)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	// The child re-runs this body: it finds the report path in its
	// environment, as the parent set it.
	const char *inherited = std::getenv("PMEM2_CHECK_REPORT");
	std::string report = inherited ? inherited : scratch_dir() + "/pmem2-check-env-" + std::to_string(::getpid());
	::setenv("PMEM2_CHECK_REPORT", report.c_str(), 1);
	EXPECT_EXIT(
		{
			::setenv("PMEM2_CHECK", "1", 1);
			mapped_file mf(1 << 16, PMEM2_GRANULARITY_PAGE);
			bool ok = mf.err == 0 && process::active() && memops::current_recorder() != nullptr &&
				reinterpret_cast<void *>(pmem2_get_persist_fn(mf.map)) !=
					reinterpret_cast<void *>(memops::ops(memops::granularity::page).persist);
			mf.base[5000] = 1;	// left for the exit check
			std::exit(ok ? 0 : 1);
		},
		::testing::ExitedWithCode(0), "");
	::unsetenv("PMEM2_CHECK_REPORT");
	auto l = file_lines(report);
	::unlink(report.c_str());
	ASSERT_EQ(l.size(), 1u);
	EXPECT_EQ(l[0].substr(0, 14), "never-durable ");
	EXPECT_NE(l[0].find(" 5000 1"), std::string::npos) << l[0];
}

class CheckMode : public ::testing::Test {
protected:
	void SetUp() override
	{
		process::settings s;
		s.report_path = report.path();
		process::enable(s);
	}
	void TearDown() override { process::disable(); }
	scratch report{0};
};

TEST_F(CheckMode, InstallsTheRecorderAndRemovesIt)
{
	EXPECT_TRUE(process::active());
	EXPECT_NE(memops::current_recorder(), nullptr);
	process::disable();
	EXPECT_FALSE(process::active());
	EXPECT_EQ(memops::current_recorder(), nullptr);
}

TEST_F(CheckMode, DeleteReportsTheBytesNeverPersistedWithFileAndOffset)
{
	mapped_file mf(3 << 12, PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(mf.err, 0);
	pmem2_persist_fn persist = pmem2_get_persist_fn(mf.map);
	std::memset(mf.base + 10, 1, 20);
	persist(mf.base + 10, 20);
	std::memset(mf.base + 8192 + 100, 2, 64);
	std::memset(mf.base + 8192 + 200, 3, 8);
	std::string path = real(mf.file.path());
	ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	EXPECT_EQ(file_lines(report.path()), (std::vector<std::string>{
		"never-durable " + path + " 8292 64", "never-durable " + path + " 8392 8"}));
}

TEST_F(CheckMode, CheckAllReportsMapsStillMapped)
{
	mapped_file mf(2 << 12, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	std::memset(mf.base + 4096, 7, 3);
	process::check_all();
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"never-durable " + real(mf.file.path()) + " 4096 3"}));
	ASSERT_EQ(pmem2_map_delete(&mf.map), 0);	// untracked already: nothing more
	EXPECT_EQ(file_lines(report.path()).size(), 1u);
}

TEST_F(CheckMode, AForkedChildLeavesTheExitCheckToItsParent)
{
	mapped_file mf(1 << 12, PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(mf.err, 0);
	mf.base[10] = 1;
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		process::check_all();
		::_exit(0);
	}
	int status = 0;
	ASSERT_EQ(::waitpid(pid, &status, 0), pid);
	EXPECT_EQ(file_lines(report.path()), std::vector<std::string>{});
	process::check_all();
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"never-durable " + real(mf.file.path()) + " 10 1"}));
}

TEST_F(CheckMode, IgnoredRangesAreNotReported)
{
	mapped_file mf(1 << 12, PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(mf.err, 0);
	process::settings s;
	s.report_path = report.path();
	s.ignores.push_back({real(mf.file.path()), 100, 10});
	process::enable(s);
	std::memset(mf.base + 96, 1, 20);	// 96..116: 100..110 ignored
	ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	std::string path = real(mf.file.path());
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"never-durable " + path + " 96 4", "never-durable " + path + " 110 6"}));
}

TEST_F(CheckMode, CorrectCallsLeaveNoFinding)
{
	for (pmem2_granularity g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE}) {
		mapped_file mf(1 << 16, g);
		ASSERT_EQ(mf.err, 0);
		char buf[3000];
		std::memset(buf, 9, sizeof(buf));
		pmem2_get_memcpy_fn(mf.map)(mf.base + 1, buf, sizeof(buf), 0);
		pmem2_get_memmove_fn(mf.map)(mf.base + 5000, buf, 100, PMEM2_F_MEM_NONTEMPORAL);
		pmem2_get_memset_fn(mf.map)(mf.base + 9000, 4, 700, PMEM2_F_MEM_NODRAIN);
		mf.base[20000] = 1;
		pmem2_get_flush_fn(mf.map)(mf.base + 20000, 1);
		pmem2_get_drain_fn(mf.map)();
		mf.base[30000] = 2;
		pmem2_get_persist_fn(mf.map)(mf.base + 30000, 1);
		ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	}
	EXPECT_EQ(file_lines(report.path()), std::vector<std::string>{});
}

TEST_F(CheckMode, AStoreBetweenFlushAndDrainIsNotDurableAtTheDrain)
{
	mapped_file mf(1 << 12, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	std::memset(mf.base + 128, 1, 64);
	pmem2_get_flush_fn(mf.map)(mf.base + 128, 64);
	mf.base[130] = 2;
	pmem2_get_drain_fn(mf.map)();
	std::string path = real(mf.file.path());
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"not-durable-at-return pmem2_flush+pmem2_drain " + path + " 130 1"}));
}

TEST_F(CheckMode, NodrainWithoutDrainIsNeverDurableAtCacheLine)
{
	mapped_file mf(1 << 12, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	char buf[64];
	std::memset(buf, 5, sizeof(buf));
	pmem2_get_memcpy_fn(mf.map)(mf.base + 256, buf, sizeof(buf), PMEM2_F_MEM_NODRAIN);
	ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"never-durable " + real(mf.file.path()) + " 256 64"}));
}

TEST_F(CheckMode, FromExistingMapsAreTrackedAtTheFileOffsetOfTheirAddress)
{
	// 4 pages of the file from offset 8192, the map from the second page:
	// map offset 0 is file offset 12288.
	scratch file(1 << 16);
	auto *base = static_cast<char *>(::mmap(nullptr, 4 << 12, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd(), 8192));
	ASSERT_NE(base, MAP_FAILED);
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, file.fd()), 0);
	pmem2_map *map = nullptr;
	ASSERT_EQ(pmem2_map_from_existing(&map, src, base + 4096, 3 << 12, PMEM2_GRANULARITY_PAGE), 0);
	base[4096 + 10] = 1;
	pmem2_get_persist_fn(map)(base + 4096 + 10, 1);
	std::memset(base + 4096 + 5000, 2, 16);
	ASSERT_EQ(pmem2_map_delete(&map), 0);
	EXPECT_EQ(file_lines(report.path()),
		(std::vector<std::string>{"never-durable " + real(file.path()) + " 17288 16"}));

	// A file source over memory that is not the file's: offset 0.
	auto *anon = static_cast<char *>(::mmap(nullptr, 1 << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ASSERT_NE(anon, MAP_FAILED);
	ASSERT_EQ(pmem2_map_from_existing(&map, src, anon, 1 << 12, PMEM2_GRANULARITY_PAGE), 0);
	anon[7] = 3;
	process::check_all();
	EXPECT_EQ(file_lines(report.path()).back(), "never-durable " + real(file.path()) + " 7 1");
	ASSERT_EQ(pmem2_map_delete(&map), 0);

	// An anonymous source: "anonymous", offset 0.
	pmem2_source *asrc = nullptr;
	ASSERT_EQ(pmem2_source_from_anon(&asrc, 1 << 12), 0);
	ASSERT_EQ(pmem2_map_from_existing(&map, asrc, anon, 1 << 12, PMEM2_GRANULARITY_PAGE), 0);
	anon[9] = 4;	// anon[7] is in the image already: it was there at the map
	ASSERT_EQ(pmem2_map_delete(&map), 0);
	EXPECT_EQ(file_lines(report.path()).back(), "never-durable anonymous 9 1");
	EXPECT_EQ(file_lines(report.path()).size(), 3u);
	pmem2_source_delete(&asrc);
	pmem2_source_delete(&src);
	::munmap(anon, 1 << 12);
	::munmap(base, 4 << 12);
}

TEST_F(CheckMode, ByteGranularityHasNoFindings)
{
	mapped_file mf(1 << 12, PMEM2_GRANULARITY_BYTE);
	ASSERT_EQ(mf.err, 0);
	std::memset(mf.base, 1, 100);
	ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	EXPECT_EQ(file_lines(report.path()), std::vector<std::string>{});
}

} // namespace
