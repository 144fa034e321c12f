// Waiting for the device between checks: every policy returns after a short
// wait, and a job waited on with each ends with its bytes, whether the
// device is quick, slow, or holds the descriptor for a while. UMWAIT runs
// only on a CPU with WAITPKG (the test says so where it is skipped).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dsa/job.hpp"
#include "dsa/wait.hpp"
#include "support/dsa_model.hpp"

using pmem2::dsa::completion;
using pmem2::dsa::job;
using pmem2::dsa::job_state;
using pmem2::dsa::wait_policy;
using pmem2::test::dsa_model;

namespace {

std::vector<wait_policy> policies_here()
{
	std::vector<wait_policy> p{wait_policy::pause, wait_policy::yield};
	if (pmem2::dsa::this_cpu().waitpkg)
		p.push_back(wait_policy::umwait);
	return p;
}

} // namespace

TEST(DsaWait, EveryPolicyReturnsWithNothingWritten)
{
	completion never{};
	for (wait_policy p : policies_here()) {
		const auto t = std::chrono::steady_clock::now();
		for (int i = 0; i < 100; ++i) {
			pmem2::dsa::wait_a_little(p, &never);
			pmem2::dsa::wait_a_little(p, nullptr);
		}
		EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(5));
	}
	// UMWAIT without a record to watch pauses: safe on any CPU.
	pmem2::dsa::wait_a_little(wait_policy::umwait, nullptr);
}

TEST(DsaWait, UmwaitOnARecord)
{
	if (!pmem2::dsa::this_cpu().waitpkg)
		GTEST_SKIP() << "skipped: this CPU has no WAITPKG (UMONITOR/UMWAIT); "
				"the UMWAIT wait runs only on one that has it";
	completion c{};
	std::thread writer([&] {
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
		__atomic_store_n(&c.rec.status, 1, __ATOMIC_RELEASE);
	});
	const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	while (__atomic_load_n(&c.rec.status, __ATOMIC_ACQUIRE) == 0 && std::chrono::steady_clock::now() < limit)
		pmem2::dsa::wait_a_little(wait_policy::umwait, &c);
	writer.join();
	EXPECT_EQ(c.rec.status, 1);
}

TEST(DsaWait, AJobWaitedOnEndsWithItsBytes)
{
	for (bool slow : {false, true}) {
		dsa_model::options o;
		if (slow)
			o.per_kib = std::chrono::microseconds(5);
		dsa_model m(o);
		pmem2::dsa::queue_link q;
		q.port = &m;
		q.size = o.size;
		for (wait_policy p : policies_here()) {
			std::vector<char> src(40000, 'a' + char(p)), dst(40000);
			vdm_operation op{};
			op.type = VDM_OPERATION_MEMCPY;
			op.data.memcpy = {dst.data(), src.data(), src.size(), 0};
			m.stall(true);
			job j(op, q);
			std::thread release([&] {
				std::this_thread::sleep_for(std::chrono::milliseconds(1));
				m.stall(false);
			});
			EXPECT_EQ(j.wait(p), job_state::done);
			release.join();
			EXPECT_EQ(dst, src);
		}
	}
}
