// The DSA mover's work-queue path end to end on the shared libraries, with
// the software model of the device behind the portal seam: HARDWARE and
// AUTO choose the queue, every operation and flag goes through descriptors
// (durable ones with readback and no cache allocation), page faults are
// resumed, a failing status reaches the future, a dedicated queue never
// drops an operation, and many threads share one shared queue.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "support/dsa_on_model.hpp"

using pmem2::test::dsa_model;
using pmem2::test::fake_wq;

namespace {
using on_model = pmem2::test::dsa_on_model;
using pages = pmem2::test::anon_pages;
} // namespace

TEST(DmlHardwarePath, HardwareAndAutoChooseTheQueue)
{
	on_model m;
	for (auto type : {DATA_MOVER_DML_HARDWARE, DATA_MOVER_DML_AUTO}) {
		data_mover_dml *d = data_mover_dml_new(type);
		ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
		EXPECT_EQ(data_mover_dml_get_path(d), DATA_MOVER_DML_HARDWARE);
		EXPECT_EQ(data_mover_dml_get_vdm(d)->capabilities, VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT);
		data_mover_dml_delete(d);
	}
	data_mover_dml *s = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	EXPECT_EQ(data_mover_dml_get_path(s), DATA_MOVER_DML_SOFTWARE);
	data_mover_dml_delete(s);
}

TEST(DmlHardwarePath, EveryOperationWithEveryFlag)
{
	on_model m;
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
	vdm *v = data_mover_dml_get_vdm(d);
	runtime *r = runtime_new();
	const std::uint64_t flag_sets[] = {0, VDM_F_MEM_DURABLE, VDM_F_NO_CACHE_HINT,
		VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT};
	pages src(8192), dst(8192);
	for (std::size_t i = 0; i < src.len; ++i)
		src.p[i] = static_cast<char>(i * 3 + 1);
	for (std::uint64_t flags : flag_sets) {
		SCOPED_TRACE(flags);
		std::memset(dst.p, 0, dst.len);
		const std::size_t before = m.model.seen().size();
		auto c = vdm_memcpy(v, dst.p + 7, src.p + 1, 5000, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
		EXPECT_EQ(c.output.result, VDM_SUCCESS);
		EXPECT_EQ(c.output.output.memcpy.dest, dst.p + 7);
		EXPECT_EQ(std::memcmp(dst.p + 7, src.p + 1, 5000), 0);
		EXPECT_EQ(dst.p[6], 0);
		auto mv = vdm_memmove(v, dst.p, src.p, 4096, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&mv));
		EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
		auto s = vdm_memset(v, dst.p + 3, 0x6e, 3000, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&s));
		for (int i = 3; i < 3003; ++i)
			ASSERT_EQ(dst.p[i], 0x6e) << i;
		EXPECT_NE(dst.p[3003], 0x6e);
		auto fl = vdm_flush(v, dst.p, 4096, flags);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&fl));
		EXPECT_EQ(fl.output.result, VDM_SUCCESS);
		const auto seen = m.model.seen();
		ASSERT_EQ(seen.size(), before + 4);
		for (std::size_t i = before; i < before + 3; ++i) {
			const bool durable = flags & VDM_F_MEM_DURABLE;
			EXPECT_EQ((seen[i].flags & IDXD_OP_FLAG_DRDBK) != 0, durable);
			EXPECT_EQ((seen[i].flags & IDXD_OP_FLAG_CC) != 0,
				!durable && !(flags & VDM_F_NO_CACHE_HINT));
		}
		EXPECT_EQ(seen[before + 3].opcode, DSA_OPCODE_CFLUSH);
	}
	runtime_delete(r);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, OperationsStayPendingUntilTheRecordIsWritten)
{
	on_model m;
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	pages src(4096, 5), dst(4096);
	m.model.stall(true);
	auto c = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, 4096, VDM_F_MEM_DURABLE);
	for (int i = 0; i < 100; ++i)
		EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&c), nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(dst.p[0], 0);
	m.model.stall(false);
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
	runtime_delete(r);
	EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, PageFaultsAreResumed)
{
	on_model m;
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	pages src(4096 * 4, 9), dst(4096 * 4);
	m.model.fault_at(dst.p + 4096 * 2);
	auto c = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, src.len, 0);
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
	runtime_delete(r);
	EXPECT_EQ(c.output.result, VDM_SUCCESS);
	EXPECT_EQ(std::memcmp(dst.p, src.p, src.len), 0);
	EXPECT_EQ(m.model.seen().size(), 2u);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, AFailingStatusReachesTheFuture)
{
	on_model m;
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	pages src(4096, 5), dst(4096);
	m.model.fail_next(DSA_COMP_HW_ERR1);
	auto c = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, 4096, 0);
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
	EXPECT_EQ(c.output.result, VDM_ERROR_JOB_CORRUPTED);
	EXPECT_EQ(c.output.type, VDM_OPERATION_MEMCPY);
	EXPECT_EQ(data_mover_dml_status(&c), unsigned(DSA_COMP_HW_ERR1));
	// The mover goes on working after a failure.
	auto ok = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, 4096, 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&ok));
	EXPECT_EQ(ok.output.result, VDM_SUCCESS);
	EXPECT_EQ(data_mover_dml_status(&ok), 0u);
	// Each failing status the device reports is the one the future keeps.
	for (std::uint8_t st : {std::uint8_t(DSA_COMP_XFER_ERANGE), std::uint8_t(DSA_COMP_ADDR_ALIGN),
		     std::uint8_t(DSA_COMP_TRANSLATION_FAIL)}) {
		m.model.fail_next(st);
		auto e = vdm_memset(data_mover_dml_get_vdm(d), dst.p, 1, 4096, 0);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&e));
		EXPECT_EQ(e.output.result, VDM_ERROR_JOB_CORRUPTED);
		EXPECT_EQ(data_mover_dml_status(&e), unsigned(st));
	}
	EXPECT_EQ(data_mover_dml_status(nullptr), 0u);
	runtime_delete(r);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, ADedicatedQueueNeverDropsAnOperation)
{
	fake_wq w;
	w.size = 2;
	on_model m(w);
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	constexpr int n = 32;
	pages src(4096 * n, 4), dst(4096 * n);
	std::vector<vdm_operation_future> fs;
	for (int i = 0; i < n; ++i)
		fs.push_back(vdm_memcpy(data_mover_dml_get_vdm(d), dst.p + 4096 * i, src.p + 4096 * i, 4096, 0));
	std::vector<future *> all;
	for (auto &f : fs)
		all.push_back(FUTURE_AS_RUNNABLE(&f));
	runtime *r = runtime_new();
	runtime_wait_multiple(r, all.data(), all.size());
	runtime_delete(r);
	EXPECT_EQ(m.model.dropped(), 0u);
	EXPECT_LE(m.model.max_depth(), 2u);
	EXPECT_EQ(std::memcmp(dst.p, src.p, dst.len), 0);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, ManyThreadsOnOneSharedQueue)
{
	fake_wq w;
	w.mode = "shared";
	w.size = 4;
	on_model m(w);
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	constexpr int threads = 4, per_thread = 200;
	pages src(4096, 8), dst(4096 * threads);
	std::atomic<int> bad{0};
	std::vector<std::thread> t;
	for (int i = 0; i < threads; ++i)
		t.emplace_back([&, i] {
			runtime *r = runtime_new();
			for (int k = 0; k < per_thread; ++k) {
				auto f = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p + 4096 * i, src.p, 4096,
					VDM_F_MEM_DURABLE);
				runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
				if (f.output.result != VDM_SUCCESS)
					++bad;
			}
			runtime_delete(r);
		});
	for (auto &th : t)
		th.join();
	EXPECT_EQ(bad.load(), 0);
	EXPECT_EQ(m.model.accepted(), unsigned(threads * per_thread));
	for (int i = 0; i < threads; ++i)
		EXPECT_EQ(std::memcmp(dst.p + 4096 * i, src.p, 4096), 0);
	data_mover_dml_delete(d);
}

TEST(DmlHardwarePath, AutoKeepsSmallOperationsOnTheCpu)
{
	on_model m;
	pages src(1 << 16, 3), dst(1 << 16);
	runtime *r = runtime_new();
	// Sends a copy of n bytes on a new AUTO mover; true if the device got it.
	auto on_device = [&](std::size_t n) {
		data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_AUTO);
		EXPECT_NE(d, nullptr);
		EXPECT_EQ(data_mover_dml_get_path(d), DATA_MOVER_DML_HARDWARE);
		const std::size_t before = m.model.seen().size();
		std::memset(dst.p, 0, n);
		auto f = vdm_memcpy(data_mover_dml_get_vdm(d), dst.p, src.p, n, VDM_F_MEM_DURABLE);
		runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
		EXPECT_EQ(f.output.result, VDM_SUCCESS);
		EXPECT_EQ(std::memcmp(dst.p, src.p, n), 0);
		data_mover_dml_delete(d);
		return m.model.seen().size() > before;
	};
	unsetenv("PMEM2_DSA_CPU_THRESHOLD");
	EXPECT_FALSE(on_device(4096));
	EXPECT_FALSE(on_device(32 * 1024 - 1));
	EXPECT_TRUE(on_device(32 * 1024));
	setenv("PMEM2_DSA_CPU_THRESHOLD", "0", 1);
	EXPECT_TRUE(on_device(64));
	setenv("PMEM2_DSA_CPU_THRESHOLD", "0x2000", 1);
	EXPECT_FALSE(on_device(4096));
	EXPECT_TRUE(on_device(8192));
	setenv("PMEM2_DSA_CPU_THRESHOLD", "lots", 1);	// not a number: the default
	EXPECT_FALSE(on_device(16384));
	unsetenv("PMEM2_DSA_CPU_THRESHOLD");
	// HARDWARE sends everything, whatever the variable says.
	setenv("PMEM2_DSA_CPU_THRESHOLD", "1000000", 1);
	data_mover_dml *h = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	const std::size_t before = m.model.seen().size();
	auto f = vdm_memcpy(data_mover_dml_get_vdm(h), dst.p, src.p, 64, 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	EXPECT_EQ(m.model.seen().size(), before + 1);
	data_mover_dml_delete(h);
	unsetenv("PMEM2_DSA_CPU_THRESHOLD");
	runtime_delete(r);
}
