// pmem2_err_to_errno, pmem2_errormsg and pmem2_perror: the code ranges, the
// per-thread message, and which calls write it.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

TEST(ErrToErrno, MapsEveryRange)
{
	EXPECT_EQ(pmem2_err_to_errno(0), 0);
	EXPECT_EQ(pmem2_err_to_errno(PMEM2_E_NOSUPP), ENOTSUP);
	EXPECT_EQ(pmem2_err_to_errno(PMEM2_E_UNKNOWN), EINVAL);
	EXPECT_EQ(pmem2_err_to_errno(PMEM2_E_IO_FAIL), EINVAL);
	EXPECT_EQ(pmem2_err_to_errno(PMEM2_E_MAP_RANGE), EINVAL);
	EXPECT_EQ(pmem2_err_to_errno(INT_MIN), EINVAL);
	EXPECT_EQ(pmem2_err_to_errno(-ENOMEM), ENOMEM);
	EXPECT_EQ(pmem2_err_to_errno(-EACCES), EACCES);
	EXPECT_EQ(pmem2_err_to_errno(PMEM2_E_UNKNOWN + 1), -(PMEM2_E_UNKNOWN + 1));
}

TEST(ErrToErrno, PositiveIsEinvalNotAbort)
{
	EXPECT_EQ(pmem2_err_to_errno(1), EINVAL);
	EXPECT_EQ(pmem2_err_to_errno(INT_MAX), EINVAL);
}

TEST(ErrToErrno, DoesNotTouchMessage)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	EXPECT_EQ(c_set_sharing(cfg, 7),
		PMEM2_E_INVALID_SHARING_VALUE);
	std::string before = pmem2_errormsg();
	pmem2_err_to_errno(PMEM2_E_INVALID_SHARING_VALUE);
	EXPECT_EQ(before, pmem2_errormsg());
	pmem2_config_delete(&cfg);
}

TEST(ErrorMsg, FreshThreadStartsEmpty)
{
	std::string seen = "x";
	std::thread t([&] { seen = pmem2_errormsg(); });
	t.join();
	EXPECT_EQ(seen, "");
}

TEST(ErrorMsg, IsPerThread)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_offset(cfg, SIZE_MAX), PMEM2_E_OFFSET_OUT_OF_RANGE);
	std::string mine = pmem2_errormsg();
	ASSERT_FALSE(mine.empty());
	std::thread t([] {
		pmem2_config *c = nullptr;
		pmem2_config_new(&c);
		pmem2_config_set_protection(c, 1);
		pmem2_config_delete(&c);
	});
	t.join();
	EXPECT_EQ(mine, pmem2_errormsg());
	pmem2_config_delete(&cfg);
}

TEST(ErrorMsg, NotClearedBySuccess)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_NE(pmem2_config_set_protection(cfg, 1u << 3), 0);
	std::string msg = pmem2_errormsg();
	ASSERT_FALSE(msg.empty());
	ASSERT_EQ(pmem2_config_set_protection(cfg, PMEM2_PROT_READ), 0);
	EXPECT_EQ(msg, pmem2_errormsg());
	pmem2_config_delete(&cfg);
}

TEST(ErrorMsg, SystemCallFailureEndsWithStrerror)
{
	pmem2::os::fail_next(pmem2::os::call::fstat, EIO);
	scratch f(4096);
	pmem2_source *src = nullptr;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), -EIO);
	std::string msg = pmem2_errormsg();
	std::string tail = std::string(": ") + std::strerror(EIO);
	ASSERT_GE(msg.size(), tail.size());
	EXPECT_EQ(msg.substr(msg.size() - tail.size()), tail);
	pmem2::os::clear_faults();
}

TEST(Perror, PrintsFormatColonMessage)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_NE(c_set_sharing(cfg, 9), 0);
	std::string msg = pmem2_errormsg();

	std::string path = scratch_dir() + "/pmem2-perror-XXXXXX";
	int fd = mkstemp(path.data());
	ASSERT_GE(fd, 0);
	std::fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	pmem2_perror("step %d of %s", 3, "setup");
	std::fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	std::string out(4096, '\0');
	ssize_t n = pread(fd, out.data(), out.size(), 0);
	ASSERT_GT(n, 0);
	out.resize(static_cast<std::size_t>(n));
	EXPECT_EQ(out, "step 3 of setup: " + msg + "\n");
	close(fd);
	unlink(path.c_str());
	pmem2_config_delete(&cfg);
}

} // namespace
