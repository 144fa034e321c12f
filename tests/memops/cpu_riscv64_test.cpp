// riscv64 feature detection and flush choice: faked riscv_hwprobe results
// (through set_cpu_for_test) select CBO.CLEAN with the kernel's cache-block
// size, or, without Zicbom, no line write-back at all (CACHE_LINE through
// the page sync). The CBO.CLEAN path runs: where the CPU cannot execute
// the instruction (qemu-user 7.2 has no Zicbom and raises SIGILL on it)
// each one is trapped, its encoding and address checked, and stepped over,
// so the test sees every block the CPU was asked to clean; the recorder
// sees every line flushed and the drain after them. Where the kernel
// reports Zicbom the same runs execute it natively.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "memops/cpu_riscv64.hpp"
#include "memops/crc32c.hpp"
#include "memops/memops.hpp"
#include "flush_counter.hpp"
#include "memops/relax_arch.hpp"

namespace mo = pmem2::memops;
using memops_test::counting;

namespace {

// CBO.CLEAN rs1 with rs1 masked out: imm 1, funct3 2, rd 0, MISC-MEM.
constexpr std::uint32_t cbo_clean_mask = 0xFFF07FFFu;
constexpr std::uint32_t cbo_clean_bits = 0x0010200Fu;

// Every SIGILL the tests provoke: the address each trapped CBO.CLEAN named,
// or, for any other instruction, a count (the handler then lets it fault).
struct traps {
	static constexpr std::size_t cap = 4096;
	std::uintptr_t addr[cap];
	std::size_t n = 0;
	std::size_t other = 0;
};
traps g_traps;

void on_sigill(int, siginfo_t *, void *ctx)
{
	auto *uc = static_cast<ucontext_t *>(ctx);
	unsigned long *regs = uc->uc_mcontext.__gregs;	// [0] pc, [1..31] x1..x31
	std::uint32_t insn;
	std::memcpy(&insn, reinterpret_cast<const void *>(regs[REG_PC]), sizeof(insn));
	if ((insn & cbo_clean_mask) != cbo_clean_bits) {
		++g_traps.other;
		signal(SIGILL, SIG_DFL);	// not ours: fault on return
		return;
	}
	const unsigned rs1 = (insn >> 15) & 31u;
	if (g_traps.n < traps::cap)
		g_traps.addr[g_traps.n] = rs1 == 0 ? 0 : regs[rs1];
	++g_traps.n;
	regs[REG_PC] += 4;	// .insn emits the 4-byte form
}

// Traps SIGILL for its lifetime.
struct sigill_trap {
	struct sigaction old {};
	sigill_trap()
	{
		g_traps.n = g_traps.other = 0;
		struct sigaction sa {};
		sa.sa_sigaction = &on_sigill;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGILL, &sa, &old);
	}
	~sigill_trap() { sigaction(SIGILL, &old, nullptr); }
	std::vector<std::uintptr_t> cleaned() const
	{
		return {g_traps.addr, g_traps.addr + std::min(g_traps.n, traps::cap)};
	}
	sigill_trap(const sigill_trap &) = delete;
	sigill_trap &operator=(const sigill_trap &) = delete;
};

// The CPU the other memops tests of this binary run on where the real one
// has no Zicbom (qemu-user 7.2): a model of a Zicbom CPU with 64-byte
// blocks, whose CBO.CLEANs are trapped and stepped over for the whole run
// (their write-back is the recorder's to see, as on hardware). Without it
// the kernel, rules and flush-block tests, which every architecture shares,
// would find CACHE_LINE to be the page sync and test no kernel's flushes.
// The tests of this file fake their own CPUs and return to the model.
class zicbom_model : public ::testing::Environment {
public:
	void SetUp() override;
	void TearDown() override
	{
		if (!active_)
			return;
		mo::set_cpu_for_test(nullptr);
		mo::redispatch(mo::options_from_env());
		sigaction(SIGILL, &old_, nullptr);
	}
	// The CPU the tests run on when they fake none: the model, or the real
	// one (nullptr).
	const mo::cpu_features *cpu() const { return active_ ? &model_ : nullptr; }
	bool real_zicbom() const { return real_zicbom_; }

private:
	bool active_ = false, real_zicbom_ = false;
	mo::cpu_features model_{};
	struct sigaction old_ {};
};
zicbom_model *const g_model =
	static_cast<zicbom_model *>(::testing::AddGlobalTestEnvironment(new zicbom_model));

std::vector<mo::riscv_hwprobe_pair> answer(std::uint64_t ext, std::uint64_t block)
{
	return {{mo::hwprobe_key_ima_ext_0, ext}, {mo::hwprobe_key_zicbom_block_size, block}};
}

mo::cpu_features zicbom_cpu(std::size_t block)
{
	return mo::cpu_from_hwprobe(0, answer(mo::hwprobe_ext_zicbom, block));
}

// The kernel's answer now, asked directly (not through the library).
long probe_now(mo::riscv_hwprobe_pair (&p)[2])
{
	p[0] = {mo::hwprobe_key_ima_ext_0, 0};
	p[1] = {mo::hwprobe_key_zicbom_block_size, 0};
	const long r = syscall(mo::nr_riscv_hwprobe, p, std::size_t{2}, std::size_t{0}, nullptr, 0u);
	return r == 0 ? 0 : -errno;
}

std::uintptr_t u(const void *p)
{
	return reinterpret_cast<std::uintptr_t>(p);
}

alignas(4096) char g_buf[4096];

int g_page_syncs = 0;
void count_page_sync(const void *, std::size_t)
{
	++g_page_syncs;	// no msync: the buffer is not a file's
}

void zicbom_model::SetUp()
{
	real_zicbom_ = mo::cpu().zicbom;
	if (real_zicbom_)
		return;
	model_ = zicbom_cpu(64);
	struct sigaction sa {};
	sa.sa_sigaction = &on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, &old_);
	mo::set_cpu_for_test(&model_);
	mo::redispatch(mo::options_from_env());
	active_ = true;
	std::printf("note: the kernel reports no Zicbom here; the memops tests run on a model of a "
		"Zicbom CPU (64-byte blocks), each CBO.CLEAN trapped and stepped over\n");
}

class Rv64 : public ::testing::Test {
protected:
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::set_cpu_for_test(g_model->cpu());
		mo::set_page_sync(nullptr);
		mo::redispatch(mo::options_from_env());
	}
};

class Rv64Zicbom : public Rv64, public ::testing::WithParamInterface<std::size_t> {};

} // namespace

TEST(Rv64Hwprobe, ZicbomNeedsTheBitAndAUsableBlockSize)
{
	const mo::cpu_features f = zicbom_cpu(64);
	EXPECT_TRUE(f.zicbom);
	EXPECT_EQ(64u, f.cbom_block_size);
	EXPECT_EQ(128u, zicbom_cpu(128).cbom_block_size);
	EXPECT_EQ(32u, zicbom_cpu(32).cbom_block_size);
	EXPECT_FALSE(f.clwb);	// no other architecture's feature is ever reported
	EXPECT_FALSE(f.sse2);
	EXPECT_FALSE(f.dc_cvap);

	// Bit clear (a CPU without it, or a kernel before 6.15 that leaves
	// unknown bits clear): no Zicbom, whatever the block size says.
	EXPECT_FALSE(mo::cpu_from_hwprobe(0, answer(mo::hwprobe_ext_zicbom >> 1, 64)).zicbom);
	// The block-size key unknown to the kernel (key -1, value 0).
	std::vector<mo::riscv_hwprobe_pair> p = answer(mo::hwprobe_ext_zicbom, 64);
	p[1] = {-1, 0};
	EXPECT_FALSE(mo::cpu_from_hwprobe(0, p).zicbom);
	// IMA_EXT_0 unknown (-1): nothing reported.
	p = answer(mo::hwprobe_ext_zicbom, 64);
	p[0] = {-1, 0};
	EXPECT_FALSE(mo::cpu_from_hwprobe(0, p).zicbom);
	// Block sizes the flush loop cannot step by: not a power of two, zero,
	// -1 (the CPUs asked about differ), beyond a page.
	for (std::uint64_t b : {0ull, 1ull, 4ull, 96ull, ~0ull, 8192ull}) {
		const mo::cpu_features g = mo::cpu_from_hwprobe(0, answer(mo::hwprobe_ext_zicbom, b));
		EXPECT_FALSE(g.zicbom) << b;
		EXPECT_EQ(0u, g.cbom_block_size) << b;
	}
	EXPECT_FALSE(mo::cpu_from_hwprobe(0, {}).zicbom);
}

TEST(Rv64Hwprobe, FailedCallMeansNoZicbom)
{
	// ENOSYS (before Linux 6.4, qemu-user 7.2) or any other failure: the
	// pairs are not the kernel's answer, even if they look like one.
	for (long err : {-ENOSYS, -EFAULT, -EINVAL}) {
		const mo::cpu_features f = mo::cpu_from_hwprobe(err, answer(mo::hwprobe_ext_zicbom, 64));
		EXPECT_FALSE(f.zicbom) << err;
		EXPECT_EQ(0u, f.cbom_block_size) << err;
	}
}

TEST(Rv64Hwprobe, CpuIsWhatTheKernelAnswers)
{
	mo::riscv_hwprobe_pair p[2];
	const long r = probe_now(p);
	const mo::cpu_features want = mo::cpu_from_hwprobe(r, p);
	mo::set_cpu_for_test(nullptr);	// the real CPU, not the model
	const mo::cpu_features real = mo::cpu();
	mo::set_cpu_for_test(g_model->cpu());
	EXPECT_EQ(want.zicbom, real.zicbom);
	EXPECT_EQ(want.cbom_block_size, real.cbom_block_size);
	EXPECT_EQ(want.zicbom, g_model->real_zicbom());
	if (r == -ENOSYS)
		std::printf("note: riscv_hwprobe is ENOSYS here (qemu-user 7.2, or Linux < 6.4): no Zicbom\n");
}

TEST_F(Rv64, DefaultSelectionMatchesTheCpu)
{
	const bool z = mo::cpu().zicbom;
	EXPECT_STREQ(z ? "cbo.clean" : "msync", mo::selected().flush);
	EXPECT_EQ(z, mo::can_write_back_lines());
	EXPECT_STREQ("generic", mo::selected().kernel);
	EXPECT_FALSE(mo::selected().wc_workaround);
}

TEST_F(Rv64, SpinHintRuns)
{
	// PAUSE is a FENCE W,0 to a CPU without Zihintpause: it runs anywhere.
	sigill_trap trap;
	for (int i = 0; i < 3; ++i)
		mo::arch_relax();
	EXPECT_EQ(0u, g_traps.n + g_traps.other);
}

// A CACHE_LINE memset, persist and flush_lines through CBO.CLEAN with the
// faked block size: the recorder sees every 64-byte line and one drain
// after them; the CPU is asked to clean every block, at the block step.
TEST_P(Rv64Zicbom, PersistCleansEveryBlockThenDrains)
{
	const std::size_t block = GetParam();
	const mo::cpu_features fake = zicbom_cpu(block);
	ASSERT_TRUE(fake.zicbom);
	mo::set_cpu_for_test(&fake);
	counting rec;
	mo::set_recorder(&rec);
	mo::redispatch(mo::dispatch_options{});
	ASSERT_STREQ("cbo.clean", mo::selected().flush);
	ASSERT_TRUE(mo::can_write_back_lines());

	char *const buf = g_buf;
	const auto &t = mo::ops(mo::granularity::cache_line);
	ASSERT_NE(mo::ops(mo::granularity::page).persist, t.persist);
	sigill_trap trap;

	// The kernel flushes each line its stores passed (lines 0..4): line by
	// line, and its head and tail by range(), which a block larger than a
	// line reports whole (line 5 shares a 128-byte block with line 4).
	t.memset(buf + 3, 0x5A, 64 * 4, 0);
	const std::set<const void *> flushed(rec.flushes.begin(), rec.flushes.end());
	std::set<const void *> want_lines;
	for (std::size_t i = 0; i < 5; ++i)
		want_lines.insert(buf + 64 * i);
	if (block > 64)
		want_lines.insert(buf + 64 * 5);
	EXPECT_EQ(want_lines, flushed);
	if (block <= 64) {
		ASSERT_EQ(5u, rec.flushes.size());
		for (std::size_t i = 0; i < rec.flushes.size(); ++i)
			EXPECT_EQ(buf + 64 * i, rec.flushes[i]);
	}
	EXPECT_EQ(1, rec.fences_after_last_flush);
	EXPECT_EQ(0x5A, buf[3]);
	EXPECT_EQ(0x5A, buf[64 * 4 + 2]);
	const bool trapped = g_traps.n != 0;
	const std::vector<std::uintptr_t> kernel_cleans = trap.cleaned();
	EXPECT_EQ(0u, g_traps.other);

	// persist of lines 1 and 2: by block, each block once.
	rec.clear();
	g_traps.n = 0;
	t.persist(buf + 64, 65);
	std::vector<const void *> lines;
	std::vector<std::uintptr_t> blocks;
	if (block <= 64) {
		lines = {buf + 64, buf + 128};
		for (std::uintptr_t a = u(buf + 64); a < u(buf + 192); a += block)
			blocks.push_back(a);
	} else {	// a block holds both lines and the ones beside them: all written back
		lines = {buf, buf + 64, buf + 128, buf + 192};
		blocks = {u(buf), u(buf) + block};
	}
	EXPECT_EQ(lines, rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);
	const std::vector<std::uintptr_t> persist_cleans = trap.cleaned();

	// flush_lines + fence (the movers' write-back) take the same path.
	rec.clear();
	g_traps.n = 0;
	mo::flush_lines(buf + 64, 65);
	mo::fence();
	EXPECT_EQ(lines, rec.flushes);
	EXPECT_EQ(1, rec.fences_after_last_flush);
	EXPECT_EQ(trapped ? persist_cleans : std::vector<std::uintptr_t>{}, trap.cleaned());

	// BYTE: no clean, the drain only.
	rec.clear();
	g_traps.n = 0;
	mo::ops(mo::granularity::byte).persist(buf, 64);
	EXPECT_TRUE(rec.flushes.empty());
	EXPECT_EQ(1, rec.fences);
	EXPECT_EQ(0u, g_traps.n);
	EXPECT_EQ(0u, g_traps.other);

	if (!trapped) {
		std::printf("note: cbo.clean ran natively (the kernel reports Zicbom): block %zu checked "
			"through the recorder only\n", block);
		return;
	}
	std::printf("note: cbo.clean is not executable here (SIGILL: qemu-user 7.2 has no Zicbom); "
		"each one was trapped, checked and stepped over (block %zu)\n", block);
	EXPECT_EQ(blocks, persist_cleans);
	// The kernel's cleans: together every block of lines 0..4 and nothing
	// else; for blocks up to a line, each block exactly once.
	std::set<std::uintptr_t> covered;
	for (std::uintptr_t a : kernel_cleans)
		covered.insert(a & ~std::uintptr_t(block - 1));
	std::set<std::uintptr_t> want;
	for (std::uintptr_t a = u(buf); a < u(buf + 64 * 5); a += block)
		want.insert(a & ~std::uintptr_t(block - 1));
	EXPECT_EQ(want, covered);
	if (block <= 64) {
		EXPECT_EQ(5u * (64 / block), kernel_cleans.size());
	}
}

TEST_P(Rv64Zicbom, FlushOptionsChangeNothing)
{
	const mo::cpu_features fake = zicbom_cpu(GetParam());
	mo::set_cpu_for_test(&fake);
	mo::dispatch_options o;
	o.no_clwb = o.no_clflushopt = true;
	mo::redispatch(o);
	EXPECT_STREQ("cbo.clean", mo::selected().flush);
	EXPECT_TRUE(mo::can_write_back_lines());
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Rv64Zicbom, ::testing::Values(32, 64, 128),
	[](const ::testing::TestParamInfo<std::size_t> &i) { return "Block" + std::to_string(i.param); });

// Without Zicbom there is no line write-back instruction: nothing selected
// may run one (any would raise SIGILL here, and be counted), and every
// CACHE_LINE entry point is the page sync.
class Rv64NoZicbom : public Rv64, public ::testing::WithParamInterface<long> {};

TEST_P(Rv64NoZicbom, CacheLineIsThePageSync)
{
	const mo::cpu_features fake = mo::cpu_from_hwprobe(GetParam(), answer(0, 64));
	mo::set_cpu_for_test(&fake);
	counting rec;
	mo::set_recorder(&rec);
	mo::set_page_sync(&count_page_sync);
	g_page_syncs = 0;
	mo::redispatch(mo::dispatch_options{});
	EXPECT_STREQ("msync", mo::selected().flush);
	EXPECT_FALSE(mo::can_write_back_lines());
	const auto &cl = mo::ops(mo::granularity::cache_line);
	const auto &pg = mo::ops(mo::granularity::page);
	EXPECT_EQ(pg.persist, cl.persist);
	EXPECT_EQ(pg.flush, cl.flush);
	EXPECT_EQ(pg.drain, cl.drain);
	EXPECT_EQ(pg.memmove, cl.memmove);
	EXPECT_EQ(pg.memset, cl.memset);

	sigill_trap trap;
	char *const buf = g_buf;
	cl.memset(buf + 3, 0x11, 64 * 4, 0);
	cl.memmove(buf + 1024, buf, 300, 0);
	cl.persist(buf + 64, 65);
	cl.flush(buf, 1);
	cl.drain();
	mo::flush_lines(buf + 64, 65);
	mo::fence();
	const std::uint32_t crc = mo::copy_crc32c(buf + 2048, buf, 100, 0, mo::granularity::cache_line);
	EXPECT_EQ(mo::crc32c(0, buf, 100), crc);
	EXPECT_EQ(0u, g_traps.n + g_traps.other) << "a line write-back instruction ran";
	EXPECT_TRUE(rec.flushes.empty());
	// memset, memmove, persist, flush, flush_lines and copy_crc32c each
	// synced their range; the drain has nothing to do.
	ASSERT_EQ(6u, rec.syncs.size());
	EXPECT_EQ(6, g_page_syncs);
	EXPECT_EQ(std::make_pair(static_cast<const void *>(buf + 3), std::size_t{64 * 4}), rec.syncs[0]);
	EXPECT_EQ(std::make_pair(static_cast<const void *>(buf + 1024), std::size_t{300}), rec.syncs[1]);
	EXPECT_EQ(std::make_pair(static_cast<const void *>(buf + 64), std::size_t{65}), rec.syncs[2]);
	EXPECT_EQ(std::make_pair(static_cast<const void *>(buf + 64), std::size_t{65}), rec.syncs[4]);
	EXPECT_EQ(std::make_pair(static_cast<const void *>(buf + 2048), std::size_t{100}), rec.syncs[5]);
	EXPECT_EQ(0x11, buf[1024 + 3]);
}

INSTANTIATE_TEST_SUITE_P(Answers, Rv64NoZicbom, ::testing::Values(0L, -ENOSYS),
	[](const ::testing::TestParamInfo<long> &i) {
		return std::string(i.param == 0 ? "BitClear" : "Enosys");
	});

// The real instruction, where the kernel lets user space run it.
TEST_F(Rv64, CboCleanRunsWhereTheKernelReportsZicbom)
{
	if (!g_model->real_zicbom())
		GTEST_SKIP() << "skipped: the kernel reports no Zicbom (riscv_hwprobe ENOSYS or the bit "
				"clear; qemu-user 7.2 has neither hwprobe nor Zicbom), so CBO.CLEAN is run "
				"only trapped, by Rv64Zicbom.PersistCleansEveryBlockThenDrains";
	const std::size_t block = mo::cpu().cbom_block_size;
	counting rec;
	mo::set_recorder(&rec);
	mo::redispatch(mo::options_from_env());
	char *const buf = g_buf;
	mo::ops(mo::granularity::cache_line).memset(buf, 0x22, 512, 0);
	EXPECT_EQ(8u, rec.flushes.size()) << "block " << block;
	EXPECT_EQ(1, rec.fences_after_last_flush);
	EXPECT_EQ(0x22, buf[511]);
}
