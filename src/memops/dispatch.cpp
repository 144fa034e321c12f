// Runtime dispatch: the table of kernel families (best first), the
// per-granularity function tables, options from the environment, page sync
// and the recorder seam.
#include "memops/dispatch_arch.hpp"
#include "memops/flush.hpp"
#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace pmem2::memops {

namespace detail {

std::atomic<recorder *> g_recorder{nullptr};
std::size_t g_movnt_threshold = 256;
bool g_wc_workaround = false;
int g_flush_index = static_cast<int>(flush_kind::clflush);
bool g_recording = false;
bool g_line_write_back = true;

namespace {

// CACHE_LINE flush/persist/drain (DIFFERENCES.md S8.2).
template <flush_kind K, bool R>
void cl_flush(const void *p, std::size_t n)
{
	flush_policy<K, R>::range(p, n);
}

template <flush_kind K, bool R>
void cl_persist(const void *p, std::size_t n)
{
	flush_policy<K, R>::range(p, n);
	// Orders the write-backs before any later store (and is needed even
	// with CLFLUSH, which is ordered only against other stores and flushes).
	flush_policy<K, R>::sfence();
}

// The drain: completes earlier flushes (of slot K's instruction) and
// streaming stores.
template <flush_kind K, bool R>
void sfence_drain()
{
	flush_policy<K, R>::sfence();
}

// BYTE (DIFFERENCES.md S8.3): the caches are in the persistence domain, so flush issues
// nothing and persist is the ordering fence only.
void byte_flush(const void *, std::size_t) {}

template <bool R>
void byte_persist(const void *, std::size_t)
{
	// Orders the earlier stores (streaming ones included) before later ones.
	flush_policy<flush_kind::none, R>::sfence();
}

// PAGE (DIFFERENCES.md S8.1): flush == persist == page sync; drain has nothing to do.
void page_flush(const void *p, std::size_t n)
{
	page_sync(p, n);
}

void noop_drain() {}

// fence() for other components: completes their flushes (flush_lines(),
// slot K's instruction) and streaming stores before their next store.
template <flush_kind K, bool R>
void any_fence()
{
	flush_policy<K, R>::sfence();
}

using range_fn = void (*)(const void *, std::size_t);

constexpr range_fn k_cl_flush[3][2] = {
	{&cl_flush<flush_kind::clwb, false>, &cl_flush<flush_kind::clwb, true>},
	{&cl_flush<flush_kind::clflushopt, false>, &cl_flush<flush_kind::clflushopt, true>},
	{&cl_flush<flush_kind::clflush, false>, &cl_flush<flush_kind::clflush, true>},
};
constexpr range_fn k_cl_persist[3][2] = {
	{&cl_persist<flush_kind::clwb, false>, &cl_persist<flush_kind::clwb, true>},
	{&cl_persist<flush_kind::clflushopt, false>, &cl_persist<flush_kind::clflushopt, true>},
	{&cl_persist<flush_kind::clflush, false>, &cl_persist<flush_kind::clflush, true>},
};

// The drain each flush slot needs, as one function per distinct drain
// (flush_arch.hpp arch_drain_slot): where the drain does not depend on the
// flush, every slot gets the BYTE tables' drain and fence.
constexpr flush_kind drain_kind(int slot)
{
	return static_cast<flush_kind>(arch_drain_slot(slot));
}
constexpr void (*k_drain[3][2])() = {
	{&sfence_drain<drain_kind(0), false>, &sfence_drain<drain_kind(0), true>},
	{&sfence_drain<drain_kind(1), false>, &sfence_drain<drain_kind(1), true>},
	{&sfence_drain<drain_kind(2), false>, &sfence_drain<drain_kind(2), true>},
};
constexpr void (*k_fence[3][2])() = {
	{&any_fence<drain_kind(0), false>, &any_fence<drain_kind(0), true>},
	{&any_fence<drain_kind(1), false>, &any_fence<drain_kind(1), true>},
	{&any_fence<drain_kind(2), false>, &any_fence<drain_kind(2), true>},
};

ops_table g_tables[3];
selection g_selection;
const kernel_set *g_current = nullptr;
range_fn g_flush_lines = nullptr;
void (*g_fence)() = nullptr;
std::atomic<bool> g_ready{false};

long page_size() noexcept
{
	static const long size = [] {
		long s = sysconf(_SC_PAGESIZE);
		return s > 0 ? s : 4096L;
	}();
	return size;
}

// Default checked page sync: msync the page-rounded range (MS_SYNC, EINTR
// retried); 0, or -errno of the failure. ENOMEM (nothing mapped there)
// leaves nothing to make durable and counts as success.
int default_page_sync_checked(const void *ptr, std::size_t len)
{
	const auto a = reinterpret_cast<std::uintptr_t>(ptr);
	const auto base = a & ~static_cast<std::uintptr_t>(page_size() - 1);
	len += a - base;
	while (msync(reinterpret_cast<void *>(base), len, MS_SYNC) != 0) {
		int err = errno;
		if (err == EINTR)
			continue;
		return err == ENOMEM ? 0 : -err;
	}
	return 0;
}

// Default page sync, for callers before libpmem2 installs its
// registry-aware version. There is no error channel, and returning after a
// failed msync would claim durability falsely, so a failure stops the
// process, as libpmem2's persist does (DIFFERENCES.md S8.1). Callers with an error
// channel (the threads mover's workers) use page_sync_checked() instead.
void default_page_sync(const void *ptr, std::size_t len)
{
	int r = default_page_sync_checked(ptr, len);
	if (r == 0)
		return;
	const auto a = reinterpret_cast<std::uintptr_t>(ptr);
	const auto base = a & ~static_cast<std::uintptr_t>(page_size() - 1);
	char line[160];
	int n = std::snprintf(line, sizeof(line),
		"libpmem2: fatal: msync(%p, %zu) failed during persist: errno %d\n",
		reinterpret_cast<void *>(base), len + (a - base), -r);
	if (n > 0) {
		ssize_t w = ::write(STDERR_FILENO, line, std::size_t(n) < sizeof(line) ? std::size_t(n) : sizeof(line) - 1);
		(void)w;
	}
	std::abort();
}

std::atomic<page_sync_fn> g_page_sync{&default_page_sync};
std::atomic<page_sync_checked_fn> g_page_sync_checked{&default_page_sync_checked};

// Set by a live page_sync_errors on this thread: page_sync() then reports
// failures there instead of calling the installed (stopping) function.
thread_local int *t_sync_error = nullptr;

// First use (from ops() or the load-time constructor, whichever is first):
// other libraries' constructors may reach ops() before ours has run.
void ensure_init() noexcept
{
	if (g_ready.load(std::memory_order_acquire)) [[likely]]
		return;
	static std::once_flag once;
	std::call_once(once, [] { redispatch(options_from_env()); });
}

__attribute__((constructor)) void init_at_load()
{
	ensure_init();
}

} // namespace

std::span<const implementation> implementations() noexcept
{
	return arch_implementations();
}

unsigned kernel_features(const cpu_features &c) noexcept
{
	unsigned f = 0;
	if (c.sse2)
		f |= feature_sse2;
	if (c.avx)
		f |= feature_avx;
	if (c.avx512f)
		f |= feature_avx512f;
	if (c.movdir64b)
		f |= feature_movdir64b;
	if (c.asimd)
		f |= feature_asimd;
	return f;
}

const kernel_set &current_kernels() noexcept
{
	ensure_init();
	return *g_current;
}

} // namespace detail

using namespace detail;

const ops_table &ops(granularity g) noexcept
{
	ensure_init();
	return g_tables[static_cast<int>(g)];
}

const selection &selected() noexcept
{
	ensure_init();
	return g_selection;
}

dispatch_options options_from_env() noexcept
{
	auto equals = [](const char *name, const char *value) {
		const char *e = std::getenv(name);
		return e != nullptr && std::strcmp(e, value) == 0;
	};
	dispatch_options o;
	o.no_clwb = equals("PMEM_NO_CLWB", "1");
	o.no_clflushopt = equals("PMEM_NO_CLFLUSHOPT", "1");
	o.no_movnt = equals("PMEM_NO_MOVNT", "1");
	o.avx = !equals("PMEM_AVX", "0");
	o.avx512f = !equals("PMEM_AVX512F", "0");
	const char *md = std::getenv("PMEM_MOVDIR64B");
	o.movdir64b = md != nullptr && std::strcmp(md, "0") != 0;
	if (const char *t = std::getenv("PMEM_MOVNT_THRESHOLD")) {
		const long long v = std::atoll(t);
		if (v >= 0)
			o.movnt_threshold = v;
	}
	if (equals("PMEM_WC_WORKAROUND", "1"))
		o.wc_workaround = 1;
	else if (equals("PMEM_WC_WORKAROUND", "0"))
		o.wc_workaround = 0;
	if (const char *g = std::getenv("PMEM_NO_GENERIC_MEMCPY"))
		o.no_generic_memcpy = std::atoll(g) != 0;
	return o;
}

void redispatch(const dispatch_options &opt) noexcept
{
	const cpu_features &c = cpu();

	const kernel_set *set;
	const kernel_set *top;
	int k = arch_flush_index(c, opt);
	if (opt.no_movnt) {
		set = opt.no_generic_memcpy ? &kernels_libc() : &kernels_generic();
		top = set;
	} else {
		const arch_choice a = arch_kernels(c, opt);
		set = a.set;
		top = a.top;
		k = a.flush;
	}

	// A CPU without a line write-back instruction user space may run
	// (riscv64 without Zicbom) gets no CACHE_LINE functions that would run
	// one: that table is the PAGE table, and flush_lines() page-syncs.
	const bool lines = !opt.no_line_write_back && arch_line_write_back(c);

	const int r = g_recorder.load(std::memory_order_relaxed) != nullptr;
	ops_table &by = g_tables[static_cast<int>(granularity::byte)];
	by.memmove = top->byte[r].memmove;
	by.memset = top->byte[r].memset;
	by.persist = r ? &byte_persist<true> : &byte_persist<false>;
	by.flush = &byte_flush;
	by.drain = r ? &sfence_drain<flush_kind::none, true> : &sfence_drain<flush_kind::none, false>;

	ops_table &pg = g_tables[static_cast<int>(granularity::page)];
	pg.memmove = top->page[r].memmove;
	pg.memset = top->page[r].memset;
	pg.persist = &page_flush;
	pg.flush = &page_flush;
	pg.drain = &noop_drain;

	ops_table &cl = g_tables[static_cast<int>(granularity::cache_line)];
	if (lines) {
		cl.memmove = top->cache_line[k][r].memmove;
		cl.memset = top->cache_line[k][r].memset;
		cl.persist = k_cl_persist[k][r];
		cl.flush = k_cl_flush[k][r];
		cl.drain = k_drain[k][r];
	} else {
		cl = pg;
	}

	g_flush_index = k;
	g_recording = r != 0;
	g_line_write_back = lines;
	g_flush_lines = lines ? k_cl_flush[k][r] : &page_flush;
	g_fence = k_fence[k][r];

	g_movnt_threshold = opt.movnt_threshold >= 0
		? static_cast<std::size_t>(opt.movnt_threshold) : 256;
	g_wc_workaround = opt.wc_workaround < 0 ? arch_wc_default(c) : opt.wc_workaround != 0;
	g_current = set;
	g_selection = {set->name, top->name, lines ? arch_flush_names[k] : "msync",
		g_movnt_threshold, g_wc_workaround};
	g_ready.store(true, std::memory_order_release);
}

bool can_write_back_lines() noexcept
{
	ensure_init();
	return g_line_write_back;
}

void set_page_sync(page_sync_fn fn) noexcept
{
	g_page_sync.store(fn ? fn : &default_page_sync, std::memory_order_release);
}

void set_page_sync_checked(page_sync_checked_fn fn) noexcept
{
	g_page_sync_checked.store(fn ? fn : &default_page_sync_checked, std::memory_order_release);
}

// The recorder hears of the sync before the msync runs (the range it names
// is the caller's, not rounded to pages).
void page_sync(const void *ptr, std::size_t len) noexcept
{
	if (recorder *r = g_recorder.load(std::memory_order_relaxed))
		r->on_page_sync(ptr, len);
	if (int *err = t_sync_error) [[unlikely]] {
		int r = g_page_sync_checked.load(std::memory_order_acquire)(ptr, len);
		if (r != 0 && *err == 0)
			*err = r;
		return;
	}
	g_page_sync.load(std::memory_order_acquire)(ptr, len);
}

int page_sync_checked(const void *ptr, std::size_t len) noexcept
{
	if (recorder *r = g_recorder.load(std::memory_order_relaxed))
		r->on_page_sync(ptr, len);
	return g_page_sync_checked.load(std::memory_order_acquire)(ptr, len);
}

page_sync_errors::page_sync_errors() noexcept : prev_(t_sync_error)
{
	t_sync_error = &error_;
}

page_sync_errors::~page_sync_errors()
{
	t_sync_error = prev_;
}

void set_recorder(recorder *r) noexcept
{
	g_recorder.store(r, std::memory_order_relaxed);
}

recorder *current_recorder() noexcept
{
	return g_recorder.load(std::memory_order_relaxed);
}

void flush_lines(const void *ptr, std::size_t len) noexcept
{
	ensure_init();
	g_flush_lines(ptr, len);
}

void fence() noexcept
{
	ensure_init();
	g_fence();
}

} // namespace pmem2::memops
