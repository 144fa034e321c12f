// DSA work-queue discovery on fake sysfs trees: what scan() reads of each
// queue, which queues it leaves out, and why a queue is or is not usable.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include "dsa/work_queue.hpp"
#include "support/fake_dsa.hpp"

using pmem2::dsa::cpu_features;
using pmem2::dsa::take_usable;
using pmem2::dsa::scan;
using pmem2::dsa::unusable_reason;
using pmem2::dsa::wq_mode;
using pmem2::test::fake_dsa;
using pmem2::test::fake_wq;

namespace {
constexpr cpu_features both{true, true};
constexpr cpu_features neither{false, false};
} // namespace

TEST(WorkQueueScan, NoBusIsNoQueue)
{
	fake_dsa p;
	EXPECT_TRUE(scan(p.tree.root()).empty());
	std::string why;
	EXPECT_TRUE(take_usable({}, both, why).empty());
	EXPECT_EQ(why, "no DSA work queue (/sys/bus/dsa/devices lists none)");
}

TEST(WorkQueueScan, ReadsEveryAttribute)
{
	fake_dsa p;
	p.add_device(1, "dsa", "1\n");
	fake_wq w;
	w.mode = "shared";
	w.size = 16;
	w.max_transfer_size = 1ULL << 21;
	w.max_batch_size = 32;
	p.add_wq(1, 3, w);
	const auto qs = scan(p.tree.root());
	ASSERT_EQ(qs.size(), 1u);
	EXPECT_EQ(qs[0].name, "wq1.3");
	EXPECT_EQ(qs[0].device, "dsa1");
	EXPECT_EQ(qs[0].dev_path, p.tree.path("/dev/dsa/wq1.3"));
	EXPECT_EQ(qs[0].mode, wq_mode::shared);
	EXPECT_EQ(qs[0].type, "user");
	EXPECT_EQ(qs[0].state, "enabled");
	EXPECT_EQ(qs[0].size, 16u);
	EXPECT_EQ(qs[0].max_transfer_size, 1ULL << 21);
	EXPECT_EQ(qs[0].max_batch_size, 32u);
	EXPECT_EQ(qs[0].numa_node, 1);
}

TEST(WorkQueueScan, LeavesOutOtherDevicesAndOtherEntries)
{
	fake_dsa p;
	p.add_device(0);
	p.add_device(1, "iax");	// an IAA device shares the bus
	p.add_wq(0, 0);
	p.add_wq(1, 0);
	p.tree.mkdirs(fake_dsa::bus() + "engine0.0");
	p.tree.mkdirs(fake_dsa::bus() + "group0.0");
	p.tree.mkdirs(fake_dsa::bus() + "wq0.x");
	p.tree.mkdirs(fake_dsa::bus() + "wqfoo");
	const auto qs = scan(p.tree.root());
	ASSERT_EQ(qs.size(), 1u);
	EXPECT_EQ(qs[0].name, "wq0.0");
}

TEST(WorkQueueScan, SortedByNameAndMissingAttributesAreEmpty)
{
	fake_dsa p;
	p.add_device(0, "dsa", nullptr);	// no numa_node
	p.add_wq(0, 2);
	p.add_wq(0, 1);
	p.tree.mkdirs(fake_dsa::bus() + "wq0.0");	// no attributes at all
	const auto qs = scan(p.tree.root());
	ASSERT_EQ(qs.size(), 3u);
	EXPECT_EQ(qs[0].name, "wq0.0");
	EXPECT_EQ(qs[1].name, "wq0.1");
	EXPECT_EQ(qs[2].name, "wq0.2");
	EXPECT_EQ(qs[0].mode, wq_mode::unknown);
	EXPECT_EQ(qs[0].size, 0u);
	EXPECT_EQ(qs[0].state, "");
	EXPECT_EQ(qs[1].numa_node, -1);
}

TEST(WorkQueueUsable, EachReason)
{
	fake_dsa p;
	p.add_device(0);
	auto reason_for = [&](unsigned q, const fake_wq &w, const cpu_features &cpu) {
		p.add_wq(0, q, w);
		for (const auto &x : scan(p.tree.root()))
			if (x.name == "wq0." + std::to_string(q))
				return unusable_reason(x, cpu);
		return std::string("not scanned");
	};
	fake_wq w;
	EXPECT_EQ(reason_for(0, w, both), "");
	w.state = "disabled";
	EXPECT_EQ(reason_for(1, w, both), "wq0.1 is not enabled (state \"disabled\")");
	w = {};
	w.type = "kernel";
	EXPECT_EQ(reason_for(2, w, both), "wq0.2 is not a user queue (type \"kernel\")");
	w = {};
	w.size = 0;
	EXPECT_EQ(reason_for(3, w, both), "wq0.3 has no entries");
	w = {};
	w.mode = "bogus";
	EXPECT_EQ(reason_for(4, w, both), "wq0.4 has an unknown mode");
	w = {};
	EXPECT_EQ(reason_for(5, w, neither), "wq0.5 is dedicated and this CPU has no MOVDIR64B");
	w.mode = "shared";
	EXPECT_EQ(reason_for(6, w, neither), "wq0.6 is shared and this CPU has no ENQCMD");
	EXPECT_EQ(reason_for(7, w, cpu_features{false, true}), "");
	w = {};
	w.dev_node = false;
	EXPECT_EQ(reason_for(8, w, both),
		"wq0.8: " + p.tree.path("/dev/dsa/wq0.8") + ": No such file or directory");
}

TEST(WorkQueueUsable, ReadOnlyNodeIsRefused)
{
	if (geteuid() == 0)
		GTEST_SKIP() << "root may write a mode-0444 file: the check needs an unprivileged user";
	fake_dsa p;
	p.add_device(0);
	p.add_wq(0, 0);
	ASSERT_EQ(chmod(p.tree.path("/dev/dsa/wq0.0").c_str(), 0444), 0);
	const auto qs = scan(p.tree.root());
	EXPECT_NE(unusable_reason(qs.at(0), both).find("Permission denied"), std::string::npos);
}

TEST(WorkQueueUsable, TakeUsableSkipsAndExplains)
{
	fake_dsa p;
	p.add_device(0);
	fake_wq off;
	off.state = "disabled";
	p.add_wq(0, 0, off);
	fake_wq shared;
	shared.mode = "shared";
	p.add_wq(0, 1, shared);
	p.add_wq(0, 2);
	const auto qs = scan(p.tree.root());
	std::string why;
	auto q = take_usable(qs, cpu_features{true, false}, why);
	ASSERT_EQ(q.size(), 1u);
	EXPECT_EQ(q[0]->name, "wq0.2");
	q = take_usable(qs, neither, why);
	EXPECT_TRUE(q.empty());
	EXPECT_EQ(why, "wq0.0 is not enabled (state \"disabled\"); "
		"wq0.1 is shared and this CPU has no ENQCMD; "
		"wq0.2 is dedicated and this CPU has no MOVDIR64B");
}

TEST(WorkQueueUsable, TakeUsableTakesEveryAcceptedQueueUpToTheLimit)
{
	fake_dsa p;
	p.add_device(0);
	for (unsigned q = 0; q < 4; ++q)
		p.add_wq(0, q);
	const auto qs = scan(p.tree.root());
	std::string why;
	// take refuses wq0.1: the others are taken, the refusal explained.
	auto taken = take_usable(qs, both, why, [](const pmem2::dsa::work_queue &w, std::string &r) {
		if (w.name != "wq0.1")
			return true;
		r = "portal refused";
		return false;
	});
	ASSERT_EQ(taken.size(), 3u);
	EXPECT_EQ(taken[0]->name, "wq0.0");
	EXPECT_EQ(taken[2]->name, "wq0.3");
	EXPECT_EQ(why, "wq0.1: portal refused");
	taken = take_usable(qs, both, why, {}, 2);
	ASSERT_EQ(taken.size(), 2u);
	EXPECT_EQ(taken[1]->name, "wq0.1");
}

TEST(WorkQueueCpu, ThisCpuMatchesCpuid)
{
	// This machine's CPUs have neither instruction; on one that has them
	// the features must say so (checked against /proc/cpuinfo's flags).
	FILE *f = std::fopen("/proc/cpuinfo", "r");
	if (f == nullptr)
		GTEST_SKIP() << "no /proc/cpuinfo";
	char line[8192];
	bool movdir64b = false, enqcmd = false, waitpkg = false, found = false;
	while (std::fgets(line, sizeof(line), f)) {
		if (std::strncmp(line, "flags", 5) != 0)
			continue;
		found = true;
		movdir64b = std::strstr(line, " movdir64b") != nullptr;
		enqcmd = std::strstr(line, " enqcmd") != nullptr;
		waitpkg = std::strstr(line, " waitpkg") != nullptr;
		break;
	}
	std::fclose(f);
	if (!found)
		GTEST_SKIP() << "/proc/cpuinfo has no flags line";
	const auto cpu = pmem2::dsa::this_cpu();
	EXPECT_EQ(cpu.movdir64b, movdir64b);
	EXPECT_EQ(cpu.waitpkg, waitpkg);
	// The kernel lists enqcmd only when it supports it (PASID); CPUID may
	// report it regardless, so only "kernel says yes" is checked.
	if (enqcmd) {
		EXPECT_TRUE(cpu.enqcmd);
	}
}
