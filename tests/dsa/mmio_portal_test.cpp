// Opening a work queue's portal: each failure with its reason, and a portal
// that opens releases its descriptor and mapping when destroyed. (Sending
// through it needs MOVDIR64B or ENQCMD and a device: the hardware test in
// tests/vdm_dml skips loudly where there is none.)
#include <gtest/gtest.h>

#include <dirent.h>

#include "dsa/mmio_portal.hpp"
#include "support/fake_dsa.hpp"

using pmem2::dsa::open_mmio_portal;
using pmem2::dsa::scan;
using pmem2::dsa::wq_mode;
using pmem2::test::fake_dsa;
using pmem2::test::fake_wq;

namespace {
int open_fds()
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (dirent *e = readdir(d))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}
} // namespace

TEST(MmioPortal, EachFailureSaysWhy)
{
	fake_dsa p;
	p.add_device(0);
	fake_wq none;
	none.dev_node = false;
	p.add_wq(0, 0, none);
	p.add_wq(0, 1, none);
	p.tree.mkdirs("/dev/dsa/wq0.1");
	fake_wq odd;
	odd.mode = "weird";
	p.add_wq(0, 2, odd);
	const auto qs = scan(p.tree.root());
	ASSERT_EQ(qs.size(), 3u);
	std::string why;
	EXPECT_EQ(open_mmio_portal(qs[0], why), nullptr);
	EXPECT_EQ(why, p.tree.path("/dev/dsa/wq0.0") + ": No such file or directory");
	EXPECT_EQ(open_mmio_portal(qs[1], why), nullptr);
	EXPECT_EQ(why, p.tree.path("/dev/dsa/wq0.1") + ": Is a directory");
	EXPECT_EQ(qs[2].mode, wq_mode::unknown);
	EXPECT_EQ(open_mmio_portal(qs[2], why), nullptr);
	EXPECT_EQ(why, "wq0.2: unknown mode");
}

TEST(MmioPortal, AnOpenedPortalIsReleased)
{
	fake_dsa p;
	p.add_device(0);
	p.add_wq(0, 0);	// a plain file stands for the device node
	const auto qs = scan(p.tree.root());
	const int before = open_fds();
	{
		std::string why;
		auto portal = open_mmio_portal(qs.at(0), why);
		ASSERT_NE(portal, nullptr) << why;
		EXPECT_EQ(open_fds(), before + 1);
	}
	EXPECT_EQ(open_fds(), before);
}
