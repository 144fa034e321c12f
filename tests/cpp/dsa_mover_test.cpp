// pmem2::dsa_mover: made from options (each bad one an error with the C
// API's code and message, thrown or returned), what it reports, and pmem2
// futures on a map that uses it, on the device model and on the CPU.
#include <gtest/gtest.h>

#include <pmem2/dsa_mover.hpp>
#include <pmem2/pmem2.hpp>

#include <cstring>

#include "support/bytes.hpp"
#include "support/dsa_on_model.hpp"
#include "support/scratch.hpp"

using namespace pmem2;

TEST(CppDsaMover, SoftwareNeedsNoDevice)
{
	dsa_mover m(dsa_options{.path = dsa_path::software});
	EXPECT_FALSE(m.on_device());
	EXPECT_EQ(m.threshold(), SIZE_MAX);
	EXPECT_EQ(m.queues(), "");
	EXPECT_TRUE(m.ref().durable());
}

TEST(CppDsaMover, BadOptionsAreErrorsWithTheLibrarysMessage)
{
	auto r = dsa_mover::try_create(dsa_options{.queues = "wq0.0,"});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, -EINVAL);
	EXPECT_EQ(r.error().message,
		"data_mover_dml_config_set_queues: the list ends with a comma");
	r = dsa_mover::try_create(dsa_options{.numa = -7});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, -EINVAL);
	try {
		dsa_mover bad(dsa_options{.path = dsa_path::hardware, .queues = "wq9.9"});
		ADD_FAILURE() << "no exception";
	} catch (const pmem2::error &e) {
		EXPECT_EQ(e.code(), -ENODEV);
		EXPECT_NE(std::string(e.what()).find("wq9.9"), std::string::npos) << e.what();
	}
}

TEST(CppDsaMover, UmwaitOnACpuWithoutItIsNotSupported)
{
	test::dsa_on_model model;	// no WAITPKG
	auto r = dsa_mover::try_create(dsa_options{.wait = dsa_wait::umwait});
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, -ENOTSUP);
}

TEST(CppDsaMover, OnTheDeviceModelFuturesOfAMapAreDurableCopies)
{
	test::dsa_on_model model;
	dsa_mover mover(dsa_options{.path = dsa_path::hardware, .threshold = 1024});
	ASSERT_TRUE(mover.on_device());
	EXPECT_EQ(mover.queues(), "wq0.0");
	EXPECT_EQ(mover.threshold(), 1024u);
	test::tmpfile f(1 << 20);
	auto data = test::pattern(100000, 4);
	{
		map m = map::open(f.path(), map_options{.mover = mover});
		m.write_async(4096, data).wait();
		m.memset_async(m.data(), 0x11, 512).wait();	// below the threshold: the CPU
		EXPECT_EQ(std::memcmp(m.data() + 4096, data.data(), data.size()), 0);
		EXPECT_EQ(m.data()[511], std::byte{0x11});
	}
	EXPECT_EQ(model.model.accepted(), 1u);
	EXPECT_EQ(test::read_file(f.path(), data.size(), 4096), data);
}

TEST(CppDsaMover, MovesAndMoveAssignmentOwnOneMover)
{
	dsa_mover a(dsa_options{.path = dsa_path::software});
	data_mover_dml *raw = a.native();
	dsa_mover b(std::move(a));
	EXPECT_EQ(b.native(), raw);
	EXPECT_EQ(a.native(), nullptr);
	dsa_mover c(dsa_options{.path = dsa_path::software});
	c = std::move(b);
	EXPECT_EQ(c.native(), raw);
}
