// The vdm-dml API on the shared library, as users link it: every function,
// every type and flag, bad input, the reasons HARDWARE gives on fake
// platforms, AUTO's fallback, and every operation's bytes and outputs.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "support/fake_dsa.hpp"
#include "vdm_dml/data_mover_dml.hpp"

using pmem2::dsa::cpu_features;
using pmem2::test::fake_dsa;
using pmem2::test::fake_wq;

namespace {

// A fake platform the library reads while it lives, on a CPU with `cpu`.
struct platform {
	fake_dsa dsa;
	explicit platform(cpu_features cpu)
	{
		pmem2::vdm_dml::set_sysfs_root(dsa.tree.root());
		pmem2::vdm_dml::set_cpu_features(&cpu);
	}
	~platform()
	{
		pmem2::vdm_dml::set_sysfs_root("");
		pmem2::vdm_dml::set_cpu_features(nullptr);
	}
};

const std::string hw = "data_mover_dml_new(DATA_MOVER_DML_HARDWARE): ";

} // namespace

TEST(DataMoverDml, SoftwareMoverAndItsVdm)
{
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	EXPECT_EQ(data_mover_dml_get_path(d), DATA_MOVER_DML_SOFTWARE);
	vdm *v = data_mover_dml_get_vdm(d);
	ASSERT_NE(v, nullptr);
	EXPECT_EQ(v->capabilities, VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT);
	EXPECT_TRUE(vdm_is_supported(v, VDM_F_MEM_DURABLE));
	EXPECT_TRUE(vdm_is_supported(v, VDM_F_NO_CACHE_HINT));
	EXPECT_TRUE(vdm_is_supported(v, VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT));
	EXPECT_EQ(data_mover_dml_get_vdm(d), v);
	data_mover_dml_delete(d);
}

TEST(DataMoverDml, BadTypeIsEinval)
{
	errno = 0;
	EXPECT_EQ(data_mover_dml_new(static_cast<data_mover_dml_type>(7)), nullptr);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_new: 7 is not a data_mover_dml_type");
	errno = 0;
	EXPECT_EQ(data_mover_dml_new(static_cast<data_mover_dml_type>(-1)), nullptr);
	EXPECT_EQ(errno, EINVAL);
}

TEST(DataMoverDml, NullHandles)
{
	EXPECT_EQ(data_mover_dml_get_vdm(nullptr), nullptr);
	EXPECT_EQ(data_mover_dml_get_path(nullptr), DATA_MOVER_DML_SOFTWARE);
	data_mover_dml_delete(nullptr);
}

TEST(DataMoverDml, MessageIsPerThreadAndEmptyFirst)
{
	EXPECT_EQ(data_mover_dml_new(static_cast<data_mover_dml_type>(9)), nullptr);
	std::string other = "unset";
	std::thread([&] { other = data_mover_dml_errormsg(); }).join();
	EXPECT_EQ(other, "");
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_new: 9 is not a data_mover_dml_type");
}

TEST(DataMoverDml, HardwareWithoutAnyQueueIsEnodev)
{
	platform p(cpu_features{true, true});
	errno = 0;
	EXPECT_EQ(data_mover_dml_new(DATA_MOVER_DML_HARDWARE), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_EQ(data_mover_dml_errormsg(), hw + "no DSA work queue (/sys/bus/dsa/devices lists none)");
}

TEST(DataMoverDml, HardwareNamesWhyEachQueueIsUnusable)
{
	platform p(cpu_features{false, false});
	p.dsa.add_device(0);
	p.dsa.add_wq(0, 0);
	fake_wq w;
	w.mode = "shared";
	w.state = "disabled";
	p.dsa.add_wq(0, 1, w);
	errno = 0;
	EXPECT_EQ(data_mover_dml_new(DATA_MOVER_DML_HARDWARE), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_EQ(data_mover_dml_errormsg(), hw +
		"wq0.0 is dedicated and this CPU has no MOVDIR64B; wq0.1 is not enabled (state \"disabled\")");
}

TEST(DataMoverDml, HardwareReportsAPortalThatWillNotOpen)
{
	platform p(cpu_features{true, true});
	p.dsa.add_device(0);
	fake_wq w;
	w.dev_node = false;
	p.dsa.add_wq(0, 0, w);
	p.dsa.tree.mkdirs("/dev/dsa/wq0.0");	// a directory: access() passes, open() fails
	errno = 0;
	EXPECT_EQ(data_mover_dml_new(DATA_MOVER_DML_HARDWARE), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_EQ(data_mover_dml_errormsg(),
		hw + "wq0.0: " + p.dsa.tree.path("/dev/dsa/wq0.0") + ": Is a directory");
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_AUTO);
	ASSERT_NE(d, nullptr);
	EXPECT_EQ(data_mover_dml_get_path(d), DATA_MOVER_DML_SOFTWARE);
	data_mover_dml_delete(d);
}

TEST(DataMoverDml, AutoFallsBackToTheCpu)
{
	platform p(cpu_features{true, true});
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_AUTO);
	ASSERT_NE(d, nullptr);
	EXPECT_EQ(data_mover_dml_get_path(d), DATA_MOVER_DML_SOFTWARE);
	char a[64] = "auto", b[64] = {};
	auto f = vdm_memcpy(data_mover_dml_get_vdm(d), b, a, sizeof(a), VDM_F_MEM_DURABLE);
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
	EXPECT_STREQ(b, "auto");
	data_mover_dml_delete(d);
}

TEST(DataMoverDml, EveryOperationWithEveryFlag)
{
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	vdm *v = data_mover_dml_get_vdm(d);
	runtime *r = runtime_new();
	const std::uint64_t flag_sets[] = {0, VDM_F_MEM_DURABLE, VDM_F_NO_CACHE_HINT,
		VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT};
	for (std::uint64_t flags : flag_sets) {
		SCOPED_TRACE(flags);
		alignas(64) char src[4096 + 64], dst[4096 + 64];
		for (std::size_t i = 0; i < sizeof(src); ++i)
			src[i] = static_cast<char>(i * 7 + flags);
		std::memset(dst, 0, sizeof(dst));

		// Unaligned at both ends, so the write-back covers partial lines.
		auto c = vdm_memcpy(v, dst + 3, src + 5, 4000, flags);
		EXPECT_EQ(future_has_property(FUTURE_AS_RUNNABLE(&c), FUTURE_PROPERTY_ASYNC), 1);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
		EXPECT_EQ(std::memcmp(dst + 3, src + 5, 4000), 0);
		EXPECT_EQ(dst[2], 0);
		EXPECT_EQ(dst[4003], 0);
		EXPECT_EQ(c.output.type, VDM_OPERATION_MEMCPY);
		EXPECT_EQ(c.output.result, VDM_SUCCESS);
		EXPECT_EQ(c.output.output.memcpy.dest, dst + 3);

		// Overlapping moves, up and down.
		std::memcpy(dst, src, sizeof(dst));
		auto up = vdm_memmove(v, dst + 100, dst, 1000, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&up));
		EXPECT_EQ(std::memcmp(dst + 100, src, 1000), 0);
		EXPECT_EQ(up.output.type, VDM_OPERATION_MEMMOVE);
		EXPECT_EQ(up.output.output.memmove.dest, dst + 100);
		std::memcpy(dst, src, sizeof(dst));
		auto down = vdm_memmove(v, dst, dst + 100, 1000, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&down));
		EXPECT_EQ(std::memcmp(dst, src + 100, 1000), 0);

		auto s = vdm_memset(v, dst + 1, 0xa5, 777, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&s));
		for (std::size_t i = 1; i < 778; ++i)
			ASSERT_EQ(static_cast<unsigned char>(dst[i]), 0xa5u) << i;
		EXPECT_NE(static_cast<unsigned char>(dst[778]), 0xa5u);
		EXPECT_EQ(s.output.type, VDM_OPERATION_MEMSET);
		EXPECT_EQ(s.output.output.memset.str, dst + 1);

		auto fl = vdm_flush(v, dst, sizeof(dst), flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&fl));
		EXPECT_EQ(fl.output.type, VDM_OPERATION_FLUSH);
		EXPECT_EQ(fl.output.result, VDM_SUCCESS);
	}
	runtime_delete(r);
	data_mover_dml_delete(d);
}

TEST(DataMoverDml, ZeroLengthOnNullPointers)
{
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	vdm *v = data_mover_dml_get_vdm(d);
	auto a = vdm_memcpy(v, nullptr, nullptr, 0, VDM_F_MEM_DURABLE);
	auto b = vdm_memmove(v, nullptr, nullptr, 0, VDM_F_MEM_DURABLE);
	auto c = vdm_memset(v, nullptr, 1, 0, VDM_F_MEM_DURABLE);
	auto e = vdm_flush(v, nullptr, 0, 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&a), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&b), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&c), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&e), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(a.output.result, VDM_SUCCESS);
	data_mover_dml_delete(d);
}

TEST(DataMoverDml, ManyThreadsShareOneMover)
{
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	vdm *v = data_mover_dml_get_vdm(d);
	std::thread t[4];
	bool ok[4] = {};
	for (int i = 0; i < 4; ++i)
		t[i] = std::thread([&, i] {
			runtime *r = runtime_new();
			char src[512], dst[512];
			bool good = true;
			for (int k = 0; k < 2000 && good; ++k) {
				std::memset(src, i * 31 + k, sizeof(src));
				auto f = vdm_memcpy(v, dst, src, sizeof(src), VDM_F_MEM_DURABLE);
				runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
				good = std::memcmp(dst, src, sizeof(src)) == 0;
			}
			runtime_delete(r);
			ok[i] = good;
		});
	for (auto &th : t)
		th.join();
	for (bool b : ok)
		EXPECT_TRUE(b);
	data_mover_dml_delete(d);
}

TEST(DataMoverDmlHardware, RealWorkQueue)
{
	struct stat st;
	if (stat("/dev/dsa", &st) != 0)
		GTEST_SKIP() << "no /dev/dsa on this machine: no DSA work queue to run on "
			     "(HARDWARE is tested on fake platforms above)";
	// A machine with DSA: HARDWARE must either work or say why not.
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	if (d == nullptr) {
		EXPECT_EQ(errno, ENODEV);
		EXPECT_NE(std::strlen(data_mover_dml_errormsg()), 0u);
		GTEST_SKIP() << "DSA present but not usable here: " << data_mover_dml_errormsg();
	}
	data_mover_dml_delete(d);
}
