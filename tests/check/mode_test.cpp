// libpmem2's check mode (PMEM2_CHECK=1, docs/CHECK.md) on the shared
// libraries, as `pmem2 check` runs a user's program: every granularity x
// mover x operation completes durable with no finding, while a store left
// unpersisted in the same map is found (so each cell proves the mode is
// on); futures never run are reported at delete, futures taken into a batch
// are not. The mode is decided at the first pmem2_map_new, so this binary
// sets it in the environment before main and every test shares one report
// file, emptied before each test.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>
#include <libminiasync.h>
#include <libpmem2/batch.h>
#include <libpmem2/operations.h>
#include <libpmem2/persist_async.h>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "support/dsa_on_model.hpp"
#include "support/futures.hpp"
#include "support/mapped_file.hpp"
#include "support/scratch.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::test::mapped_file;

const std::string &report_path()
{
	static const std::string p =
		pmem2::test::scratch_dir() + "/check-mode-" + std::to_string(::getpid()) + ".report";
	return p;
}

// Check mode on before anything maps; the report removed at exit.
struct check_mode_env {
	check_mode_env()
	{
		setenv("PMEM2_CHECK", "1", 1);
		setenv("PMEM2_CHECK_REPORT", report_path().c_str(), 1);
		unsetenv("PMEM2_CHECK_IGNORE");
		unsetenv("PMEM2_CHECK_CRASH_DIR");
	}
	~check_mode_env() { std::remove(report_path().c_str()); }
} const g_env;

// One finding as the report has it, without the path (the scratch file's).
struct seen {
	std::string kind, call;
	std::uint64_t offset, length;
	bool operator==(const seen &) const = default;
};

std::ostream &operator<<(std::ostream &o, const seen &s)
{
	return o << s.kind << " " << s.call << " +" << s.offset << " " << s.length;
}

std::vector<seen> findings()
{
	std::vector<seen> out;
	std::ifstream in(report_path());
	for (std::string line; std::getline(in, line);) {
		std::istringstream w(line);
		std::vector<std::string> f;
		for (std::string x; w >> x;)
			f.push_back(x);
		if (f.size() == 4)
			out.push_back({f[0], "", std::stoull(f[2]), std::stoull(f[3])});
		else if (f.size() == 5)
			out.push_back({f[0], f[1], std::stoull(f[3]), std::stoull(f[4])});
		else
			ADD_FAILURE() << "not a finding: " << line;
	}
	return out;
}

void clear_report()
{
	std::ofstream(report_path(), std::ios::trunc);
}

// A mover of the program's own: copies and fills synchronously in
// op_start, persists nothing (libpmem2 adds its persist step).
void *own_new(struct vdm *, const enum vdm_operation_type)
{
	static char token;
	return &token;
}
int own_start(void *, const struct vdm_operation *op, struct future_notifier *n)
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (op->type == VDM_OPERATION_MEMSET)
		std::memset(op->data.memset.str, op->data.memset.c, op->data.memset.n);
	else if (op->type != VDM_OPERATION_FLUSH)
		std::memmove(op->data.memcpy.dest, op->data.memcpy.src, op->data.memcpy.n);
	return 0;
}
enum future_state own_check(void *, const struct vdm_operation *)
{
	return FUTURE_STATE_COMPLETE;
}
void own_delete(void *, const struct vdm_operation *op, struct vdm_operation_output *out)
{
	out->type = op->type;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
}
struct vdm own_vdm = {own_new, own_delete, own_start, own_check, 0, nullptr};

enum class mv { dflt, sync, threads, dsa_device, dsa_cpu, own };
enum class op { memcpy, memmove, memset, persist, batch, memset8, dualcast, copy_crc32c };

const char *mover_name(mv m)
{
	static const char *const n[] = {"default", "sync", "threads", "dsa_device", "dsa_cpu", "own"};
	return n[int(m)];
}
const char *op_name(op o)
{
	static const char *const n[] = {"memcpy", "memmove", "memset", "persist", "batch", "memset8",
		"dualcast", "copy_crc32c"};
	return n[int(o)];
}

// The mover of a cell, alive for the test.
struct cell_mover {
	std::unique_ptr<pmem2::test::dsa_on_model> dev;
	data_mover_sync *dms = nullptr;
	data_mover_threads *dmt = nullptr;
	data_mover_dml *dml = nullptr;
	explicit cell_mover(mv m)
	{
		switch (m) {
		case mv::dflt: case mv::own: break;
		case mv::sync: dms = data_mover_sync_new(); break;
		case mv::threads: dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_NONE); break;
		case mv::dsa_device:
			dev = std::make_unique<pmem2::test::dsa_on_model>();
			dml = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
			break;
		case mv::dsa_cpu: dml = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE); break;
		}
		kind = m;
	}
	~cell_mover()
	{
		if (dms)
			data_mover_sync_delete(dms);
		if (dmt)
			data_mover_threads_delete(dmt);
		if (dml)
			data_mover_dml_delete(dml);
	}
	struct vdm *vdm() const
	{
		if (dms)
			return data_mover_sync_get_vdm(dms);
		if (dmt)
			return data_mover_threads_get_vdm(dmt);
		if (dml)
			return data_mover_dml_get_vdm(dml);
		return kind == mv::own ? &own_vdm : nullptr;
	}
	mv kind;
};

constexpr std::size_t map_size = 1 << 20;

// One operation of kind `o` on [dest, +len) of the map (a dualcast also
// writes the same length at dest2), waited for; its result.
int run(op o, pmem2_map *map, char *dest, char *dest2, const char *src, std::size_t len)
{
	pmem2_future f;
	std::uint32_t crc = 0;
	pmem2_batch *b = nullptr;
	switch (o) {
	case op::memcpy: f = pmem2_memcpy_async(map, dest, src, len, 0); break;
	case op::memmove: f = pmem2_memmove_async(map, dest, dest2, len, PMEM2_F_MEM_NONTEMPORAL); break;
	case op::memset: f = pmem2_memset_async(map, dest, 0x6b, len, 0); break;
	case op::persist:
		std::memcpy(dest, src, len);	// plain stores, then made durable
		f = pmem2_persist_async(map, dest, len);
		break;
	case op::batch: {
		const int c = pmem2_batch_new(&b, map, 4);
		if (c != 0)
			return c;
		EXPECT_EQ(pmem2_batch_memcpy(b, dest, src, len / 2, 0), 0);
		EXPECT_EQ(pmem2_batch_memset(b, dest + len / 2, 0x17, len - len / 2, 0), 0);
		std::memcpy(dest2, src, len);
		EXPECT_EQ(pmem2_batch_persist(b, dest2, len), 0);
		f = pmem2_batch_async(b);
		break;
	}
	case op::memset8: f = pmem2_memset8_async(map, dest, 0x0123456789abcdefULL, len, 0); break;
	case op::dualcast: f = pmem2_dualcast_async(map, dest, dest2, src, len, 0); break;
	case op::copy_crc32c: f = pmem2_copy_crc32c_async(map, dest, src, len, 0, &crc, 0); break;
	}
	const int r = pmem2::test::wait_future(f);
	pmem2_batch_delete(&b);
	return r;
}

// Whether a mover of kind m runs operation o (a mover of the program's own
// runs the three copies and persist only).
bool runs(mv m, op o)
{
	return m != mv::own || o <= op::persist;
}

using cell = std::tuple<pmem2_granularity, mv, op>;
class CheckModeMatrix : public ::testing::TestWithParam<cell> {};

TEST_P(CheckModeMatrix, DurableAtCompletionWithNoFindingAndAStrayStoreFound)
{
	auto [g, m, o] = GetParam();
	cell_mover mover(m);
	if (m == mv::dsa_device || m == mv::dsa_cpu)
		ASSERT_NE(mover.dml, nullptr) << data_mover_dml_errormsg();
	clear_report();
	std::size_t stray = 0;
	{
		mapped_file mf(map_size, g, mover.vdm(), "/dev/shm");
		ASSERT_NE(mf.map, nullptr) << mf.err;
		ASSERT_EQ(pmem2_map_get_store_granularity(mf.map), g);
		std::mt19937 rng(unsigned(g) * 100 + unsigned(m) * 10 + unsigned(o));
		std::vector<char> src(300000);
		for (char &c : src)
			c = char(rng());
		for (std::size_t len : {std::size_t(8), std::size_t(64), std::size_t(4096 + 24),
			     std::size_t(40000), std::size_t(200000)}) {
			SCOPED_TRACE(len);
			// 8-byte aligned (memset8), in the first half; the second
			// range (dualcast, memmove's source, batch persist) in the
			// second half.
			const std::size_t off = (rng() % (map_size / 2 - len)) & ~std::size_t(7);
			const std::size_t off2 = map_size / 2 + (rng() % (map_size / 2 - len));
			const int r = run(o, mf.map, mf.base + off, mf.base + off2, src.data(), len);
			ASSERT_EQ(r, runs(m, o) ? 0 : PMEM2_E_NOSUPP) << pmem2_errormsg();
		}
		EXPECT_EQ(findings(), std::vector<seen>{});
		// The control: a store the program never persists.
		stray = map_size - 100 - rng() % 1000;
		mf.base[stray] = char(~mf.base[stray]);
		ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	}
	if (g == PMEM2_GRANULARITY_BYTE)
		EXPECT_EQ(findings(), std::vector<seen>{});	// durable at once
	else
		EXPECT_EQ(findings(), (std::vector<seen>{{"never-durable", "", stray, 1}}));
}

std::string cell_name(const ::testing::TestParamInfo<cell> &info)
{
	auto [g, m, o] = info.param;
	return std::string(pmem2::test::granularity_name(g)) + "_" + mover_name(m) + "_" + op_name(o);
}

INSTANTIATE_TEST_SUITE_P(All, CheckModeMatrix,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(mv::dflt, mv::sync, mv::threads, mv::dsa_device, mv::dsa_cpu, mv::own),
		::testing::Values(op::memcpy, op::memmove, op::memset, op::persist, op::batch, op::memset8,
			op::dualcast, op::copy_crc32c)),
	cell_name);

class CheckModeAwaited : public ::testing::TestWithParam<mv> {};

// A future made and never run is a finding of its map's delete, on every
// mover; one taken into a batch is not (the batch's future runs it).
TEST_P(CheckModeAwaited, AFutureNeverRunIsReportedAtDeleteAndOneTakenIntoABatchIsNot)
{
	cell_mover mover(GetParam());
	clear_report();
	char src[300] = {};
	{
		mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, mover.vdm(), "/dev/shm");
		ASSERT_NE(mf.map, nullptr) << mf.err;
		pmem2_future never = pmem2_memcpy_async(mf.map, mf.base + 4096, src, sizeof(src), 0);
		(void)never;
		pmem2_future fill = pmem2_memset_async(mf.map, mf.base + 8192, 1, 100, 0);
		pmem2_future done = pmem2_memset_async(mf.map, mf.base + 12288, 2, 100, 0);
		ASSERT_EQ(pmem2::test::wait_future(done), 0);
		if (GetParam() != mv::own) {
			pmem2_batch *b = nullptr;
			ASSERT_EQ(pmem2_batch_new(&b, mf.map, 1), 0);
			ASSERT_EQ(pmem2_batch_add_future(b, &fill), 0);
			pmem2_future bf = pmem2_batch_async(b);
			ASSERT_EQ(pmem2::test::wait_future(bf), 0);
			pmem2_batch_delete(&b);
		} else {
			ASSERT_EQ(pmem2::test::wait_future(fill), 0);
		}
		EXPECT_EQ(findings(), std::vector<seen>{});
		ASSERT_EQ(pmem2_map_delete(&mf.map), 0);
	}
	EXPECT_EQ(findings(),
		(std::vector<seen>{{"incomplete-future", "pmem2_memcpy_async", 4096, sizeof(src)}}));
}

INSTANTIATE_TEST_SUITE_P(All, CheckModeAwaited,
	::testing::Values(mv::dflt, mv::sync, mv::threads, mv::dsa_device, mv::dsa_cpu, mv::own),
	[](const auto &info) { return std::string(mover_name(info.param)); });

} // namespace
