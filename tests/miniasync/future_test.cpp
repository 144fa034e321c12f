// future.h: layouts, macros, polling, properties and chains.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "support/futures.hpp"
#include "support/wait.hpp"

using namespace pmem2::test;

TEST(FutureLayout, StructSizesAndOffsets)
{
	EXPECT_EQ(sizeof(future_context), 24u);
	EXPECT_EQ(offsetof(future_context, state), 16u);
	EXPECT_EQ(sizeof(future_waker), 16u);
	EXPECT_EQ(sizeof(future_poller), 8u);
	EXPECT_EQ(sizeof(future_notifier), 32u);
	EXPECT_EQ(offsetof(future_notifier, notifier_used), 24u);
	EXPECT_EQ(sizeof(future), 40u);
	EXPECT_EQ(offsetof(future, context), 16u);
	EXPECT_EQ(sizeof(future_chain_entry), 80u);
	EXPECT_EQ(offsetof(future_chain_entry, flags), 32u);
	EXPECT_EQ(offsetof(future_chain_entry, future), 40u);
	EXPECT_EQ(sizeof(_future_entry_type_regular), 1u);
	EXPECT_EQ(sizeof(_future_entry_type_last), 2u);
}

TEST(FutureLayout, EnumValues)
{
	EXPECT_EQ(FUTURE_STATE_IDLE, 0);
	EXPECT_EQ(FUTURE_STATE_COMPLETE, 1);
	EXPECT_EQ(FUTURE_STATE_RUNNING, 2);
	EXPECT_EQ(FUTURE_NOTIFIER_NONE, 0);
	EXPECT_EQ(FUTURE_NOTIFIER_WAKER, 1);
	EXPECT_EQ(FUTURE_NOTIFIER_POLLER, 2);
	EXPECT_EQ(FUTURE_PROPERTY_ASYNC, 0);
	EXPECT_EQ(FUTURE_CHAIN_ENTRY_REGULAR, 1);
	EXPECT_EQ(FUTURE_CHAIN_ENTRY_LAST, 2);
	EXPECT_EQ(FUTURE_CHAIN_FLAG_ENTRY_LAST, 1u);
	EXPECT_EQ(FUTURE_CHAIN_FLAG_ENTRY_PROCESSED, 2u);
	EXPECT_EQ(FUTURE_CHAIN_VALID_FLAGS, 3u);
}

TEST(FutureMacros, InitSetsContextOnly)
{
	struct countup_future f;
	std::memset(&f, 0xab, sizeof(f));
	FUTURE_INIT(&f, countup_task);
	EXPECT_EQ(f.base.task, &countup_task);
	EXPECT_EQ(f.base.has_property, &future_has_property_default);
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_IDLE);
	EXPECT_EQ(f.base.context.data_size, sizeof(countup_data));
	EXPECT_EQ(f.base.context.output_size, sizeof(countup_output));
	EXPECT_EQ(f.base.context.padding, 0u);
	EXPECT_EQ(f.data.counter, 0xababababababababull);	// untouched
	EXPECT_EQ(FUTURE_AS_RUNNABLE(&f), &f.base);
	EXPECT_EQ(FUTURE_DATA(&f), &f.data);
	EXPECT_EQ(FUTURE_OUTPUT(&f), &f.output);
	EXPECT_EQ(future_context_get_data(&f.base.context), static_cast<void *>(&f.data));
	EXPECT_EQ(future_context_get_output(&f.base.context), static_cast<void *>(&f.output));
	EXPECT_EQ(future_context_get_size(&f.base.context),
		sizeof(countup_data) + sizeof(countup_output));
	FUTURE_STATE(&f) = FUTURE_STATE_RUNNING;	// an lvalue
	EXPECT_EQ(f.base.context.state, FUTURE_STATE_RUNNING);
}

TEST(FutureMacros, InitExtAndComplete)
{
	struct countup_future f;
	FUTURE_INIT_EXT(&f, countup_task, async_property);
	EXPECT_EQ(future_has_property(&f.base, FUTURE_PROPERTY_ASYNC), 1);
	FUTURE_INIT_COMPLETE(&f);
	EXPECT_EQ(f.base.task, nullptr);
	EXPECT_EQ(f.base.has_property, nullptr);
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(f.base.context.data_size, sizeof(countup_data));
	// No task is called, no property function dereferenced.
	EXPECT_EQ(future_poll(&f.base, nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_has_property(&f.base, FUTURE_PROPERTY_ASYNC), 0);
	EXPECT_EQ(future_has_property_default(&f, FUTURE_PROPERTY_ASYNC), 0);
}

TEST(FuturePoll, RunsUntilCompleteThenNoOp)
{
	auto f = countup(3);
	future_notifier n{};
	n.notifier_used = FUTURE_NOTIFIER_WAKER;
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), &n), FUTURE_STATE_RUNNING);
	EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_NONE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 3u);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(f.data.polls, 3u);
}

TEST(FuturePoll, BusyPollIsABareWhile)
{
	auto f = countup(5);
	FUTURE_BUSY_POLL(&f)
	EXPECT_EQ(f.output.result, 5u);
	auto g = countup(2);
	if (true)
		FUTURE_BUSY_POLL(&g);	// with a semicolon too
	EXPECT_EQ(g.data.polls, 2u);
}

TEST(FuturePoll, MovedByValueBetweenPolls)
{
	auto f = countup(4);
	future_poll(FUTURE_AS_RUNNABLE(&f), nullptr);
	future_poll(FUTURE_AS_RUNNABLE(&f), nullptr);
	struct countup_future g;
	std::memcpy(&g, &f, sizeof(g));
	std::memset(&f, 0, sizeof(f));
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&g), nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&g), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(g.output.result, 4u);
}

namespace {
int woken_with = 0;
void wake_fn(void *data) { woken_with = *static_cast<int *>(data); }
} // namespace

TEST(FutureMacros, WakerWake)
{
	int value = 42;
	future_waker w{&value, wake_fn};
	FUTURE_WAKER_WAKE(&w);
	EXPECT_EQ(woken_with, 42);
}

// A chain of three countups plus trailing data after the LAST entry.
struct chain3_data {
	FUTURE_CHAIN_ENTRY(struct countup_future, a);
	FUTURE_CHAIN_ENTRY(struct countup_future, b);
	FUTURE_CHAIN_ENTRY_LAST(struct countup_future, c);
	std::uint64_t trailing;
	std::uint64_t init_runs;
	std::uint64_t log;	// order of callbacks, 4 bits each
};
struct chain3_output {
	std::uint64_t sum;
};
FUTURE(chain3_future, struct chain3_data, struct chain3_output);

namespace {

void log_event(struct future_context *chain_ctx, unsigned ev)
{
	auto *d = static_cast<chain3_data *>(future_context_get_data(chain_ctx));
	d->log = (d->log << 4) | ev;
}

struct map_arg {
	future_context *chain;
	unsigned event;
};

// a -> b: b counts up to a's result + 1.
void map_a_b(struct future_context *lhs, struct future_context *rhs, void *arg)
{
	auto *m = static_cast<map_arg *>(arg);
	log_event(m->chain, m->event);
	auto *out = static_cast<countup_output *>(future_context_get_output(lhs));
	auto *next = static_cast<countup_data *>(future_context_get_data(rhs));
	next->max = out->result + 1;
}

// the last entry -> the chain's own output.
void map_c_chain(struct future_context *lhs, struct future_context *rhs, void *arg)
{
	auto *m = static_cast<map_arg *>(arg);
	log_event(m->chain, m->event);
	EXPECT_EQ(rhs, m->chain);
	auto *out = static_cast<countup_output *>(future_context_get_output(lhs));
	static_cast<chain3_output *>(future_context_get_output(rhs))->sum = out->result * 100;
}

void lazy_init_c(void *future, struct future_context *chain_ctx, void *arg)
{
	auto *f = static_cast<struct countup_future *>(future);
	*f = countup(reinterpret_cast<std::uintptr_t>(arg));
	auto *d = static_cast<chain3_data *>(future_context_get_data(chain_ctx));
	d->init_runs++;
	log_event(chain_ctx, 0xc);
}

} // namespace

TEST(FutureChain, ThreeEntriesWithMapAndLazyInit)
{
	struct chain3_future ch;
	map_arg m1{&ch.base.context, 1}, m2{&ch.base.context, 2}, m3{&ch.base.context, 3};
	ch.data.trailing = 77;
	ch.data.init_runs = 0;
	ch.data.log = 0;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, countup(2), map_a_b, &m1);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(1), nullptr, nullptr);
	ch.data.b.map = map_a_b;	// set after init to check the member names
	ch.data.b.map_arg = &m2;
	FUTURE_CHAIN_ENTRY_LAZY_INIT(&ch.data.c, lazy_init_c, reinterpret_cast<void *>(std::uintptr_t(1)),
		map_c_chain, &m3);
	FUTURE_CHAIN_INIT(&ch);
	ch.output.sum = 0;

	auto *ea = reinterpret_cast<future_chain_entry *>(&ch.data.a);
	auto *eb = reinterpret_cast<future_chain_entry *>(&ch.data.b);
	auto *ec = reinterpret_cast<future_chain_entry *>(&ch.data.c);
	EXPECT_FALSE(FUTURE_CHAIN_ENTRY_IS_LAST(ea));
	EXPECT_TRUE(FUTURE_CHAIN_ENTRY_IS_LAST(ec));
	EXPECT_TRUE(FUTURE_CHAIN_ENTRY_IS_INITIALIZED(ea));
	EXPECT_FALSE(FUTURE_CHAIN_ENTRY_IS_INITIALIZED(ec));
	EXPECT_EQ(reinterpret_cast<char *>(eb) - reinterpret_cast<char *>(ea),
		std::ptrdiff_t(sizeof(future_chain_entry) + sizeof(countup_data) + sizeof(countup_output)));

	// Poll 1: a runs once (needs 2).
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_FALSE(FUTURE_CHAIN_ENTRY_IS_PROCESSED(ea));
	// Poll 2: a completes, map sets b.max = 3; b runs once.
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_TRUE(FUTURE_CHAIN_ENTRY_IS_PROCESSED(ea));
	EXPECT_EQ(ch.data.b.fut.data.max, 3u);
	EXPECT_EQ(ch.data.init_runs, 0u);

	// The chain is moved by value between polls.
	struct chain3_future moved;
	std::memcpy(&moved, &ch, sizeof(moved));
	std::memset(&ch, 0, sizeof(ch));
	m1.chain = m2.chain = m3.chain = &moved.base.context;

	EXPECT_EQ(future_poll(&moved.base, nullptr), FUTURE_STATE_RUNNING);
	// b completes on this poll: c's lazy init runs before b's map, which
	// then overrides c's max (1 -> 4); c runs once.
	EXPECT_EQ(future_poll(&moved.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(moved.data.init_runs, 1u);
	EXPECT_EQ(moved.data.c.fut.data.max, 4u);
	EXPECT_EQ(moved.data.log, 0x1c2u);
	FUTURE_BUSY_POLL(&moved)
	EXPECT_EQ(moved.output.sum, 400u);
	EXPECT_EQ(moved.data.log, 0x1c23u);
	EXPECT_EQ(moved.data.init_runs, 1u);
	EXPECT_EQ(moved.data.trailing, 77u);
	EXPECT_EQ(moved.data.a.fut.data.polls, 2u);	// never re-polled
	EXPECT_EQ(moved.data.b.fut.data.polls, 3u);
	EXPECT_EQ(moved.data.c.fut.data.polls, 4u);
}

struct chain2_data {
	FUTURE_CHAIN_ENTRY(struct countup_future, a);
	FUTURE_CHAIN_ENTRY(struct countup_future, b);
};
struct chain2_output {
	std::uint64_t unused;
};
FUTURE(chain2_future, struct chain2_data, struct chain2_output);

TEST(FutureChain, SynchronousEntriesCompleteInOnePoll)
{
	struct chain2_future ch;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, countup(1), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(1), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	// No LAST entry: the walk ends when used == data_size.
	EXPECT_EQ(ch.base.context.data_size, 2 * (sizeof(future_chain_entry) + 24 + 8));
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(ch.data.a.fut.output.result, 1u);
	EXPECT_EQ(ch.data.b.fut.output.result, 1u);
}

TEST(FutureChain, HasPropertyFollowsFirstUnprocessedEntry)
{
	struct chain2_future ch;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, countup(2), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(2, true), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	EXPECT_EQ(ch.base.has_property, &future_chain_has_property);
	EXPECT_EQ(future_has_property(&ch.base, FUTURE_PROPERTY_ASYNC), 0);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(future_has_property(&ch.base, FUTURE_PROPERTY_ASYNC), 1);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_COMPLETE);
	// Every entry processed: 0 (miniasync 0.2.1 returned -1).
	EXPECT_EQ(future_chain_has_property(&ch.base, FUTURE_PROPERTY_ASYNC), 0);
}

TEST(FutureChain, EntryWithCompleteFutureHasNoPropertyFunction)
{
	struct chain2_future ch;
	struct countup_future done;
	FUTURE_INIT_COMPLETE(&done);
	done.output.result = 9;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, done, nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(2), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	EXPECT_EQ(future_has_property(&ch.base, FUTURE_PROPERTY_ASYNC), 0);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_COMPLETE);
}

TEST(FutureChain, GetNextEntryAccountsAlignedSizes)
{
	struct chain3_future ch;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, countup(1), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(1), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.c, countup(1), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	auto *data = static_cast<std::uint8_t *>(future_context_get_data(&ch.base.context));
	std::size_t used = 0;
	auto *e = reinterpret_cast<future_chain_entry *>(data);
	e = get_next_future_chain_entry(&ch.base.context, e, data, &used);
	EXPECT_EQ(static_cast<void *>(e), static_cast<void *>(&ch.data.b));
	e = get_next_future_chain_entry(&ch.base.context, e, data, &used);
	EXPECT_EQ(static_cast<void *>(e), static_cast<void *>(&ch.data.c));
	EXPECT_EQ(get_next_future_chain_entry(&ch.base.context, e, data, &used), nullptr);
	EXPECT_EQ(used, 3 * (sizeof(future_chain_entry) + 32));
	EXPECT_TRUE(FUTURE_CHAIN_ENTRY_HAS_FLAG(reinterpret_cast<future_chain_entry *>(&ch.data.c),
		FUTURE_CHAIN_FLAG_ENTRY_LAST));
}
