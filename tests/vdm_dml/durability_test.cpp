// "Complete means durable" for the DSA mover's work-queue path, checked with
// the persistence checker: the device model reports a descriptor's writes as
// durable only when the descriptor asked for destination readback to memory
// (DRDBK, no cache allocation) and only once the work is done, before the
// record; a CFLUSH writes its lines back. Every operation made with
// VDM_F_MEM_DURABLE has no byte outside the durable image when its future
// completes; one made without it has (so the check can fail).
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>

#include <cstring>
#include <memory>
#include <vector>

#include "check/checker.hpp"
#include "support/dsa_on_model.hpp"


namespace {

// The checker, told by the device what it made durable.
struct checked_device : pmem2::test::dsa_on_model {
	pmem2::check::checker chk;
	data_mover_dml *mover = nullptr;

	checked_device()
	{
		model.on_performed([this](const dsa_hw_desc &d, std::uint32_t done) {
			const auto *dst = reinterpret_cast<const char *>(static_cast<std::uintptr_t>(d.dst_addr));
			if (d.opcode == DSA_OPCODE_CFLUSH) {
				const auto first = reinterpret_cast<std::uintptr_t>(dst) & ~std::uintptr_t(63);
				for (auto l = first; l < reinterpret_cast<std::uintptr_t>(dst) + done; l += 64)
					chk.on_flush(reinterpret_cast<const void *>(l));
				chk.on_fence();
			} else if ((d.flags & IDXD_OP_FLAG_DRDBK) && !(d.flags & IDXD_OP_FLAG_CC) && done != 0) {
				chk.on_nt_store(dst, done);	// written to memory, read back
				chk.on_fence();
			}
		});
		mover = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	}
	~checked_device() { data_mover_dml_delete(mover); }
};

void wait(vdm_operation_future &f)
{
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
}

} // namespace

TEST(DmlDurability, EveryDurableOperationIsDurableAtCompletion)
{
	checked_device dev;
	ASSERT_NE(dev.mover, nullptr) << data_mover_dml_errormsg();
	vdm *v = data_mover_dml_get_vdm(dev.mover);
	alignas(4096) static char region[4 * 4096];
	std::vector<char> src(sizeof(region));
	for (std::size_t i = 0; i < src.size(); ++i)
		src[i] = static_cast<char>(i * 5 + 3);
	dev.chk.track(region, sizeof(region), pmem2::memops::granularity::cache_line);
	for (std::uint64_t flags : {std::uint64_t(VDM_F_MEM_DURABLE),
		     std::uint64_t(VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT)}) {
		SCOPED_TRACE(flags);
		auto c = vdm_memcpy(v, region + 5, src.data(), 9000, flags);
		wait(c);
		EXPECT_EQ(dev.chk.verify(region + 5, 9000, "vdm_memcpy"), "");
		auto m = vdm_memmove(v, region + 10000, src.data() + 7, 3000, flags);
		wait(m);
		EXPECT_EQ(dev.chk.verify(region + 10000, 3000, "vdm_memmove"), "");
		auto s = vdm_memset(v, region + 13001, 0x42, 2500, flags);
		wait(s);
		EXPECT_EQ(dev.chk.verify(region + 13001, 2500, "vdm_memset"), "");
	}
	dev.chk.untrack_all();
}

TEST(DmlDurability, AFlushMakesEarlierCachedWritesDurable)
{
	checked_device dev;
	ASSERT_NE(dev.mover, nullptr);
	vdm *v = data_mover_dml_get_vdm(dev.mover);
	alignas(4096) static char region[4096];
	std::vector<char> src(sizeof(region), 9);
	dev.chk.track(region, sizeof(region), pmem2::memops::granularity::cache_line);
	auto c = vdm_memcpy(v, region, src.data(), 1000, 0);	// cached: not durable
	wait(c);
	EXPECT_NE(dev.chk.verify(region, 1000, "vdm_memcpy"), "");
	auto f = vdm_flush(v, region, 1000, 0);
	wait(f);
	EXPECT_EQ(dev.chk.verify(region, 1000, "vdm_flush"), "");
	dev.chk.untrack_all();
}
