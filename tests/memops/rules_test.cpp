// Persistence behaviour observed through the recorder: what is flushed,
// streamed, fenced and page-synced per granularity and flag, which kernel
// (store kind) ran, and the flush/persist/drain functions.
#include "kernel_fixture.hpp"
#include "memops/flush_arch.hpp"

#include <set>

using namespace memops_test;
using mo::granularity;

namespace {

const std::size_t persist_lens[] = {0, 1, 7, 8, 63, 64, 65, 100, 128, 255, 256, 257, 300, 1000, 1024, 4103};
const std::size_t persist_mis[] = {0, 5, 32, 56};

std::uintptr_t addr(const void *p)
{
	return reinterpret_cast<std::uintptr_t>(p);
}

// The bytes one flush instruction writes back (flush_arch.hpp): the 64-byte
// line, or a larger block (POWER's 128 bytes), of which the recorder hears
// every line.
std::uintptr_t block_of(std::uintptr_t a)
{
	return a & ~std::uintptr_t(mo::detail::arch_flush_step() - 1);
}

// The lines of the flush blocks holding `lines`, in order: what a flush of
// those lines reports where a block is larger than a line.
std::vector<std::uintptr_t> whole_blocks(const std::vector<std::uintptr_t> &lines)
{
	std::set<std::uintptr_t> out;
	for (std::uintptr_t l : lines)
		for (std::uintptr_t x = block_of(l); x < block_of(l) + mo::detail::arch_flush_step(); x += 64)
			out.insert(x);
	return {out.begin(), out.end()};
}

// Every byte of [d, d+len) lies in a flushed line or a streamed range; no
// flush falls outside the flush blocks of the destination, and no
// streaming store outside the destination.
::testing::AssertionResult covered(const recording &rec, const void *d, std::size_t len)
{
	const std::uintptr_t b = addr(d), e = b + len;
	std::vector<char> hit(len, 0);
	for (const event &ev : rec.ev) {
		if (ev.kind == event::flush) {
			if (ev.a & 63)
				return ::testing::AssertionFailure() << "unaligned flush line";
			if (ev.a < block_of(b) || ev.a >= block_of(len ? e - 1 : b) + mo::detail::arch_flush_step())
				return ::testing::AssertionFailure() << "flush outside dest";
			for (std::uintptr_t x = std::max(b, ev.a); x < std::min(e, ev.a + 64); ++x)
				hit[x - b] = 1;
		} else if (ev.kind == event::nt) {
			if (ev.a < b || ev.a + ev.n > e)
				return ::testing::AssertionFailure() << "streaming store outside dest";
			for (std::uintptr_t x = ev.a; x < ev.a + ev.n; ++x)
				hit[x - b] = 1;
		}
	}
	for (std::size_t i = 0; i < len; ++i)
		if (!hit[i])
			return ::testing::AssertionFailure() << "byte " << i << " neither flushed nor streamed";
	std::set<std::uintptr_t> lines;
	for (const event &ev : rec.ev)
		if (ev.kind == event::flush && !lines.insert(ev.a).second)
			return ::testing::AssertionFailure() << "line flushed twice in one call";
	return ::testing::AssertionSuccess();
}

bool last_is_fence(const recording &rec)
{
	return !rec.ev.empty() && rec.ev.back().kind == event::fence;
}

struct persist_rig {
	buffer dst{8192 + 256};
	buffer src{8192 + 256};
	persist_rig() { fill_pattern(src.data(), src.size, 3); }
};

} // namespace

TEST_P(Kernel, CacheLineEveryWrittenLineFlushedOrStreamedThenFenced)
{
	recording rec;
	ASSERT_NO_FATAL_FAILURE(force(&rec));
	// Only a family whose streaming stores skip the flush fences them in
	// the kernel, and only with the last flush slot (CLFLUSH, which is
	// ordered with stores; flush_policy::fence_after_nt): otherwise a
	// NODRAIN call issues no fence at all.
	const bool in_kernel_fence = nt_skips_flush() && selected_slot() == 2;
	persist_rig rig;
	const mo::ops_table &t = mo::ops(granularity::cache_line);
	for (unsigned flags = 0; flags <= mo::f_valid_flags; ++flags)
		for (std::size_t len : persist_lens)
			for (std::size_t mis : persist_mis)
				for (int op = 0; op < 4; ++op) {
					void *d = rig.dst.data() + 64 + mis;
					rec.clear();
					if (op == 0)
						t.memmove(d, rig.src.data() + 64 + (mis * 3 & 63), len, flags);
					else if (op == 1)
						t.memset(d, 0x42, len, flags);
					else if (op == 2)	// overlapping, copied backward
						t.memmove(d, rig.dst.data() + 64 + mis - 5, len, flags);
					else			// overlapping, copied forward
						t.memmove(d, rig.dst.data() + 64 + mis + 70, len, flags);
					SCOPED_TRACE(::testing::Message() << "op " << op << " len " << len
						     << " mis " << mis << " flags 0x" << std::hex << flags);
					if (len) {
						ASSERT_EQ(1u, rec.kernels().size());
					}
					if (flags & mo::f_noflush) {
						ASSERT_EQ(0u, rec.count(event::flush));
						ASSERT_EQ(0u, rec.count(event::nt));
						ASSERT_EQ(0u, rec.count(event::fence));
						continue;
					}
					ASSERT_TRUE(covered(rec, d, len));
					if (!(flags & mo::f_nodrain)) {
						ASSERT_TRUE(last_is_fence(rec));
					} else if (!in_kernel_fence) {
						ASSERT_EQ(0u, rec.count(event::fence))
							<< "the kernels leave the fence to the drain";
					}
					ASSERT_EQ(0u, rec.count(event::page_sync));
				}
}

TEST_P(Kernel, ByteFencesButNeverFlushes)
{
	recording rec;
	ASSERT_NO_FATAL_FAILURE(force(&rec));
	persist_rig rig;
	const mo::ops_table &t = mo::ops(granularity::byte);
	for (unsigned flags = 0; flags <= mo::f_valid_flags; ++flags)
		for (std::size_t len : persist_lens)
			for (std::size_t mis : persist_mis)
				for (int op = 0; op < 2; ++op) {
					void *d = rig.dst.data() + 64 + mis;
					rec.clear();
					if (op == 0)
						t.memmove(d, rig.src.data() + 64, len, flags);
					else
						t.memset(d, 0x42, len, flags);
					SCOPED_TRACE(::testing::Message() << (op ? "memset" : "memmove") << " len " << len
						     << " mis " << mis << " flags 0x" << std::hex << flags);
					ASSERT_EQ(0u, rec.count(event::flush));
					ASSERT_EQ(0u, rec.count(event::page_sync));
					if (flags & (mo::f_noflush | mo::f_nodrain)) {
						if (flags & mo::f_noflush) {
							ASSERT_EQ(0u, rec.count(event::fence));
						}
					} else {
						ASSERT_TRUE(last_is_fence(rec));
					}
					if (rec.count(event::nt)) {
						// Streaming stores are fenced inside the eADR kernel.
						ASSERT_TRUE(last_is_fence(rec));
						ASSERT_TRUE(flags & mo::f_nontemporal);
					}
				}
}

TEST_P(Kernel, PageSyncsTheWrittenRangeAndFlushesNoLines)
{
	recording rec;
	ASSERT_NO_FATAL_FAILURE(force(&rec));
	persist_rig rig;
	const mo::ops_table &t = mo::ops(granularity::page);
	for (unsigned flags = 0; flags <= mo::f_valid_flags; ++flags)
		for (std::size_t len : persist_lens)
			for (int op = 0; op < 2; ++op) {
				void *d = rig.dst.data() + 64 + 9;
				rec.clear();
				if (op == 0)
					t.memmove(d, rig.src.data() + 64, len, flags);
				else
					t.memset(d, 0x42, len, flags);
				SCOPED_TRACE(::testing::Message() << (op ? "memset" : "memmove") << " len " << len
					     << " flags 0x" << std::hex << flags);
				ASSERT_EQ(0u, rec.count(event::flush)) << "PAGE must not flush CPU caches (DIFFERENCES.md A33)";
				if (flags & mo::f_noflush) {
					ASSERT_EQ(0u, rec.count(event::page_sync));
					ASSERT_EQ(0u, rec.count(event::fence));
					continue;
				}
				ASSERT_EQ(1u, rec.count(event::page_sync));
				const event &ps = rec.ev.back();
				ASSERT_EQ(event::page_sync, ps.kind) << "page sync is the last thing before return";
				ASSERT_LE(ps.a, addr(d));
				ASSERT_GE(ps.a + ps.n, addr(d) + len);
			}
}

// DIFFERENCES.md S9.4: which store kind runs for BYTE and CACHE_LINE (and PAGE, which
// chooses like CACHE_LINE) at 128 and 1024 bytes.
TEST_P(Kernel, StoreKindMatrix)
{
	recording rec;
	ASSERT_NO_FATAL_FAILURE(force(&rec));
	const kernel_case &k = GetParam();
	const bool has_nt = this->has_nt();
	const std::string t_name = std::string("_t_") + mo::selected().kernel;
	const std::string nt_name = std::string("_nt_") + mo::selected().nt_kernel;
	struct row {
		unsigned flags;
		const char *byte128, *byte1024, *cl128, *cl1024;
	};
	using namespace mo;
	const row rows[] = {
		{0, "t", "t", "t", "nt"},
		{f_nontemporal, "nt", "nt", "nt", "nt"},
		{f_temporal, "t", "t", "t", "t"},
		{f_nontemporal | f_temporal, "nt", "nt", "nt", "nt"},
		{f_wc, "t", "t", "nt", "nt"},
		{f_wb, "t", "t", "t", "t"},
		{f_noflush, "t", "t", "t", "t"},
		{f_valid_flags, "t", "t", "t", "t"},
	};
	persist_rig rig;
	for (const row &r : rows)
		for (granularity g : {granularity::byte, granularity::cache_line, granularity::page})
			for (std::size_t len : {128u, 1024u})
				for (int op = 0; op < 2; ++op) {
					const char *want = g == granularity::byte ? (len == 128 ? r.byte128 : r.byte1024)
										  : (len == 128 ? r.cl128 : r.cl1024);
					rec.clear();
					const mo::ops_table &t = mo::ops(g);
					if (op == 0)
						t.memmove(rig.dst.data() + 64, rig.src.data(), len, r.flags);
					else
						t.memset(rig.dst.data() + 64, 1, len, r.flags);
					const auto ks = rec.kernels();
					ASSERT_EQ(1u, ks.size());
					const std::string prefix = op ? "memset" : "memmove";
					std::string expect;
					if (!has_nt)
						expect = prefix + "_" + k.name;
					else
						expect = prefix + (std::strcmp(want, "nt") == 0 ? nt_name : t_name);
					EXPECT_EQ(expect, ks[0]) << "flags 0x" << std::hex << r.flags << std::dec
								 << " len " << len << " gran " << static_cast<int>(g);
					std::size_t streamed = 0;
					for (const event &e : rec.ev)
						streamed += e.kind == event::nt ? e.n : 0;
					// The destination is line-aligned: a streaming kernel
					// whose stores skip the flush streams all of it; any
					// other kernel none of it, and flushes every line.
					const bool want_nt = nt_skips_flush() && std::strcmp(want, "nt") == 0;
					EXPECT_EQ(want_nt ? len : 0u, streamed);
					if (g == granularity::cache_line && !(r.flags & f_noflush)) {
						EXPECT_TRUE(covered(rec, rig.dst.data() + 64, len));
					}
				}
}

// Up to one line with a streaming store kind (NONTEMPORAL, WC, or at or
// above the threshold): a line-aligned whole line or a line-aligned piece of
// exactly 32/16/8/4 bytes is one streaming store, reported as streamed and
// not flushed, and fenced as the streaming kernels are (by the drain, or in
// the kernel with CLFLUSH and for BYTE/PAGE); every other range is written
// with regular stores and flushed. Temporal kinds never stream.
TEST_P(Kernel, SingleLineStreamsAlignedPieces)
{
	recording rec;
	ASSERT_NO_FATAL_FAILURE(force(&rec));
	const bool clflush = selected_slot() == 2;	// CLFLUSH: see above
	const bool has_nt = this->has_nt(), streams = nt_skips_flush();
	persist_rig rig;
	using namespace mo;
	const unsigned flag_sets[] = {f_nontemporal, f_wc, f_nontemporal | f_nodrain, f_wc | f_nodrain,
				      0, f_nodrain, f_temporal, f_wb, f_noflush, f_nontemporal | f_temporal};
	for (granularity g : {granularity::cache_line, granularity::byte, granularity::page})
		for (unsigned flags : flag_sets)
			for (std::size_t len : {1u, 4u, 8u, 12u, 16u, 24u, 32u, 48u, 63u, 64u})
				for (std::size_t mis : {0u, 4u, 8u, 16u, 32u})
					for (int op = 0; op < 2; ++op) {
						if (g == granularity::page && (mis % 16) != 0)
							continue;	// msync per call: sample
						unsigned char *d = rig.dst.data() + 128 + mis;
						const unsigned char *src = rig.src.data() + 7 * len + mis;
						std::memset(d, 0, len);
						rec.clear();
						if (op == 0)
							ops(g).memmove(d, src, len, flags);
						else
							ops(g).memset(d, 0x5a, len, flags);
						SCOPED_TRACE(::testing::Message()
							     << (op ? "memset" : "memmove") << " gran "
							     << static_cast<int>(g) << " len " << len << " mis " << mis
							     << " flags 0x" << std::hex << flags);
						if (op == 0) {
							ASSERT_EQ(0, std::memcmp(d, src, len));
						} else {
							for (std::size_t i = 0; i < len; ++i)
								ASSERT_EQ(0x5a, d[i]);
						}
						const bool hint_nt = !(flags & f_noflush) &&
							(g == granularity::byte
								 ? (flags & f_nontemporal) != 0
								 : (flags & (f_nontemporal | f_wc)) != 0);
						const bool aligned_piece =
							mis == 0 && (len == 64 || len == 32 || len == 16 || len == 8 || len == 4);
						const bool want_nt = streams && hint_nt && aligned_piece;
						const auto ks = rec.kernels();
						ASSERT_EQ(1u, ks.size());
						if (has_nt) {
							ASSERT_EQ(hint_nt, ks[0].find("_nt_") != std::string::npos) << ks[0];
						}
						std::size_t streamed = 0;
						for (const event &e : rec.ev)
							if (e.kind == event::nt) {
								ASSERT_EQ(reinterpret_cast<std::uintptr_t>(d), e.a);
								streamed += e.n;
							}
						ASSERT_EQ(want_nt ? len : 0u, streamed);
						if (want_nt) {
							ASSERT_EQ(0u, rec.count(event::flush));
							// Streaming stores are fenced before return unless
							// the caller drains: by the drain, or inside the
							// kernel with CLFLUSH and for BYTE and PAGE.
							const bool fenced = g != granularity::cache_line || clflush ||
								!(flags & f_nodrain);
							ASSERT_EQ(fenced, last_is_fence(rec) ||
								(g == granularity::page &&
								 rec.ev.size() >= 2 &&
								 rec.ev[rec.ev.size() - 2].kind == event::fence));
							if (!fenced) {
								ASSERT_EQ(0u, rec.count(event::fence));
							}
						} else if (g == granularity::cache_line && !(flags & f_noflush)) {
							ASSERT_TRUE(covered(rec, d, len));
							ASSERT_EQ(0u, rec.count(event::nt));
						}
					}
}

TEST_P(Kernel, ThresholdSelectsStreamingForUnhintedCopies)
{
	const kernel_case &k = GetParam();
	if (!has_nt())
		GTEST_SKIP() << k.name << " has no streaming kernels; the threshold is irrelevant";
	recording rec;
	persist_rig rig;
	for (long long thr : {0LL, 100LL, 256LL, 1000LL}) {
		auto opt = k.opt;
		opt.movnt_threshold = thr;
		ASSERT_NO_FATAL_FAILURE(force(&rec, &opt));
		ASSERT_EQ(static_cast<std::size_t>(thr), mo::selected().movnt_threshold);
		const mo::ops_table &t = mo::ops(granularity::cache_line);
		for (std::size_t len : {std::size_t(1), std::size_t(thr ? thr - 1 : 1), std::size_t(thr),
					std::size_t(thr + 1)}) {
			if (len == 0)
				continue;
			rec.clear();
			t.memmove(rig.dst.data() + 64, rig.src.data(), len, 0);
			const bool nt = rec.kernels().at(0).find("_nt_") != std::string::npos;
			EXPECT_EQ(len >= static_cast<std::size_t>(thr), nt) << "threshold " << thr << " len " << len;
		}
	}
}

// With every choice of the flush options, a non-temporal NODRAIN copy
// writes back every line (flushed or streamed) and fences only where the
// kernel must itself (DIFFERENCES.md S9.5: a family whose streaming stores
// skip the flush, with the CLFLUSH slot). Which slot each CPU gets is the
// architecture's test's (cpu_<arch>_test.cpp).
TEST_P(Kernel, FlushOptionsAndInKernelFence)
{
	recording rec;
	persist_rig rig;
	struct choice {
		bool no_clwb, no_clflushopt;
	};
	for (choice ch : {choice{false, false}, choice{true, false}, choice{true, true}, choice{false, true}}) {
		auto opt = GetParam().opt;
		opt.no_clwb = ch.no_clwb;
		opt.no_clflushopt = ch.no_clflushopt;
		ASSERT_NO_FATAL_FAILURE(force(&rec, &opt));
		const int slot = selected_slot();
		EXPECT_FALSE(slot == 0 && ch.no_clwb) << mo::selected().flush;
		EXPECT_FALSE(slot == 1 && ch.no_clflushopt) << mo::selected().flush;
		rec.clear();
		mo::ops(granularity::cache_line).memmove(rig.dst.data() + 64, rig.src.data(), 1024,
							  mo::f_nontemporal | mo::f_nodrain);
		ASSERT_TRUE(covered(rec, rig.dst.data() + 64, 1024));
		const std::size_t want_fences = nt_skips_flush() && slot == 2 ? 1 : 0;
		EXPECT_EQ(want_fences, rec.count(event::fence)) << "flush " << mo::selected().flush;
		EXPECT_EQ(0, std::memcmp(rig.dst.data() + 64, rig.src.data(), 1024));
	}
}

// Production tables never call the recorder: installing one without
// redispatching records nothing.
TEST_P(Kernel, ProductionVariantsDoNotRecord)
{
	recording rec;
	mo::set_recorder(&rec);
	persist_rig rig;
	for (granularity g : {granularity::cache_line, granularity::byte}) {
		mo::ops(g).memmove(rig.dst.data() + 3, rig.src.data(), 3000, 0);
		mo::ops(g).memset(rig.dst.data() + 3, 1, 3000, mo::f_nontemporal);
		mo::ops(g).persist(rig.dst.data(), 100);
	}
	mo::flush_lines(rig.dst.data(), 4096);
	mo::fence();
	EXPECT_TRUE(rec.ev.empty());
}

// ---- flush / persist / drain per granularity (DIFFERENCES.md S8) ----------------

class PersistFunctions : public ::testing::Test {
protected:
	recording rec;
	void SetUp() override
	{
		mo::set_recorder(&rec);
		mo::redispatch(mo::options_from_env());
	}
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::set_page_sync(nullptr);
		mo::redispatch(mo::options_from_env());
	}
	std::vector<std::uintptr_t> flushed() const
	{
		std::vector<std::uintptr_t> v;
		for (const event &e : rec.ev)
			if (e.kind == event::flush)
				v.push_back(e.a);
		return v;
	}
};

TEST_F(PersistFunctions, CacheLineFlushCoversEveryIntersectingLine)
{
	alignas(128) static char buf[64 * 8];	// whole flush blocks on every architecture
	const mo::ops_table &t = mo::ops(granularity::cache_line);
	const auto base = addr(buf);
	struct c {
		std::size_t off, len;
		std::vector<std::uintptr_t> lines;
	};
	const c cases[] = {
		{0, 0, {}},
		{5, 0, {base}},	// unaligned zero length still flushes its line (DIFFERENCES.md A43, kept)
		{0, 1, {base}},
		{0, 64, {base}},
		{0, 65, {base, base + 64}},
		{63, 2, {base, base + 64}},
		{10, 200, {base, base + 64, base + 128, base + 192}},
	};
	for (const c &x : cases) {
		rec.clear();
		t.flush(buf + x.off, x.len);
		EXPECT_EQ(whole_blocks(x.lines), flushed()) << x.off << "+" << x.len;
		EXPECT_EQ(0u, rec.count(event::fence));
		rec.clear();
		t.persist(buf + x.off, x.len);
		EXPECT_EQ(whole_blocks(x.lines), flushed());
		EXPECT_TRUE(last_is_fence(rec));
		EXPECT_EQ(1u, rec.count(event::fence));
	}
	rec.clear();
	t.drain();
	ASSERT_EQ(1u, rec.ev.size());
	EXPECT_EQ(event::fence, rec.ev[0].kind);
	rec.clear();
	mo::flush_lines(buf + 1, 64);
	EXPECT_EQ((std::vector<std::uintptr_t>{base, base + 64}), flushed());
	rec.clear();
	mo::fence();
	EXPECT_EQ(1u, rec.count(event::fence));
}

TEST_F(PersistFunctions, ByteFlushIsEmptyAndPersistIsAFence)
{
	static char buf[256];
	const mo::ops_table &t = mo::ops(granularity::byte);
	t.flush(buf, sizeof buf);
	EXPECT_TRUE(rec.ev.empty());
	t.persist(buf, sizeof buf);
	ASSERT_EQ(1u, rec.ev.size());
	EXPECT_EQ(event::fence, rec.ev[0].kind);
	rec.clear();
	t.drain();
	ASSERT_EQ(1u, rec.ev.size());
	EXPECT_EQ(event::fence, rec.ev[0].kind);
}

namespace {
std::vector<std::pair<const void *, std::size_t>> g_synced;
void fake_page_sync(const void *p, std::size_t n)
{
	g_synced.emplace_back(p, n);
}
} // namespace

TEST_F(PersistFunctions, PageFlushAndPersistArePageSyncAndDrainIsEmpty)
{
	static char buf[8192];
	g_synced.clear();
	mo::set_page_sync(&fake_page_sync);
	const mo::ops_table &t = mo::ops(granularity::page);
	t.flush(buf + 3, 100);
	t.persist(buf + 5, 200);
	t.drain();
	ASSERT_EQ(2u, g_synced.size());
	EXPECT_EQ(buf + 3, g_synced[0].first);
	EXPECT_EQ(100u, g_synced[0].second);
	EXPECT_EQ(buf + 5, g_synced[1].first);
	EXPECT_EQ(0u, rec.count(event::flush));
	EXPECT_EQ(0u, rec.count(event::fence));
	EXPECT_EQ(2u, rec.count(event::page_sync));
	// The installed function serves the mem functions too; NOFLUSH skips it.
	t.memmove(buf + 4096, buf, 1000, 0);
	ASSERT_EQ(3u, g_synced.size());
	EXPECT_EQ(buf + 4096, g_synced[2].first);
	EXPECT_EQ(1000u, g_synced[2].second);
	t.memset(buf + 10, 0, 50, mo::f_noflush);
	t.memset(buf + 10, 0, 50, mo::f_nodrain);
	EXPECT_EQ(4u, g_synced.size()) << "NODRAIN has no effect on PAGE";
	// nullptr restores the default (real msync of the rounded range).
	mo::set_page_sync(nullptr);
	t.persist(buf + 1, 10);
	EXPECT_EQ(4u, g_synced.size());
}
