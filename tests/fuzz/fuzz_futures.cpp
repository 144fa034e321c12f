// Futures and chains: random sets of futures (user futures, vdm operations
// on every mover, pmem2 futures on maps with the default and the threads
// mover, three-entry chains with lazily initialised entries) polled in a
// random order, singly or through runtime_wait_multiple. Every future must
// complete exactly once with the right output and the right bytes.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "miniasync/internal.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::fuzz::input;

[[noreturn]] void fail(const char *what, std::size_t i)
{
	std::fprintf(stderr, "future %zu: %s\n", i, what);
	std::abort();
}

// Completes after `max` polls.
struct countup_data {
	std::uint64_t counter, max;
};
struct countup_output {
	std::uint64_t result;
};
FUTURE(countup_future, struct countup_data, struct countup_output);

enum future_state countup_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<countup_data *>(future_context_get_data(ctx));
	auto *o = static_cast<countup_output *>(future_context_get_output(ctx));
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (++d->counter < d->max)
		return FUTURE_STATE_RUNNING;
	o->result = d->counter;
	return FUTURE_STATE_COMPLETE;
}

struct countup_future countup(std::uint64_t max)
{
	struct countup_future f;
	f.data = {0, max};
	f.output.result = 0;
	FUTURE_INIT(&f, countup_task);
	return f;
}

// wait k polls -> copy src to dst -> set the first m bytes of dst to c.
struct chain_params {
	vdm *v;
	unsigned char *dst, *src;
	std::size_t n, m;
	int c;
};
struct chain_data {
	FUTURE_CHAIN_ENTRY(struct countup_future, wait);
	FUTURE_CHAIN_ENTRY(struct vdm_operation_future, copy);
	FUTURE_CHAIN_ENTRY_LAST(struct vdm_operation_future, set);
};
struct chain_output {
	std::uint64_t steps;
};
FUTURE(chain_future, struct chain_data, struct chain_output);

void init_copy(void *fut, struct future_context *, void *arg)
{
	auto *p = static_cast<chain_params *>(arg);
	*static_cast<vdm_operation_future *>(fut) = vdm_memcpy(p->v, p->dst, p->src, p->n, 0);
}
void init_set(void *fut, struct future_context *, void *arg)
{
	auto *p = static_cast<chain_params *>(arg);
	*static_cast<vdm_operation_future *>(fut) = vdm_memset(p->v, p->dst, p->c, p->m, 0);
}
void count_step(struct future_context *, struct future_context *chain, void *)
{
	// chain is the next entry's context or the chain's own for the last.
	(void)chain;
}
void last_step(struct future_context *, struct future_context *chain, void *)
{
	static_cast<chain_output *>(future_context_get_output(chain))->steps = 3;
}

constexpr std::size_t max_futs = 12, region = 64 * 1024;

struct globals {
	data_mover_threads *dmt[3];
	data_mover_sync *dms;
	vdm *movers[4];
	pmem2_map *map[2];	// default mover, threads mover
	pmem2_source *src;
	unsigned char pattern[region];
	globals()
	{
		dmt[0] = data_mover_threads_new(2, 4, FUTURE_NOTIFIER_WAKER);
		dmt[1] = data_mover_threads_new(3, 8, FUTURE_NOTIFIER_POLLER);
		dmt[2] = data_mover_threads_new(1, 2, FUTURE_NOTIFIER_NONE);
		dms = data_mover_sync_new();
		if (!dmt[0] || !dmt[1] || !dmt[2] || !dms)
			std::abort();
		pmem2::masync::set_split(dmt[1], 8192, 4096);
		for (int i = 0; i < 3; ++i)
			movers[i] = data_mover_threads_get_vdm(dmt[i]);
		movers[3] = data_mover_sync_get_vdm(dms);
		if (pmem2_source_from_anon(&src, max_futs * region) != 0)
			std::abort();
		for (int i = 0; i < 2; ++i) {
			pmem2_config *cfg;
			if (pmem2_config_new(&cfg) != 0 ||
			    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) != 0)
				std::abort();
			if (i == 1)
				pmem2_config_set_vdm(cfg, movers[0]);
			if (pmem2_map_new(&map[i], cfg, src) != 0)
				std::abort();
			pmem2_config_delete(&cfg);
		}
		for (std::size_t i = 0; i < region; ++i)
			pattern[i] = static_cast<unsigned char>(i * 7 + 3);
	}
};

globals &g()
{
	static globals *gl = new globals;
	return *gl;
}

enum kind { k_countup, k_vdm_copy, k_vdm_set, k_pmem2_copy, k_pmem2_set, k_chain, k_count };

struct slot {
	kind k;
	struct countup_future cu;
	struct vdm_operation_future vf;
	struct pmem2_future pf;
	struct chain_future ch;
	chain_params params;
	std::uint64_t max = 0;
	unsigned char *dst = nullptr;
	std::size_t n = 0, m = 0;
	int c = 0;
	bool done = false;
	std::vector<unsigned char> heap;

	struct future *fut()
	{
		switch (k) {
		case k_countup: return FUTURE_AS_RUNNABLE(&cu);
		case k_vdm_copy:
		case k_vdm_set: return FUTURE_AS_RUNNABLE(&vf);
		case k_pmem2_copy:
		case k_pmem2_set: return FUTURE_AS_RUNNABLE(&pf);
		default: return FUTURE_AS_RUNNABLE(&ch);
		}
	}
};

void verify(slot &s, std::size_t i)
{
	const unsigned char *pat = g().pattern;
	switch (s.k) {
	case k_countup:
		if (FUTURE_OUTPUT(&s.cu)->result != s.max)
			fail("countup output", i);
		return;
	case k_vdm_copy:
	case k_pmem2_copy:
		if (s.k == k_pmem2_copy && FUTURE_OUTPUT(&s.pf)->result != 0)
			fail("pmem2 copy result", i);
		if (s.k == k_vdm_copy && FUTURE_OUTPUT(&s.vf)->result != VDM_SUCCESS)
			fail("vdm copy result", i);
		if (std::memcmp(s.dst, pat, s.n) != 0)
			fail("copied bytes", i);
		return;
	case k_vdm_set:
	case k_pmem2_set:
		if (s.k == k_pmem2_set && FUTURE_OUTPUT(&s.pf)->result != 0)
			fail("pmem2 set result", i);
		for (std::size_t j = 0; j < s.n; ++j)
			if (s.dst[j] != static_cast<unsigned char>(s.c))
				fail("set bytes", i);
		return;
	default:
		if (FUTURE_OUTPUT(&s.ch)->steps != 3)
			fail("chain output", i);
		for (std::size_t j = 0; j < s.n; ++j)
			if (s.dst[j] != (j < s.m ? static_cast<unsigned char>(s.c) : pat[j]))
				fail("chain bytes", i);
		return;
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	input in(data, size);
	globals &gl = g();
	std::size_t n = 1 + in.below(max_futs);
	std::vector<slot> s(n);
	for (std::size_t i = 0; i < n; ++i) {
		slot &x = s[i];
		x.k = static_cast<kind>(in.byte() % k_count);
		x.n = in.flip() ? in.below(300) : in.below(region + 1);
		x.c = in.byte();
		vdm *v = gl.movers[in.byte() % 4];
		bool on_map = x.k == k_pmem2_copy || x.k == k_pmem2_set;
		pmem2_map *map = gl.map[in.byte() % 2];
		if (on_map) {
			x.dst = static_cast<unsigned char *>(pmem2_map_get_address(map)) + i * region;
		} else {
			x.heap.assign(region, 0);
			x.dst = x.heap.data();
		}
		std::memset(x.dst, 0, region);
		unsigned flags = in.byte() & (PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_TEMPORAL);
		switch (x.k) {
		case k_countup:
			x.max = 1 + in.below(5);
			x.cu = countup(x.max);
			break;
		case k_vdm_copy:
			x.vf = vdm_memcpy(v, x.dst, gl.pattern, x.n, 0);
			break;
		case k_vdm_set:
			x.vf = vdm_memset(v, x.dst, x.c, x.n, 0);
			break;
		case k_pmem2_copy:
			x.pf = pmem2_memcpy_async(map, x.dst, gl.pattern, x.n, flags);
			break;
		case k_pmem2_set:
			x.pf = pmem2_memset_async(map, x.dst, x.c, x.n, flags);
			break;
		default:
			x.m = in.below(x.n + 1);
			x.params = {v, x.dst, gl.pattern, x.n, x.m, x.c};
			FUTURE_CHAIN_ENTRY_INIT(&x.ch.data.wait, countup(1 + in.below(4)), count_step, nullptr);
			FUTURE_CHAIN_ENTRY_LAZY_INIT(&x.ch.data.copy, init_copy, &x.params, count_step, nullptr);
			FUTURE_CHAIN_ENTRY_LAZY_INIT(&x.ch.data.set, init_set, &x.params, last_step, nullptr);
			FUTURE_CHAIN_INIT(&x.ch);
			x.ch.output.steps = 0;
			break;
		}
	}
	// Random completion order: poll one, or wait for a random subset.
	runtime *rt = runtime_new();
	std::size_t left = n;
	for (int step = 0; left != 0 && step < 400; ++step) {
		if (in.empty())
			break;
		if (in.byte() % 8 == 0) {
			std::vector<future *> subset;
			for (std::size_t i = 0; i < n; ++i)
				if (in.flip())
					subset.push_back(s[i].fut());	// complete ones too
			runtime_wait_multiple(rt, subset.data(), subset.size());
		} else {
			slot &x = s[in.below(n)];
			future_poll(x.fut(), nullptr);
		}
		left = 0;
		for (std::size_t i = 0; i < n; ++i) {
			if (!s[i].done && s[i].fut()->context.state == FUTURE_STATE_COMPLETE) {
				s[i].done = true;
				verify(s[i], i);
			}
			left += !s[i].done;
		}
	}
	std::vector<future *> all;
	for (auto &x : s)
		all.push_back(x.fut());
	runtime_wait_multiple(rt, all.data(), all.size());
	runtime_delete(rt);
	for (std::size_t i = 0; i < n; ++i) {
		if (s[i].fut()->context.state != FUTURE_STATE_COMPLETE)
			fail("not complete after runtime_wait_multiple", i);
		verify(s[i], i);
	}
	return 0;
}
