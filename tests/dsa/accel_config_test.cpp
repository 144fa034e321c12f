// Discovery through libaccel-config loaded at run time: a missing library
// or one without the functions is reported and leaves the sysfs scan to
// answer; where the library is installed it lists what sysfs lists.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include "dsa/accel_config.hpp"
#include "support/fake_dsa.hpp"

using pmem2::dsa::accel_config_scan;
using pmem2::dsa::discover;
using pmem2::dsa::scan;

TEST(AccelConfig, AMissingLibraryIsReported)
{
	std::string why;
	EXPECT_FALSE(accel_config_scan(why, "libpmem2-no-such-library.so.9").has_value());
	EXPECT_NE(why.find("libpmem2-no-such-library.so.9: "), std::string::npos) << why;
}

TEST(AccelConfig, ALibraryWithoutItsFunctionsIsReported)
{
	std::string why;
	EXPECT_FALSE(accel_config_scan(why, "libc.so.6").has_value());
	EXPECT_EQ(why, "libc.so.6 lacks accfg_new");
}

TEST(AccelConfig, ListsWhatSysfsLists)
{
	void *h = dlopen("libaccel-config.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h == nullptr)
		GTEST_SKIP() << "libaccel-config.so.1 is not installed (scripts/deps installs it): " << dlerror();
	dlclose(h);
	std::string why;
	const auto qs = accel_config_scan(why);
	ASSERT_TRUE(qs.has_value()) << why;
	const auto fs = scan("");
	ASSERT_EQ(qs->size(), fs.size());
	for (std::size_t i = 0; i < fs.size(); ++i) {
		EXPECT_EQ((*qs)[i].name, fs[i].name);
		EXPECT_EQ((*qs)[i].device, fs[i].device);
		EXPECT_EQ((*qs)[i].mode, fs[i].mode);
		EXPECT_EQ((*qs)[i].state, fs[i].state);
		EXPECT_EQ((*qs)[i].size, fs[i].size);
	}
	std::string source;
	discover("", &source);
	EXPECT_EQ(source, "libaccel-config");
}

TEST(AccelConfig, AnyOtherRootIsReadFromSysfs)
{
	pmem2::test::fake_dsa p;
	p.add_device(0);
	p.add_wq(0, 0);
	std::string source;
	const auto qs = discover(p.tree.root(), &source);
	EXPECT_EQ(source, "sysfs");
	ASSERT_EQ(qs.size(), 1u);
	EXPECT_EQ(qs[0].name, "wq0.0");
}
