// Machine-check-safe I/O (pmem2_source_pread_mcsafe(3), DIFFERENCES.md A26, A27).
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "map/mcsafe.hpp"
#include "os/io.hpp"
#include "support/bytes.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

struct io_reset {
	~io_reset()
	{
		pmem2::os::set_io_chunk_limit(0);
		pmem2::os::io_clear_faults();
		pmem2::os::clear_faults();
	}
};

TEST(Mcsafe, AnonymousSourceIsRejected)
{
	source s(page(), 0);
	char buf[8];
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf, 8, 0), PMEM2_E_SOURCE_TYPE_NOT_SUPPORTED);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, buf, 8, 0), PMEM2_E_SOURCE_TYPE_NOT_SUPPORTED);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(nullptr, buf, 8, 0), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, nullptr, 8, 0), -EINVAL);
}

TEST(Mcsafe, FileRoundTrip)
{
	scratch f(3 * page() + 17);
	source s(f.fd());
	auto data = pattern<char>(2 * page() + 5, 1);
	ASSERT_EQ(pmem2_source_pwrite_mcsafe(s, data.data(), data.size(), page() - 3), 0)
		<< pmem2_errormsg();
	std::vector<char> back(data.size());
	ASSERT_EQ(::pread(f.fd(), back.data(), back.size(), off_t(page() - 3)), ssize_t(back.size()));
	EXPECT_EQ(back, data);
	std::fill(back.begin(), back.end(), 0);
	ASSERT_EQ(pmem2_source_pread_mcsafe(s, back.data(), back.size(), page() - 3), 0);
	EXPECT_EQ(back, data);
	// The very end and empty transfers.
	char c = 'x';
	EXPECT_EQ(pmem2_source_pwrite_mcsafe(s, &c, 1, 3 * page() + 16), 0);
	EXPECT_EQ(pmem2_source_pread_mcsafe(s, &c, 0, 3 * page() + 17), 0);
}

TEST(Mcsafe, RangeChecks)
{
	scratch f(page());
	source s(f.fd());
	std::vector<char> buf(2 * page());
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf.data(), page() + 1, 0), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, buf.data(), 2, page() - 1), PMEM2_E_LENGTH_OUT_OF_RANGE);
	// Offset past the end: the original's subtraction wraps and lets it through (DIFFERENCES.md A26).
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf.data(), 0, page() + 1), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, buf.data(), 1, SIZE_MAX), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf.data(), SIZE_MAX, 1), PMEM2_E_LENGTH_OUT_OF_RANGE);
}

// DIFFERENCES.md A26: short transfers are continued until the whole range is done.
TEST(Mcsafe, ShortTransfersAreCompleted)
{
	io_reset reset;
	scratch f(4 * page());
	source s(f.fd());
	auto data = pattern<char>(3 * page() + 11, 7);
	pmem2::os::set_io_chunk_limit(1000);
	ASSERT_EQ(pmem2_source_pwrite_mcsafe(s, data.data(), data.size(), 5), 0);
	std::vector<char> back(data.size());
	ASSERT_EQ(pmem2_source_pread_mcsafe(s, back.data(), back.size(), 5), 0);
	EXPECT_EQ(back, data);
	pmem2::os::set_io_chunk_limit(0);
	ASSERT_EQ(::pread(f.fd(), back.data(), back.size(), 5), ssize_t(back.size()));
	EXPECT_EQ(back, data);
}

// A file that reports more bytes than it yields (a sysfs attribute claims a
// page): the read stops making progress and fails instead of succeeding.
TEST(Mcsafe, NoProgressIsEio)
{
	int fd = -1;
	for (const char *p : {"/sys/devices/system/cpu/online", "/sys/kernel/mm/transparent_hugepage/enabled"})
		if ((fd = ::open(p, O_RDONLY)) >= 0)
			break;
	if (fd < 0)
		GTEST_SKIP() << "needs a readable sysfs attribute (/sys/devices/system/cpu/online)";
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	size_t sz = 0;
	ASSERT_EQ(pmem2_source_size(src, &sz), 0);
	if (sz < 64) {
		pmem2_source_delete(&src);
		::close(fd);
		GTEST_SKIP() << "the sysfs attribute reports its real size";
	}
	std::vector<char> buf(sz);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(src, buf.data(), sz, 0), -EIO);
	pmem2_source_delete(&src);
	::close(fd);
}

TEST(Mcsafe, FileErrors)
{
	io_reset reset;
	scratch f(page());
	source s(f.fd());
	char buf[64] = {};
	pmem2::os::io_fail_next(pmem2::os::io_call::pread, EIO);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf, sizeof(buf), 0), PMEM2_E_IO_FAIL);
	pmem2::os::io_fail_next(pmem2::os::io_call::pwrite, EIO);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, buf, sizeof(buf), 0), PMEM2_E_IO_FAIL);
	// A failure after a short first transfer.
	pmem2::os::set_io_chunk_limit(16);
	pmem2::os::io_fail_next(pmem2::os::io_call::pwrite, ENOSPC, 1);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(s, buf, sizeof(buf), 0), -ENOSPC);
	pmem2::os::fail_next(pmem2::os::call::fstat, EACCES);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(s, buf, 1, 0), -EACCES);
}

// Device DAX I/O maps only the window that holds the range: checked on a
// regular file, where the result is visible through read(2).
TEST(Mcsafe, WindowIoOnAFile)
{
	scratch f(8 * page());
	auto data = pattern<char>(page() + 100, 3);
	ASSERT_EQ(pmem2::mcsafe::window_io(f.fd(), page(), data.data(), data.size(), 3 * page() - 50, true), 0);
	std::vector<char> back(data.size());
	ASSERT_EQ(::pread(f.fd(), back.data(), back.size(), off_t(3 * page() - 50)), ssize_t(back.size()));
	EXPECT_EQ(back, data);
	std::fill(back.begin(), back.end(), 0);
	ASSERT_EQ(pmem2::mcsafe::window_io(f.fd(), page(), back.data(), back.size(), 3 * page() - 50, false), 0);
	EXPECT_EQ(back, data);
	EXPECT_EQ(pmem2::mcsafe::window_io(f.fd(), page(), back.data(), 0, 0, false), 0);
	EXPECT_FALSE(is_mapped(f.path()));
}

// /dev/zero presented as a device DAX: reads give zeros through the window.
TEST(Mcsafe, FakeDeviceDax)
{
	io_reset reset;
	fake_nvdimm hw;
	hw.add_region(0);
	int fd = ::open("/dev/zero", O_RDWR);
	ASSERT_GE(fd, 0);
	hw.devdax_on_region(rdev_of(fd), 0, 32 * page(), 2 * page());
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	std::vector<char> buf(3 * page(), 'a');
	ASSERT_EQ(pmem2_source_pread_mcsafe(src, buf.data(), buf.size(), 3), 0) << pmem2_errormsg();
	EXPECT_EQ(std::count(buf.begin(), buf.end(), 0), std::ptrdiff_t(buf.size()));
	EXPECT_EQ(pmem2_source_pwrite_mcsafe(src, buf.data(), buf.size(), page()), 0);
	// /dev/zero mapped at a non-zero offset faults (SIGBUS) past the window's
	// size, as poisoned device memory does: the copy ends with IO_FAIL.
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(src, buf.data(), buf.size(), 5 * page() + 3),
		PMEM2_E_IO_FAIL);
	EXPECT_PMEM2_ERR(pmem2_source_pwrite_mcsafe(src, buf.data(), buf.size(), 29 * page()),
		PMEM2_E_IO_FAIL);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(src, buf.data(), 2, 32 * page() - 1),
		PMEM2_E_LENGTH_OUT_OF_RANGE);
	pmem2::os::fail_next(pmem2::os::call::mmap, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(src, buf.data(), 1, 0), -ENOMEM);
	hw.root.write(fake_nvdimm::region_rel(0) + "/dax0.0/dax_region/align", "two\n");
	EXPECT_PMEM2_ERR(pmem2_source_pread_mcsafe(src, buf.data(), 1, 0), PMEM2_E_INVALID_ALIGNMENT_FORMAT);
	pmem2_source_delete(&src);
	::close(fd);
}

// A file mapping whose second page lies past the end of the file: touching
// it raises SIGBUS, like reading poisoned memory.
struct sigbus_area {
	scratch f{2 * page()};
	char *p = nullptr;
	sigbus_area()
	{
		p = static_cast<char *>(::mmap(nullptr, 2 * page(), PROT_READ | PROT_WRITE, MAP_SHARED, f.fd(), 0));
		if (p == MAP_FAILED || ::ftruncate(f.fd(), off_t(page())) != 0)
			std::abort();
	}
	~sigbus_area() { ::munmap(p, 2 * page()); }
	char *bad() const { return p + page(); }
};

TEST(McsafeSigbus, CopyOfBadMemoryIsIoFail)
{
	sigbus_area a;
	std::vector<char> buf(256);
	EXPECT_PMEM2_ERR(pmem2::mcsafe::guarded_copy(buf.data(), a.bad() + 8, buf.size(), false),
		PMEM2_E_IO_FAIL);
	EXPECT_PMEM2_ERR(pmem2::mcsafe::guarded_copy(a.bad(), buf.data(), buf.size(), true),
		PMEM2_E_IO_FAIL);
	// The thread goes on, and good memory still copies.
	EXPECT_EQ(pmem2::mcsafe::guarded_copy(buf.data(), a.p, buf.size(), false), 0);
	EXPECT_EQ(pmem2::mcsafe::guarded_copy(a.p, buf.data(), buf.size(), true), 0);
	// Straddling: the good part may have been copied, the call still fails.
	EXPECT_PMEM2_ERR(pmem2::mcsafe::guarded_copy(buf.data(), a.bad() - 100, 200, false),
		PMEM2_E_IO_FAIL);
}

TEST(McsafeSigbus, ManyThreadsAtOnce)
{
	sigbus_area a;
	std::atomic<int> fails{0}, oks{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < 4; ++t)
		ts.emplace_back([&, t] {
			std::vector<char> buf(64);
			for (int i = 0; i < 50; ++i) {
				bool bad = (i + t) % 2;
				int r = pmem2::mcsafe::guarded_copy(buf.data(), bad ? a.bad() : a.p, 64, false);
				(r == PMEM2_E_IO_FAIL ? fails : oks) += (r == (bad ? PMEM2_E_IO_FAIL : 0));
			}
		});
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(fails.load(), 100);
	EXPECT_EQ(oks.load(), 100);
}

void exit_42(int, siginfo_t *, void *) { _exit(42); }

// DIFFERENCES.md A27: a SIGBUS outside an mcsafe copy reaches the handler that was there
// before; with the default disposition the process dies of SIGBUS.
TEST(McsafeSigbusDeathTest, UnrelatedSigbusGoesToThePreviousHandler)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		struct sigaction sa = {};
		sa.sa_sigaction = exit_42;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		::sigaction(SIGBUS, &sa, nullptr);
		sigbus_area a;
		char buf[8];
		if (pmem2::mcsafe::guarded_copy(buf, a.bad(), 8, false) != PMEM2_E_IO_FAIL)
			_exit(1);
		*static_cast<volatile char *>(a.bad()) = 1;
		_exit(2);
	}, ::testing::ExitedWithCode(42), "");
}

// The application installs its own SIGBUS handler after the library's:
// mcsafe copies still return PMEM2_E_IO_FAIL, and a SIGBUS that is not a
// machine check of a copy still reaches the application's handler.
volatile sig_atomic_t app_phase = 0;
void app_handler(int, siginfo_t *, void *) { _exit(40 + app_phase); }

TEST(McsafeSigbusDeathTest, ApplicationHandlerInstalledLaterIsChained)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		sigbus_area a;
		char buf[8];
		if (pmem2::mcsafe::guarded_copy(buf, a.bad(), 8, false) != PMEM2_E_IO_FAIL)
			_exit(1);	// the library's handler is now installed
		struct sigaction sa = {};
		sa.sa_sigaction = app_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		::sigaction(SIGBUS, &sa, nullptr);
		app_phase = 1;	// a copy's fault reaching the application exits 41
		if (pmem2::mcsafe::guarded_copy(buf, a.bad(), 8, false) != PMEM2_E_IO_FAIL)
			_exit(3);
		app_phase = 2;
		*static_cast<volatile char *>(a.bad()) = 1;	// not a copy: the application's
		_exit(2);
	}, ::testing::ExitedWithCode(42), "");
}

TEST(McsafeSigbusDeathTest, UnrelatedSigbusWithDefaultDispositionKills)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		signal(SIGBUS, SIG_DFL);
		sigbus_area a;
		char buf[8];
		if (pmem2::mcsafe::guarded_copy(buf, a.bad(), 8, false) != PMEM2_E_IO_FAIL)
			_exit(1);
		(void)*static_cast<volatile char *>(a.bad());
		_exit(2);
	}, ::testing::KilledBySignal(SIGBUS), "");
}

TEST(McsafeSigbusDeathTest, HandlerInstallFailureIsReturned)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	for (unsigned which : {0u, 1u}) {	// reading the old disposition, installing ours
		EXPECT_EXIT({
			char a[8] = {};
			char b[8];
			pmem2::os::io_fail_next(pmem2::os::io_call::sigaction, EINVAL, which);
			if (pmem2::mcsafe::guarded_copy(b, a, 8, false) != -EINVAL)
				_exit(1);
			// Retried on the next call.
			_exit(pmem2::mcsafe::guarded_copy(b, a, 8, false) == 0 ? 0 : 3);
		}, ::testing::ExitedWithCode(0), "");
	}
}

TEST(RealHardware, DeviceDaxMcsafeRead)
{
	const char *dev = std::getenv("PMEM2_TEST_DEVDAX");
	if (dev == nullptr || *dev == '\0')
		GTEST_SKIP() << "needs a device DAX (e.g. /dev/dax0.0, set PMEM2_TEST_DEVDAX): "
			"none is configured on this machine";
	int fd = ::open(dev, O_RDWR);
	ASSERT_GE(fd, 0) << dev;
	source s(fd);
	char buf[4096];
	EXPECT_EQ(pmem2_source_pread_mcsafe(s, buf, sizeof(buf), 4096), 0) << pmem2_errormsg();
	::close(fd);
}

} // namespace
