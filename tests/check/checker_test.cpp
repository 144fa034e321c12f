// The persistence checker itself (it must catch what was not made durable,
// naming the bytes and the call), the promise "complete means durable" for
// every granularity, mover and operation, and a small durable log written
// with the async API that must recover, from the durable image taken at
// random moments ("power fails now") while workers are writing, to a prefix
// holding every acknowledged entry, intact.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/futures.hpp"
#include "support/mapped_file.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stress.hpp"
#include "support/wait.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <tuple>

#include <unistd.h>

#include "check/checker.hpp"
#include "check/shadow.hpp"
#include "miniasync/internal.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using namespace pmem2::test;
namespace check = pmem2::check;

constexpr std::size_t map_size = 1 << 20;

class Checker : public ::testing::Test {
protected:
	void SetUp() override { chk = &check::install(); }
	void TearDown() override
	{
		chk->untrack_all();
		check::uninstall();
	}
	check::checker *chk = nullptr;
};

// Two threads taking turns at numbered steps: one announces a step, the
// other awaits it, bounded, so a missed step fails instead of hanging.
// The threads are std::jthread, so a failed assertion that leaves the test
// early still joins them (their own awaits are bounded too).
class turns {
public:
	void reach(int n) { step_.store(n); }
	[[nodiscard]] bool await(int n)
	{
		return wait_for([&] { return step_.load() == n; });
	}

private:
	std::atomic<int> step_{0};
};

TEST_F(Checker, ReportsExactlyTheBytesAStoreWithoutFlushLeftVolatile)
{
	mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	ASSERT_EQ(pmem2_map_get_store_granularity(mf.map), PMEM2_GRANULARITY_CACHE_LINE);
	chk->track(mf.map);
	std::vector<char> src(300, 'z');
	// NOFLUSH: stored (temporal), neither flushed nor fenced.
	pmem2_get_memcpy_fn(mf.map)(mf.base + 100, src.data(), src.size(),
		PMEM2_F_MEM_NOFLUSH | PMEM2_F_MEM_TEMPORAL);
	std::string r = chk->verify(mf.base + 100, src.size(), "pmem2_memcpy_fn(NOFLUSH)");
	EXPECT_NE(r.find("pmem2_memcpy_fn(NOFLUSH): 300 of 300 bytes not durable"), std::string::npos) << r;
	EXPECT_NE(r.find("[+0, +300)"), std::string::npos) << r;
	// Flushed but not yet fenced: still volatile.
	pmem2_get_flush_fn(mf.map)(mf.base + 100, src.size());
	EXPECT_NE(chk->verify(mf.base + 100, src.size(), "flush"), "");
	pmem2_get_drain_fn(mf.map)();
	EXPECT_EQ(chk->verify(mf.base + 100, src.size(), "flush+drain"), "");
	// A store after the flush and before the fence is not durable: only
	// those bytes are reported.
	pmem2_get_flush_fn(mf.map)(mf.base + 100, src.size());
	mf.base[200] = 'A';
	mf.base[201] = 'B';
	pmem2_get_drain_fn(mf.map)();
	r = chk->verify(mf.base + 100, src.size(), "late store");
	EXPECT_NE(r.find("late store: 2 of 300 bytes not durable (first +100, last +101"), std::string::npos) << r;
	// The image at this moment lacks them; after a persist it has them.
	std::vector<unsigned char> img = chk->image(mf.base);
	ASSERT_EQ(img.size(), pmem2_map_get_size(mf.map));
	EXPECT_EQ(img[200], 'z');
	pmem2_get_persist_fn(mf.map)(mf.base + 200, 2);
	EXPECT_EQ(chk->image(mf.base)[200], 'A');
	EXPECT_EQ(chk->verify(mf.base + 100, src.size(), "persist"), "");
}

// Two threads flush the same line; the later flush is fenced first. The
// earlier flush's fence then commits an older copy of the line: it must not
// roll back the bytes the later one made durable.
TEST_F(Checker, AnOlderFlushFencedLaterDoesNotRollBackNewerDurableBytes)
{
	alignas(64) static unsigned char buf[4096];
	std::memset(buf, 0, sizeof(buf));
	chk->track(buf, sizeof(buf), pmem2::memops::granularity::cache_line);
	turns t;
	std::jthread a([&] {
		buf[0] = 1;
		buf[1] = 7;	// only in this flush's copy
		chk->on_flush(buf);
		t.reach(1);
		if (t.await(2))
			chk->on_fence();
		t.reach(3);
	});
	ASSERT_TRUE(t.await(1));
	buf[0] = 2;
	buf[1] = 0;
	chk->on_flush(buf);	// a newer copy of the line: byte 0 is 2, byte 1 is 0
	chk->on_fence();
	EXPECT_EQ(chk->image(buf)[0], 2);
	t.reach(2);
	ASSERT_TRUE(t.await(3));
	a.join();
	const auto img = chk->image(buf);
	EXPECT_EQ(img[0], 2) << "the older flush rolled back a newer durable byte";
	EXPECT_EQ(img[1], 0);	// the later copy of the whole line holds 0 there
	chk->untrack(buf);
}

// Versions are kept per line (shadow.hpp); a streaming store's tail commits
// part of a line, whose bytes then need versions of their own. Thread a
// flushes the whole line (1s) first; the main thread then streams 2s into
// its first half and fences; then a's fence commits its older copy: the
// first half must keep the 2s, and the second half, never committed since
// the line was tracked, must take a's 1s.
TEST_F(Checker, AnOlderFlushFencedAfterAPartialLineCommitWritesOnlyTheOlderBytes)
{
	alignas(64) static unsigned char buf[4096];
	std::memset(buf, 0, sizeof(buf));
	chk->track(buf, sizeof(buf), pmem2::memops::granularity::cache_line);
	turns t;
	std::jthread a([&] {
		std::memset(buf, 1, 64);
		chk->on_flush(buf);
		t.reach(1);
		if (t.await(2))
			chk->on_fence();
		t.reach(3);
	});
	ASSERT_TRUE(t.await(1));
	std::memset(buf, 2, 32);
	chk->on_nt_store(buf, 32);
	chk->on_fence();
	auto img = chk->image(buf);
	EXPECT_EQ(img[0], 2);
	EXPECT_EQ(img[32], 0);
	t.reach(2);
	ASSERT_TRUE(t.await(3));
	a.join();
	img = chk->image(buf);
	for (std::size_t i = 0; i < 32; ++i)
		ASSERT_EQ(img[i], 2) << "byte " << i << ": the older flush rolled back a newer streamed byte";
	for (std::size_t i = 32; i < 64; ++i)
		ASSERT_EQ(img[i], 1) << "byte " << i << ": the older flush was lost next to a partial commit";
	EXPECT_EQ(img[64], 0);
	chk->untrack(buf);
}

// The rule of shadow.hpp on its own, with chosen event numbers.
TEST(Shadow, PartialLineCommitsKeepPerByteVersionsUntilANewerWholeLine)
{
	alignas(64) static unsigned char mem[256];
	std::memset(mem, 0, sizeof(mem));
	const auto base = reinterpret_cast<std::uintptr_t>(mem);
	check::shadow sh(base, sizeof(mem), mem);
	std::array<unsigned char, 256> src;
	auto fill = [&](unsigned char c) { src.fill(c); return src.data(); };

	// A newer partial commit (event 5) into line 0, then an older whole
	// line (event 3): only the bytes the partial one left are written.
	sh.commit(base + 16, 8, fill(5), 5);
	EXPECT_EQ(sh.mixed_lines(), 1u);
	sh.commit(base, 64, fill(3), 3);
	for (std::size_t i = 0; i < 64; ++i)
		ASSERT_EQ(sh.bytes()[i], i >= 16 && i < 24 ? 5 : 3) << i;
	// An even older whole line (event 2) writes nothing.
	sh.commit(base, 64, fill(2), 2);
	for (std::size_t i = 0; i < 64; ++i)
		ASSERT_EQ(sh.bytes()[i], i >= 16 && i < 24 ? 5 : 3) << i;
	// A whole line newer than every byte (event 7) writes all of it and
	// makes it uniform again; then event 6 writes nothing of it.
	sh.commit(base, 64, fill(7), 7);
	EXPECT_EQ(sh.mixed_lines(), 0u);
	sh.commit(base, 64, fill(6), 6);
	for (std::size_t i = 0; i < 64; ++i)
		ASSERT_EQ(sh.bytes()[i], 7) << i;
	// An older partial commit into a newer uniform line writes nothing
	// and leaves it uniform.
	sh.commit(base + 8, 4, fill(4), 4);
	EXPECT_EQ(sh.bytes()[8], 7);
	EXPECT_EQ(sh.mixed_lines(), 0u);

	// A range over several lines with partial ends (event 10), then an
	// older one over all of them (event 9): the inner whole lines and the
	// committed bytes of the ends keep 10, the rest of the ends take 9.
	sh.commit(base + 64 + 40, 150, fill(10), 10);
	EXPECT_EQ(sh.mixed_lines(), 2u);
	sh.commit(base + 64, 192, fill(9), 9);
	for (std::size_t i = 64; i < 256; ++i)
		ASSERT_EQ(sh.bytes()[i], i >= 104 && i < 254 ? 10 : 9) << i;
}

// A range not aligned to lines: its first and last lines hold fewer than 64
// of its bytes, and a commit of all of those is a whole line.
TEST(Shadow, TheEdgeLinesOfAnUnalignedRangeAreWholeWhenAllTheirBytesAreCommitted)
{
	alignas(64) static unsigned char mem[256];
	std::memset(mem, 0, sizeof(mem));
	const auto base = reinterpret_cast<std::uintptr_t>(mem) + 8;
	check::shadow sh(base, 120, mem + 8);	// lines 0 (56 bytes) and 1 (64)
	std::array<unsigned char, 256> src;
	src.fill(4);
	sh.commit(base, 120, src.data(), 4);
	EXPECT_EQ(sh.mixed_lines(), 0u);
	src.fill(3);
	sh.commit(base, 56, src.data(), 3);
	for (std::size_t i = 0; i < 120; ++i)
		ASSERT_EQ(sh.bytes()[i], 4) << i;
	ASSERT_EQ(sh.bytes().size(), 120u);
}

TEST_F(Checker, PageMapsAreDurableOnlyAfterMsyncAndByteMapsAtOnce)
{
	mapped_file page(map_size, PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(page.err, 0);
	chk->track(page.map);
	std::memset(page.base + 5000, 9, 100);
	// A fence alone makes nothing durable at PAGE granularity.
	pmem2_get_drain_fn(page.map)();
	EXPECT_NE(chk->verify(page.base + 5000, 100, "store"), "");
	pmem2_get_persist_fn(page.map)(page.base + 5050, 1);	// syncs the whole page
	EXPECT_EQ(chk->verify(page.base + 5000, 100, "persist"), "");

	// Anonymous maps are BYTE: every visible store is durable.
	pmem2_source *src = nullptr;
	pmem2_config *cfg = nullptr;
	pmem2_map *anon = nullptr;
	ASSERT_EQ(pmem2_source_from_anon(&src, map_size), 0);
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_BYTE), 0);
	ASSERT_EQ(pmem2_map_new(&anon, cfg, src), 0);
	chk->track(anon);
	auto *b = static_cast<char *>(pmem2_map_get_address(anon));
	b[7] = 1;
	EXPECT_EQ(chk->verify(b, 8, "store"), "");
	EXPECT_EQ(chk->image(b)[7], 1);
	chk->untrack(b);
	pmem2_map_delete(&anon);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
}

// A streamed range waits for its own thread's fence, whatever other
// threads flush and fence over the same lines, at CACHE_LINE and at BYTE.
TEST_F(Checker, AStreamIsNotDurableBeforeItsOwnThreadFences)
{
	for (auto g : {pmem2::memops::granularity::cache_line, pmem2::memops::granularity::byte}) {
		alignas(64) static unsigned char buf[4096];
		std::memset(buf, 0, sizeof(buf));
		chk->track(buf, sizeof(buf), g);
		turns t;
		std::jthread streamer([&] {
			std::memset(buf + 100, 5, 300);
			chk->on_nt_store(buf + 100, 300);
			t.reach(1);
			if (t.await(2))
				chk->on_fence();
			t.reach(3);
		});
		ASSERT_TRUE(t.await(1));
		// Another thread writes the lines back and fences: not enough.
		for (std::size_t l = 64; l < 448; l += 64)
			chk->on_flush(buf + l);
		chk->on_fence();
		const std::vector<std::pair<std::size_t, std::size_t>> pending{{100, 300}};
		EXPECT_EQ(chk->differences(buf, sizeof(buf)), pending) << int(g);
		EXPECT_NE(chk->verify(buf + 100, 300, "stream"), "");
		t.reach(2);
		ASSERT_TRUE(t.await(3));
		streamer.join();
		EXPECT_EQ(chk->differences(buf, sizeof(buf)), (std::vector<std::pair<std::size_t, std::size_t>>{}));
		EXPECT_EQ(chk->verify(buf + 100, 300, "stream"), "");
		chk->untrack(buf);
	}
}

// A device's write with readback is durable when it completes at
// CACHE_LINE (and is a persistence point); a PAGE map still needs msync.
TEST_F(Checker, ADeviceWriteIsDurableAtCacheLineAndWaitsForMsyncAtPage)
{
	std::vector<std::string> points;
	chk->set_point_hook([](void *ctx, const check::checker &, const char *call) {
		static_cast<std::vector<std::string> *>(ctx)->push_back(call);
	}, &points);
	alignas(4096) static unsigned char line_map[8192], page_map[8192];
	chk->track(line_map, sizeof(line_map), pmem2::memops::granularity::cache_line);
	chk->track(page_map, sizeof(page_map), pmem2::memops::granularity::page);
	std::memset(line_map + 10, 3, 5000);
	std::memset(page_map + 10, 3, 5000);
	chk->on_device_write(line_map + 10, 5000);
	chk->on_device_write(page_map + 10, 5000);
	EXPECT_EQ(chk->verify(line_map + 10, 5000, "device"), "");
	EXPECT_NE(chk->verify(page_map + 10, 5000, "device"), "");
	chk->on_page_sync(page_map + 10, 5000);
	EXPECT_EQ(chk->verify(page_map + 10, 5000, "msync"), "");
	chk->point_now("pmem2_memcpy_async");
	EXPECT_EQ(points, (std::vector<std::string>{"device", "msync", "pmem2_memcpy_async"}));
	chk->set_point_hook(nullptr, nullptr);
	chk->untrack(line_map);
	chk->untrack(page_map);
}

TEST(CheckerEnv, InstalledFromTheEnvironmentOnlyWhenPmem2CheckIs1)
{
	unsetenv("PMEM2_CHECK");
	EXPECT_EQ(check::install_from_env(), nullptr);
	setenv("PMEM2_CHECK", "yes", 1);
	EXPECT_EQ(check::install_from_env(), nullptr);
	EXPECT_EQ(check::active(), nullptr);
	setenv("PMEM2_CHECK", "1", 1);
	check::checker *c = check::install_from_env();
	ASSERT_NE(c, nullptr);
	EXPECT_EQ(check::active(), c);
	EXPECT_EQ(pmem2::memops::current_recorder(), c);
	check::uninstall();
	EXPECT_EQ(check::active(), nullptr);
	EXPECT_EQ(pmem2::memops::current_recorder(), nullptr);
	unsetenv("PMEM2_CHECK");
}

// The synchronous functions of every kernel family: durable on return
// unless NODRAIN/NOFLUSH was asked for; with NODRAIN, after the drain.
TEST_F(Checker, EverySyncCallOfEveryKernelFamilyIsDurableOnReturn)
{
	struct family {
		const char *name;
		bool avx512f, avx, no_movnt, no_generic;
	} fams[] = {
		{"avx512f", true, true, false, false},
		{"avx", false, true, false, false},
		{"sse2", false, false, false, false},
		{"generic", false, false, true, false},
		{"libc", false, false, true, true},
	};
	const unsigned flag_sets[] = {0, PMEM2_F_MEM_NONTEMPORAL, PMEM2_F_MEM_TEMPORAL,
		PMEM2_F_MEM_WC, PMEM2_F_MEM_WB, PMEM2_F_MEM_NODRAIN};
	std::mt19937 rng(99);
	std::vector<unsigned char> src(70000);
	for (auto &c : src)
		c = static_cast<unsigned char>(rng());
	for (pmem2_granularity g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE}) {
		mapped_file mf(map_size, g);
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		for (const family &f : fams) {
			pmem2::memops::dispatch_options o = pmem2::memops::options_from_env();
			o.avx512f = f.avx512f;
			o.avx = f.avx;
			o.no_movnt = f.no_movnt;
			o.no_generic_memcpy = f.no_generic;
			pmem2::memops::redispatch(o);
			for (unsigned fl : flag_sets) {
				for (int k = 0; k < 12; ++k) {
					std::size_t len = k < 6 ? rng() % 600 : rng() % src.size();
					std::size_t off = rng() % (map_size - len);
					std::string what = std::string(f.name) + " flags " + std::to_string(fl);
					switch (k % 3) {
					case 0: pmem2_get_memcpy_fn(mf.map)(mf.base + off, src.data(), len, fl); break;
					case 1: pmem2_get_memmove_fn(mf.map)(mf.base + off, mf.base + rng() % (map_size - len), len, fl); break;
					default: pmem2_get_memset_fn(mf.map)(mf.base + off, int(rng()), len, fl); break;
					}
					if (fl & PMEM2_F_MEM_NODRAIN)
						pmem2_get_drain_fn(mf.map)();
					ASSERT_EQ(chk->verify(mf.base + off, len, what.c_str()), "") << granularity_name(g);
				}
			}
		}
		chk->untrack(mf.base);
	}
	pmem2::memops::redispatch(pmem2::memops::options_from_env());
}

enum class mv { dflt, threads, sync };
using promise_param = std::tuple<pmem2_granularity, mv>;

class Promise : public Checker, public ::testing::WithParamInterface<promise_param> {};

// Every future, on every mover and granularity, is durable when complete,
// for random ranges, alignments, sizes (split across workers too) and hints.
TEST_P(Promise, EveryCompletedFutureIsInTheDurableImage)
{
	auto [g, m] = GetParam();
	data_mover_threads *dmt = nullptr;
	data_mover_sync *dms = nullptr;
	vdm *v = nullptr;
	if (m == mv::threads) {
		dmt = data_mover_threads_new(3, 16, FUTURE_NOTIFIER_WAKER);
		pmem2::masync::set_split(dmt, 64 * 1024, 16 * 1024);
		v = data_mover_threads_get_vdm(dmt);
	} else if (m == mv::sync) {
		dms = data_mover_sync_new();
		v = data_mover_sync_get_vdm(dms);
	}
	{
		mapped_file mf(4 * map_size, g, v);
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		std::mt19937 rng(unsigned(g) * 7 + unsigned(m));
		std::vector<unsigned char> src(512 * 1024);
		for (auto &c : src)
			c = static_cast<unsigned char>(rng());
		const unsigned hints[] = {0, PMEM2_F_MEM_NONTEMPORAL, PMEM2_F_MEM_TEMPORAL, PMEM2_F_MEM_WC, PMEM2_F_MEM_WB};
		std::size_t n = scaled(60, 10);
		for (std::size_t i = 0; i < n; ++i) {
			std::size_t len = rng() % 3 == 0 ? rng() % src.size() : rng() % 5000;
			std::size_t off = rng() % (4 * map_size - len);
			unsigned h = hints[rng() % 5];
			pmem2_future f;
			const char *call;
			switch (rng() % 3) {
			case 0: f = pmem2_memcpy_async(mf.map, mf.base + off, src.data(), len, h); call = "pmem2_memcpy_async"; break;
			case 1: f = pmem2_memmove_async(mf.map, mf.base + off, mf.base + (rng() % (4 * map_size - len)), len, h); call = "pmem2_memmove_async"; break;
			default: f = pmem2_memset_async(mf.map, mf.base + off, int(rng()), len, h); call = "pmem2_memset_async"; break;
			}
			ASSERT_EQ(wait_future(f), 0);
			ASSERT_EQ(chk->verify(mf.base + off, len, call), "") << "len " << len << " hints " << h;
		}
		chk->untrack(mf.base);
	}
	data_mover_threads_delete(dmt);
	data_mover_sync_delete(dms);
}

std::string promise_name(const promise_param &p)
{
	static const char *const m[] = {"default", "threads", "sync"};
	return std::string(granularity_name(std::get<0>(p))) + "_" + m[int(std::get<1>(p))];
}

INSTANTIATE_TEST_SUITE_P(All, Promise,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE),
		::testing::Values(mv::dflt, mv::threads, mv::sync)),
	[](const auto &info) { return promise_name(info.param); });

// ---------------------------------------------------------------------------
// A durable log: entry i lives in slot i (256 bytes): header {seq = i + 1,
// length, checksum of both and the payload}, then the payload. Each entry
// is one pmem2_memcpy_async; up to `depth` are in flight. An entry is
// acknowledged when it and every earlier one completed. Recovery scans slots
// from 0 while seq and checksum hold.

constexpr std::size_t slot = 256, payload_max = slot - 16;

struct entry_header {
	std::uint64_t seq;
	std::uint32_t len;
	std::uint32_t sum;
};

std::uint32_t checksum(std::uint64_t seq, std::uint32_t len, const unsigned char *p)
{
	std::uint32_t h = 2166136261u;
	auto mix = [&h](unsigned char c) { h = (h ^ c) * 16777619u; };
	for (int i = 0; i < 8; ++i)
		mix(static_cast<unsigned char>(seq >> (8 * i)));
	for (int i = 0; i < 4; ++i)
		mix(static_cast<unsigned char>(len >> (8 * i)));
	for (std::uint32_t i = 0; i < len; ++i)
		mix(p[i]);
	return h;
}

// Entry i's bytes, deterministic.
std::array<unsigned char, slot> make_entry(std::size_t i)
{
	std::array<unsigned char, slot> e{};
	std::mt19937 rng(unsigned(i) * 2654435761u);
	std::uint32_t len = 1 + rng() % payload_max;
	for (std::uint32_t k = 0; k < len; ++k)
		e[16 + k] = static_cast<unsigned char>(rng());
	entry_header h{i + 1, len, checksum(i + 1, len, e.data() + 16)};
	std::memcpy(e.data(), &h, sizeof(h));
	return e;
}

std::size_t entry_len(const std::array<unsigned char, slot> &e)
{
	entry_header h;
	std::memcpy(&h, e.data(), sizeof(h));
	return 16 + h.len;
}

// Number of entries recovered; fails the test if a recovered one differs
// from what was written.
std::size_t recover(const unsigned char *log, std::size_t nslots)
{
	std::size_t i = 0;
	for (; i < nslots; ++i) {
		entry_header h;
		std::memcpy(&h, log + i * slot, sizeof(h));
		if (h.seq != i + 1 || h.len == 0 || h.len > payload_max ||
		    h.sum != checksum(h.seq, h.len, log + i * slot + 16))
			break;
		auto want = make_entry(i);
		EXPECT_EQ(std::memcmp(log + i * slot, want.data(), entry_len(want)), 0)
			<< "recovered entry " << i << " differs from what was written";
	}
	return i;
}

using log_param = std::tuple<pmem2_granularity, mv>;
class CrashRecovery : public Checker, public ::testing::WithParamInterface<log_param> {};

TEST_P(CrashRecovery, EveryAcknowledgedEntrySurvivesAPowerFailureAtARandomMoment)
{
	auto [g, m] = GetParam();
	data_mover_threads *dmt = nullptr;
	if (m == mv::threads)
		dmt = data_mover_threads_new(4, 16, FUTURE_NOTIFIER_WAKER);
	const std::size_t nentries = scaled(g == PMEM2_GRANULARITY_PAGE ? 600 : 3000, 50);
	const std::size_t depth = 8;
	{
		mapped_file mf(nentries * slot + 4096, g, dmt ? data_mover_threads_get_vdm(dmt) : nullptr);
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		std::vector<std::array<unsigned char, slot>> entries(nentries);
		for (std::size_t i = 0; i < nentries; ++i)
			entries[i] = make_entry(i);

		std::atomic<std::size_t> acked{0};
		std::atomic<bool> stop{false};
		std::atomic<std::size_t> crashes{0}, recovered_total{0}, remapped{0};
		std::thread crasher([&] {
			std::mt19937 rng(12345 + unsigned(g));
			while (!stop.load(std::memory_order_acquire)) {
				std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
				std::size_t a = acked.load(std::memory_order_acquire);
				std::vector<unsigned char> img = chk->image(mf.base);	// power fails now
				std::size_t r = recover(img.data(), nentries);
				EXPECT_GE(r, a) << "acknowledged entries lost at crash " << crashes.load();
				recovered_total += r;
				// Now and then restart from the image: a new file, a new map.
				if (crashes.fetch_add(1) % 25 == 0) {
					pmem2::test::tmpfile f(0);
					ASSERT_EQ(pwrite(f.fd(), img.data(), img.size(), 0), ssize_t(img.size()));
					pmem2_config *cfg;
					pmem2_source *src;
					pmem2_map *map = nullptr;
					ASSERT_EQ(pmem2_config_new(&cfg), 0);
					ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
					ASSERT_EQ(pmem2_source_from_fd(&src, f.fd()), 0);
					ASSERT_EQ(pmem2_map_new(&map, cfg, src), 0);
					EXPECT_EQ(recover(static_cast<unsigned char *>(pmem2_map_get_address(map)), nentries), r);
					pmem2_map_delete(&map);
					pmem2_source_delete(&src);
					pmem2_config_delete(&cfg);
					++remapped;
				}
			}
		});

		std::vector<pmem2_future> fut(depth);
		std::vector<std::size_t> which(depth, SIZE_MAX);
		std::vector<bool> done(nentries, false);
		std::size_t next = 0, prefix = 0;
		runtime *rt = runtime_new();
		while (prefix < nentries) {
			for (std::size_t k = 0; k < depth; ++k) {
				if (which[k] == SIZE_MAX && next < nentries) {
					which[k] = next;
					fut[k] = pmem2_memcpy_async(mf.map, mf.base + next * slot,
						entries[next].data(), entry_len(entries[next]), 0);
					++next;
				}
				if (which[k] == SIZE_MAX)
					continue;
				if (future_poll(FUTURE_AS_RUNNABLE(&fut[k]), nullptr) != FUTURE_STATE_COMPLETE)
					continue;
				ASSERT_EQ(FUTURE_OUTPUT(&fut[k])->result, 0);
				done[which[k]] = true;
				which[k] = SIZE_MAX;
				while (prefix < nentries && done[prefix])
					++prefix;
				acked.store(prefix, std::memory_order_release);
			}
			// Spread the crash points over the whole run, however fast the
			// writer is: at least 16, taken while operations are in flight.
			std::size_t want = 1 + next * 16 / nentries;
			auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			while (crashes.load() < want && std::chrono::steady_clock::now() < until)
				std::this_thread::yield();
		}
		runtime_delete(rt);
		// Let the crasher see a few images of the finished log too.
		std::size_t c0 = crashes.load();
		while (crashes.load() < c0 + 3)
			std::this_thread::yield();
		stop = true;
		crasher.join();
		EXPECT_EQ(recover(chk->image(mf.base).data(), nentries), nentries);
		EXPECT_GE(crashes.load(), 16u);
		EXPECT_GE(remapped.load(), 1u);
		RecordProperty("crash_points", int(crashes.load()));
		chk->untrack(mf.base);
	}
	data_mover_threads_delete(dmt);
}

INSTANTIATE_TEST_SUITE_P(All, CrashRecovery,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE),
		::testing::Values(mv::dflt, mv::threads)),
	[](const auto &info) {
		return std::string(granularity_name(std::get<0>(info.param))) +
			(std::get<1>(info.param) == mv::threads ? "_threads" : "_default");
	});

// The same log acknowledging entries written without a flush: the checker
// must see the loss (the test above can fail).
TEST_F(Checker, ALogThatAcknowledgesUnflushedEntriesIsCaught)
{
	mapped_file mf(64 * slot, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	chk->track(mf.map);
	for (std::size_t i = 0; i < 64; ++i) {
		auto e = make_entry(i);
		pmem2_get_memcpy_fn(mf.map)(mf.base + i * slot, e.data(), entry_len(e),
			PMEM2_F_MEM_NOFLUSH | PMEM2_F_MEM_TEMPORAL);
	}
	EXPECT_EQ(recover(reinterpret_cast<unsigned char *>(mf.base), 64), 64u);	// in memory
	EXPECT_EQ(recover(chk->image(mf.base).data(), 64), 0u);			// after power loss
	EXPECT_NE(chk->verify(mf.base, 64 * slot, "log append"), "");
}

} // namespace
