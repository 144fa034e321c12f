// The native DSA mover's config on the shared library, as users link it:
// every setter with good and bad values (exact codes and messages), and
// what a mover made from a config does: the queues it takes (a list, a
// node), the threshold it routes by, the wait it asks of its poller, and
// UMWAIT refused on a CPU without WAITPKG.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>
#include <libminiasync.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "support/dsa_on_model.hpp"
#include "support/wait.hpp"

using pmem2::test::dsa_on_model;
using pmem2::test::fake_wq;

namespace {

struct config_deleter {
	void operator()(data_mover_dml_config *c) const { data_mover_dml_config_delete(&c); }
};
using config_ptr = std::unique_ptr<data_mover_dml_config, config_deleter>;

config_ptr make_config()
{
	data_mover_dml_config *c = nullptr;
	EXPECT_EQ(data_mover_dml_config_new(&c), 0);
	return config_ptr(c);
}

struct mover_deleter {
	void operator()(data_mover_dml *d) const { data_mover_dml_delete(d); }
};
using mover_ptr = std::unique_ptr<data_mover_dml, mover_deleter>;

void run(vdm_operation_future &f)
{
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
}

} // namespace

TEST(DmlConfig, NewAndDelete)
{
	EXPECT_EQ(data_mover_dml_config_new(nullptr), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_config_new: cfg is NULL");
	data_mover_dml_config *c = nullptr;
	ASSERT_EQ(data_mover_dml_config_new(&c), 0);
	ASSERT_NE(c, nullptr);
	data_mover_dml_config_delete(&c);
	EXPECT_EQ(c, nullptr);
	data_mover_dml_config_delete(&c);	// NULL: nothing
	data_mover_dml_config_delete(nullptr);
}

TEST(DmlConfig, EverySetterRefusesANullConfig)
{
	const std::pair<int, const char *> calls[] = {
		{data_mover_dml_config_set_type(nullptr, DATA_MOVER_DML_AUTO), "data_mover_dml_config_set_type"},
		{data_mover_dml_config_set_queues(nullptr, ""), "data_mover_dml_config_set_queues"},
		{data_mover_dml_config_set_numa(nullptr, 0), "data_mover_dml_config_set_numa"},
		{data_mover_dml_config_set_threshold(nullptr, 0), "data_mover_dml_config_set_threshold"},
		{data_mover_dml_config_set_wait(nullptr, DATA_MOVER_DML_WAIT_AUTO), "data_mover_dml_config_set_wait"},
	};
	for (auto [rc, name] : calls)
		EXPECT_EQ(rc, -EINVAL) << name;
	EXPECT_EQ(data_mover_dml_config_set_wait(nullptr, DATA_MOVER_DML_WAIT_PAUSE), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_config_set_wait: cfg is NULL");
	errno = 0;
	EXPECT_EQ(data_mover_dml_new_config(nullptr), nullptr);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_new_config: cfg is NULL");
}

TEST(DmlConfig, ValuesOutOfRangeAreEinvalAndChangeNothing)
{
	auto c = make_config();
	EXPECT_EQ(data_mover_dml_config_set_type(c.get(), static_cast<data_mover_dml_type>(7)), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_config_set_type: 7 is not a data_mover_dml_type");
	EXPECT_EQ(data_mover_dml_config_set_numa(c.get(), -4), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(),
		"data_mover_dml_config_set_numa: -4 is neither a node nor a DATA_MOVER_DML_NUMA_* policy");
	EXPECT_EQ(data_mover_dml_config_set_wait(c.get(), static_cast<data_mover_dml_wait>(9)), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_config_set_wait: 9 is not a data_mover_dml_wait");
	for (const char *bad : {"wq0", "wq0.", "dsa0", "wq0.0,", ",wq0.0", "wq0.0,,wq1.0", "wq0.0 wq1.0", "wqa.0"}) {
		EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), bad), -EINVAL) << bad;
	}
	EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), "wq0.0,dsa1"), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(),
		"data_mover_dml_config_set_queues: \"dsa1\" is not a work queue name (wqD.Q)");
	EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), "wq0.0,"), -EINVAL);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_config_set_queues: the list ends with a comma");
	// Still the defaults: AUTO over every queue.
	dsa_on_model m;
	mover_ptr d(data_mover_dml_new_config(c.get()));
	ASSERT_NE(d, nullptr);
	EXPECT_STREQ(data_mover_dml_get_queues(d.get()), "wq0.0");
}

TEST(DmlConfig, GoodValuesAreTaken)
{
	auto c = make_config();
	EXPECT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);
	EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), " wq0.0 , wq12.3"), 0);
	EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), nullptr), 0);
	EXPECT_EQ(data_mover_dml_config_set_queues(c.get(), ""), 0);
	for (int n : {DATA_MOVER_DML_NUMA_ANY, DATA_MOVER_DML_NUMA_CALLER, DATA_MOVER_DML_NUMA_DESTINATION, 0, 7})
		EXPECT_EQ(data_mover_dml_config_set_numa(c.get(), n), 0) << n;
	for (std::size_t t : {std::size_t(0), std::size_t(4096), DATA_MOVER_DML_THRESHOLD_AUTO})
		EXPECT_EQ(data_mover_dml_config_set_threshold(c.get(), t), 0);
	for (auto w : {DATA_MOVER_DML_WAIT_AUTO, DATA_MOVER_DML_WAIT_UMWAIT, DATA_MOVER_DML_WAIT_PAUSE,
		     DATA_MOVER_DML_WAIT_YIELD})
		EXPECT_EQ(data_mover_dml_config_set_wait(c.get(), w), 0);
}

TEST(DmlConfig, TheQueueListChoosesQueuesAndNamesTheMissingOnes)
{
	dsa_on_model m;
	m.platform.add_wq(0, 1);
	m.platform.add_wq(0, 2);
	auto c = make_config();
	ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);
	{
		mover_ptr all(data_mover_dml_new_config(c.get()));
		ASSERT_NE(all, nullptr) << data_mover_dml_errormsg();
		EXPECT_STREQ(data_mover_dml_get_queues(all.get()), "wq0.0,wq0.1,wq0.2");
	}
	ASSERT_EQ(data_mover_dml_config_set_queues(c.get(), "wq0.2,wq0.0"), 0);
	{
		mover_ptr two(data_mover_dml_new_config(c.get()));
		ASSERT_NE(two, nullptr);
		EXPECT_STREQ(data_mover_dml_get_queues(two.get()), "wq0.0,wq0.2");
		// ANY: the queues in turn.
		vdm *v = data_mover_dml_get_vdm(two.get());
		pmem2::test::anon_pages src(8192, 1), dst(8192);
		for (int i = 0; i < 4; ++i) {
			auto f = vdm_memcpy(v, dst.p, src.p, 4096, 0);
			run(f);
		}
		EXPECT_EQ(dsa_on_model::sent_to("wq0.0"), 2u);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.2"), 2u);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.1"), 0u);
	}
	ASSERT_EQ(data_mover_dml_config_set_queues(c.get(), "wq3.0"), 0);
	errno = 0;
	EXPECT_EQ(data_mover_dml_new_config(c.get()), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_STREQ(data_mover_dml_errormsg(),
		"data_mover_dml_new_config(DATA_MOVER_DML_HARDWARE): wq3.0: no such DSA work queue");
}

TEST(DmlConfig, ANodeNumberTakesThatNodesQueuesOnly)
{
	dsa_on_model m;	// dsa0 on node 0
	m.platform.add_device(1, "dsa", "1\n");
	m.platform.add_wq(1, 0);
	auto c = make_config();
	ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);
	ASSERT_EQ(data_mover_dml_config_set_numa(c.get(), 1), 0);
	{
		mover_ptr d(data_mover_dml_new_config(c.get()));
		ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
		EXPECT_STREQ(data_mover_dml_get_queues(d.get()), "wq1.0");
	}
	ASSERT_EQ(data_mover_dml_config_set_numa(c.get(), 2), 0);
	errno = 0;
	EXPECT_EQ(data_mover_dml_new_config(c.get()), nullptr);
	EXPECT_EQ(errno, ENODEV);
	EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_new_config(DATA_MOVER_DML_HARDWARE): "
		"wq0.0: on NUMA node 0, not 2; wq1.0: on NUMA node 1, not 2");
	// AUTO on the same config: the CPU.
	ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_AUTO), 0);
	mover_ptr a(data_mover_dml_new_config(c.get()));
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(data_mover_dml_get_path(a.get()), DATA_MOVER_DML_SOFTWARE);
	EXPECT_STREQ(data_mover_dml_get_queues(a.get()), "");
	EXPECT_EQ(data_mover_dml_get_threshold(a.get()), SIZE_MAX);
}

TEST(DmlConfig, CallerAndDestinationPolicyPickTheLocalQueue)
{
	dsa_on_model m;
	m.platform.add_device(1, "dsa", "1\n");
	m.platform.add_wq(1, 0);
	pmem2::test::anon_pages src(8192, 1), near0(8192), near1(8192);
	static char *node1_memory;
	node1_memory = near1.p;
	static int caller = 0;
	pmem2::vdm_dml::set_node_functions([](const void *) { return caller; },
		[](const void *p) { return p == node1_memory ? 1 : 0; });
	auto c = make_config();
	ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);

	ASSERT_EQ(data_mover_dml_config_set_numa(c.get(), DATA_MOVER_DML_NUMA_DESTINATION), 0);
	{
		mover_ptr d(data_mover_dml_new_config(c.get()));
		ASSERT_NE(d, nullptr);
		vdm *v = data_mover_dml_get_vdm(d.get());
		for (int i = 0; i < 3; ++i) {
			auto f1 = vdm_memcpy(v, near1.p, src.p, 4096, 0);
			run(f1);
		}
		auto f0 = vdm_memcpy(v, near0.p, src.p, 4096, 0);
		run(f0);
		EXPECT_EQ(dsa_on_model::sent_to("wq1.0"), 3u);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.0"), 1u);
	}
	ASSERT_EQ(data_mover_dml_config_set_numa(c.get(), DATA_MOVER_DML_NUMA_CALLER), 0);
	{
		mover_ptr d(data_mover_dml_new_config(c.get()));
		ASSERT_NE(d, nullptr);
		vdm *v = data_mover_dml_get_vdm(d.get());
		caller = 0;
		auto a = vdm_memcpy(v, near1.p, src.p, 4096, 0);
		run(a);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.0"), 2u);
		caller = 1;
		auto b = vdm_memcpy(v, near0.p, src.p, 4096, 0);
		run(b);
		EXPECT_EQ(dsa_on_model::sent_to("wq1.0"), 4u);
		caller = 5;	// no queue there: any, in turn
		auto x = vdm_memcpy(v, near0.p, src.p, 4096, 0);
		run(x);
		auto y = vdm_memcpy(v, near0.p, src.p, 4096, 0);
		run(y);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.0") + dsa_on_model::sent_to("wq1.0"), 8u);
		EXPECT_EQ(dsa_on_model::sent_to("wq0.0"), 3u);
	}
	pmem2::vdm_dml::set_node_functions(nullptr, nullptr);
}

TEST(DmlConfig, TheThresholdRoutesShortOperationsToTheCpu)
{
	dsa_on_model m;
	auto c = make_config();
	ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);
	ASSERT_EQ(data_mover_dml_config_set_threshold(c.get(), 5000), 0);
	mover_ptr d(data_mover_dml_new_config(c.get()));
	ASSERT_NE(d, nullptr);
	EXPECT_EQ(data_mover_dml_get_threshold(d.get()), 5000u);
	vdm *v = data_mover_dml_get_vdm(d.get());
	pmem2::test::anon_pages src(8192, 3), dst(8192);
	auto small = vdm_memcpy(v, dst.p, src.p, 4999, 0);
	run(small);
	EXPECT_EQ(m.model.accepted(), 0u);
	auto big = vdm_memcpy(v, dst.p, src.p, 5000, 0);
	run(big);
	EXPECT_EQ(m.model.accepted(), 1u);
	EXPECT_EQ(std::memcmp(dst.p, src.p, 5000), 0);
}

TEST(DmlConfig, DefaultThresholdsByType)
{
	dsa_on_model m;
	mover_ptr hw(data_mover_dml_new(DATA_MOVER_DML_HARDWARE));
	ASSERT_NE(hw, nullptr);
	EXPECT_EQ(data_mover_dml_get_threshold(hw.get()), 0u);
	mover_ptr au(data_mover_dml_new(DATA_MOVER_DML_AUTO));
	ASSERT_NE(au, nullptr);
	EXPECT_EQ(data_mover_dml_get_threshold(au.get()), 32u * 1024);
	mover_ptr sw(data_mover_dml_new(DATA_MOVER_DML_SOFTWARE));
	EXPECT_EQ(data_mover_dml_get_threshold(sw.get()), SIZE_MAX);
	EXPECT_STREQ(data_mover_dml_get_queues(sw.get()), "");
	EXPECT_EQ(data_mover_dml_get_threshold(nullptr), SIZE_MAX);
	EXPECT_STREQ(data_mover_dml_get_queues(nullptr), "");
}

TEST(DmlConfig, UmwaitNeedsWaitpkg)
{
	auto c = make_config();
	ASSERT_EQ(data_mover_dml_config_set_wait(c.get(), DATA_MOVER_DML_WAIT_UMWAIT), 0);
	{
		dsa_on_model without;	// a CPU with MOVDIR64B and ENQCMD, no WAITPKG
		errno = 0;
		EXPECT_EQ(data_mover_dml_new_config(c.get()), nullptr);
		EXPECT_EQ(errno, ENOTSUP);
		EXPECT_STREQ(data_mover_dml_errormsg(), "data_mover_dml_new_config(DATA_MOVER_DML_AUTO): "
			"DATA_MOVER_DML_WAIT_UMWAIT: this CPU has no WAITPKG (UMONITOR/UMWAIT)");
	}
	dsa_on_model with(fake_wq{}, {}, pmem2::dsa::cpu_features{true, true, true});
	mover_ptr d(data_mover_dml_new_config(c.get()));
	ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
	EXPECT_EQ(d->wait, pmem2::dsa::wait_policy::umwait);
	// AUTO picks UMWAIT where the CPU has it.
	ASSERT_EQ(data_mover_dml_config_set_wait(c.get(), DATA_MOVER_DML_WAIT_AUTO), 0);
	mover_ptr a(data_mover_dml_new_config(c.get()));
	EXPECT_EQ(a->wait, pmem2::dsa::wait_policy::umwait);
}

TEST(DmlConfig, TheWaitPolicyIsWhatThePollerIsTold)
{
	dsa_on_model m(fake_wq{}, {}, pmem2::dsa::cpu_features{true, true, false});
	m.model.stall(true);	// the record stays unwritten while we look
	pmem2::test::anon_pages src(8192, 3), dst(8192);
	for (auto w : {DATA_MOVER_DML_WAIT_PAUSE, DATA_MOVER_DML_WAIT_AUTO, DATA_MOVER_DML_WAIT_YIELD}) {
		SCOPED_TRACE(w);
		auto c = make_config();
		ASSERT_EQ(data_mover_dml_config_set_type(c.get(), DATA_MOVER_DML_HARDWARE), 0);
		ASSERT_EQ(data_mover_dml_config_set_wait(c.get(), w), 0);
		mover_ptr d(data_mover_dml_new_config(c.get()));
		ASSERT_NE(d, nullptr);
		auto f = vdm_memcpy(data_mover_dml_get_vdm(d.get()), dst.p, src.p, 4096, 0);
		future_notifier n{};
		EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), &n), FUTURE_STATE_RUNNING);
		if (w == DATA_MOVER_DML_WAIT_YIELD) {
			EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_NONE);
		} else {
			// PAUSE, and AUTO on a CPU without WAITPKG: the poller watches
			// the record's first word, zero until the device writes it.
			EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_POLLER);
			ASSERT_NE(n.poller.ptr_to_monitor, nullptr);
			EXPECT_EQ(*n.poller.ptr_to_monitor, 0u);
			m.model.stall(false);
			std::uint64_t *word = n.poller.ptr_to_monitor;
			EXPECT_TRUE(pmem2::test::wait_for(
				[word] { return __atomic_load_n(word, __ATOMIC_ACQUIRE) != 0; }));
			m.model.stall(true);
		}
		m.model.stall(false);
		run(f);
		EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
		m.model.stall(true);
	}
	m.model.stall(false);
}
