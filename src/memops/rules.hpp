// The flag rules of the per-granularity memmove/memset entry points
// (DIFFERENCES.md S9.2-S9.4), stated once for every kernel family: which
// store kind a call gets (temporal or streaming, the non-temporal
// threshold), whether its lines are flushed, whether it ends with the drain
// (SFENCE) or a page sync; then the entry points' C signatures and a
// family's row of the dispatch table.
// Nothing here depends on an ISA: each kernel translation unit instantiates
// these rules over its own family. Internal to src/memops.
//
// A kernel family K gives the rules:
//   K::name              the row's name ("avx512f", "generic", ...)
//   K::streams           whether it has streaming kernels; a family without
//                        them (the fallbacks, DIFFERENCES.md S9.7) ignores the
//                        NONTEMPORAL/WC/TEMPORAL/WB hints and stores with its
//                        temporal kernels for every store kind
//   K::nt_skips_flush    its streaming stores reach memory by themselves, so
//                        its streaming kernels flush none of the lines they
//                        stream (x86-64); false when they are a cache hint
//                        and every line is flushed (aarch64 STNP)
//   K::borrows_temporal  its temporal kernels are another family's, installed
//                        at dispatch (MOVDIR64B): the row leaves their raw
//                        entries to dispatch
//   K::small_inline      whether the CACHE_LINE entry points store calls of at
//                        most one line themselves (see cl_gran)
//   K::memmove_t<F>, K::memset_t<F>    raw temporal kernels flushing with F
//   K::memmove_nt<F>, K::memset_nt<F>  raw streaming kernels (when streams)
// and, when small_inline, the names of its four kernels (memmove_t_name, ...)
// and its pieces of at most one line: small_copy(d, s, n), small_set(d, c, n)
// (regular stores), small_stream_copy<F>(d, s, n), small_stream_set<F>(d, c,
// n) (one streaming store, or false when the piece needs regular stores).
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/isa_ns.hpp"
#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"

#include <cstddef>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

// ---- the two operations ----------------------------------------------

// The two operations as the entry points see them, so each granularity's
// logic is written once: a copy from s (memmove, overlap-safe) or a fill
// with c (memset). Everything inlines; the entry points below stay as fast
// as hand-written pairs.
template <class K>
struct copy_op {
	const char *s;

	static constexpr const char *t_name() noexcept { return K::memmove_t_name; }
	static constexpr const char *nt_name() noexcept { return K::memmove_nt_name; }

	// memmove onto itself stores nothing (DIFFERENCES.md S9.3); memset always stores.
	bool stores(const char *d) const noexcept { return d != s; }
	void small(char *d, std::size_t n) const noexcept { K::small_copy(d, s, n); }
	template <class F>
	bool stream_small(char *d, std::size_t n) const noexcept
	{
		return K::template small_stream_copy<F>(d, s, n);
	}
	template <class F>
	void temporal(char *d, std::size_t n) const noexcept
	{
		K::template memmove_t<F>(d, s, n);
	}
	template <class F>
	void nontemporal(char *d, std::size_t n) const noexcept
	{
		if constexpr (K::streams)
			K::template memmove_nt<F>(d, s, n);
		else
			K::template memmove_t<F>(d, s, n);
	}
};

template <class K>
struct fill_op {
	int c;

	static constexpr const char *t_name() noexcept { return K::memset_t_name; }
	static constexpr const char *nt_name() noexcept { return K::memset_nt_name; }

	bool stores(const char *) const noexcept { return true; }
	void small(char *d, std::size_t n) const noexcept { K::small_set(d, c, n); }
	template <class F>
	bool stream_small(char *d, std::size_t n) const noexcept
	{
		return K::template small_stream_set<F>(d, c, n);
	}
	template <class F>
	void temporal(char *d, std::size_t n) const noexcept
	{
		K::template memset_t<F>(d, c, n);
	}
	template <class F>
	void nontemporal(char *d, std::size_t n) const noexcept
	{
		if constexpr (K::streams)
			K::template memset_nt<F>(d, c, n);
		else
			K::template memset_t<F>(d, c, n);
	}
};

// ---- per-granularity rules --------------------------------------------

// The priority of DIFFERENCES.md S9.3: NOFLUSH, then NONTEMPORAL|WC, then
// TEMPORAL|WB, then the length threshold.
inline bool cl_wants_nt(unsigned flags, std::size_t len) noexcept
{
	if (flags & (f_nontemporal | f_wc))
		return true;
	if (flags & (f_temporal | f_wb))
		return false;
	return len >= detail::g_movnt_threshold;
}

template <class F>
using noflush_of = flush_policy<flush_kind::none, F::recording>;

// CACHE_LINE (DIFFERENCES.md S9.2): nodrain kernel, then SFENCE unless NODRAIN or
// NOFLUSH. A zero length or a memmove onto itself stores nothing but still
// drains.
template <class K, class F>
struct cl_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		if constexpr (K::small_inline) {
			// Up to one line: inline, without a call. A streaming store
			// kind streams a line-aligned whole line or 32/16/8/4-byte piece
			// (as the non-temporal kernels do); anything else is a regular
			// store plus a flush, whatever the store kind.
			if (len - 1 < line_size) {
				if (op.stores(d)) {
					const bool nt = !(flags & f_noflush) && cl_wants_nt(flags, len);
					if constexpr (F::recording)
						F::kernel(nt ? Op::nt_name() : Op::t_name());
					if (nt && op.template stream_small<F>(d, len)) {
						if constexpr (F::fence_after_nt)
							F::sfence();
					} else {
						op.small(d, len);
						if (!(flags & f_noflush))
							F::range(d, len);
					}
				}
				// The drain, as below.
				if (!(flags & (f_nodrain | f_noflush)))
					F::sfence();
				return;
			}
		}
		if (len != 0 && op.stores(d)) [[likely]] {
			if (flags & f_noflush)
				op.template temporal<noflush_of<F>>(d, len);
			else if (cl_wants_nt(flags, len))
				op.template nontemporal<F>(d, len);
			else
				op.template temporal<F>(d, len);
		}
		// The drain: makes the flushes and streaming stores above durable
		// before the caller's next store.
		if (!(flags & (f_nodrain | f_noflush)))
			F::sfence();
	}
};

// BYTE (eADR, DIFFERENCES.md S9.4): caches are persistent, so nothing is flushed;
// streaming stores only on an explicit NONTEMPORAL (WC ignored, threshold
// ignored). The SFENCE still orders the stores (and drains streaming ones).
// Deliberate difference (DIFFERENCES.md A32): the fallbacks too use the "none" flush
// policy here, so no family issues flush instructions on eADR maps.
template <class K, bool Rec>
struct byte_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		using N = flush_policy<flush_kind::none, Rec>;
		if (len != 0 && op.stores(d)) [[likely]] {
			if ((flags & (f_noflush | f_nontemporal)) == f_nontemporal)
				op.template nontemporal<N>(d, len);
			else
				op.template temporal<N>(d, len);
		}
		// Orders the stores above before the caller's next store.
		if (!(flags & (f_nodrain | f_noflush)))
			N::sfence();
	}
};

// PAGE (DIFFERENCES.md S9.2, deliberately different per DIFFERENCES.md A33): the store kind is
// chosen as for CACHE_LINE, but no CPU cache line is flushed, because the
// msync of page_sync() is what makes page-cache data durable; then
// page_sync() unless NOFLUSH (NODRAIN has no effect). Streaming variants
// fence inside the kernel, so their stores are globally visible before msync.
template <class K, bool Rec>
struct page_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		using N = flush_policy<flush_kind::none, Rec>;
		if (len != 0 && op.stores(d)) [[likely]] {
			if (!(flags & f_noflush) && cl_wants_nt(flags, len))
				op.template nontemporal<N>(d, len);
			else
				op.template temporal<N>(d, len);
		}
		if (!(flags & f_noflush))
			page_sync(d, len);
	}
};

// The C signatures of the dispatch table over one granularity's logic G.
template <class K, class G>
void *memmove_entry(void *dest, const void *src, std::size_t len, unsigned flags) noexcept
{
	G::run(static_cast<char *>(dest), len, flags, copy_op<K>{static_cast<const char *>(src)});
	return dest;
}

template <class K, class G>
void *memset_entry(void *dest, int c, std::size_t len, unsigned flags) noexcept
{
	G::run(static_cast<char *>(dest), len, flags, fill_op<K>{c});
	return dest;
}

// ---- the family's row of the dispatch table --------------------------

template <class K, class G>
constexpr detail::entry_pair entries()
{
	return {&memmove_entry<K, G>, &memset_entry<K, G>};
}

template <class K, flush_kind Kind, bool R>
constexpr detail::entry_pair cl_pair()
{
	return entries<K, cl_gran<K, flush_policy<Kind, R>>>();
}

// The raw kernels by flush kind; a family without streaming kernels stores
// its temporal ones in the streaming entries too.
template <class K, flush_kind Kind>
constexpr void fill_raw(detail::kernel_set &k)
{
	constexpr int i = static_cast<int>(Kind);
	using F0 = flush_policy<Kind, false>;
	using F1 = flush_policy<Kind, true>;
	if constexpr (!K::borrows_temporal) {
		k.memmove_t[i][0] = K::template memmove_t<F0>;
		k.memmove_t[i][1] = K::template memmove_t<F1>;
		k.memset_t[i][0] = K::template memset_t<F0>;
		k.memset_t[i][1] = K::template memset_t<F1>;
	}
	if constexpr (K::streams) {
		k.memmove_nt[i][0] = K::template memmove_nt<F0>;
		k.memmove_nt[i][1] = K::template memmove_nt<F1>;
		k.memset_nt[i][0] = K::template memset_nt<F0>;
		k.memset_nt[i][1] = K::template memset_nt<F1>;
	} else {
		k.memmove_nt[i][0] = K::template memmove_t<F0>;
		k.memmove_nt[i][1] = K::template memmove_t<F1>;
		k.memset_nt[i][0] = K::template memset_t<F0>;
		k.memset_nt[i][1] = K::template memset_t<F1>;
	}
}

template <class K>
constexpr detail::kernel_set make_kernel_set()
{
	detail::kernel_set k{};
	k.name = K::name;
	k.streams = K::streams;
	k.nt_skips_flush = K::nt_skips_flush;
	k.cache_line[0][0] = cl_pair<K, flush_kind::clwb, false>();
	k.cache_line[0][1] = cl_pair<K, flush_kind::clwb, true>();
	k.cache_line[1][0] = cl_pair<K, flush_kind::clflushopt, false>();
	k.cache_line[1][1] = cl_pair<K, flush_kind::clflushopt, true>();
	k.cache_line[2][0] = cl_pair<K, flush_kind::clflush, false>();
	k.cache_line[2][1] = cl_pair<K, flush_kind::clflush, true>();
	k.byte[0] = entries<K, byte_gran<K, false>>();
	k.byte[1] = entries<K, byte_gran<K, true>>();
	k.page[0] = entries<K, page_gran<K, false>>();
	k.page[1] = entries<K, page_gran<K, true>>();
	fill_raw<K, flush_kind::clwb>(k);
	fill_raw<K, flush_kind::clflushopt>(k);
	fill_raw<K, flush_kind::clflush>(k);
	fill_raw<K, flush_kind::none>(k);
	return k;
}

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
