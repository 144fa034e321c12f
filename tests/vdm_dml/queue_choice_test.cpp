// Which work queue an operation goes to: in turn (ANY), by the caller's
// node, by the destination's node, falling back to any queue in turn when
// the node asked for has none; one queue is always that queue.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>

#include <memory>
#include <vector>

#include "vdm_dml/queue_choice.hpp"

using pmem2::vdm_dml::attached_queue;
using pmem2::vdm_dml::queue_choice;

namespace {

std::vector<std::unique_ptr<attached_queue>> queues_on(std::vector<int> nodes)
{
	std::vector<std::unique_ptr<attached_queue>> qs;
	for (int n : nodes) {
		qs.push_back(std::make_unique<attached_queue>());
		qs.back()->queue.numa_node = n;
	}
	return qs;
}

std::size_t index_of(const std::vector<std::unique_ptr<attached_queue>> &qs,
	const pmem2::dsa::queue_link &l)
{
	for (std::size_t i = 0; i < qs.size(); ++i)
		if (&qs[i]->link == &l)
			return i;
	ADD_FAILURE() << "not one of the queues";
	return 0;
}

int node_seen = 0;
char far_memory;

} // namespace

TEST(QueueChoice, OneQueueIsAlwaysIt)
{
	auto qs = queues_on({3});
	queue_choice c;
	c.set(DATA_MOVER_DML_NUMA_DESTINATION, qs);
	EXPECT_EQ(&c.pick(nullptr), &qs[0]->link);
	EXPECT_EQ(&c.pick(&far_memory), &qs[0]->link);
}

TEST(QueueChoice, AnyTakesTheQueuesInTurn)
{
	auto qs = queues_on({0, 0, 1});
	queue_choice c;
	c.set(DATA_MOVER_DML_NUMA_ANY, qs);
	std::vector<int> hits(3);
	for (int i = 0; i < 30; ++i)
		++hits[index_of(qs, c.pick(nullptr))];
	EXPECT_EQ(hits, std::vector<int>({10, 10, 10}));
}

TEST(QueueChoice, LocalQueuesFirstThenAny)
{
	auto qs = queues_on({0, 1, 1, -1});
	pmem2::vdm_dml::set_node_functions([](const void *) { return node_seen; },
		[](const void *p) { return p == &far_memory ? 1 : 0; });
	queue_choice dest;
	dest.set(DATA_MOVER_DML_NUMA_DESTINATION, qs);
	for (int i = 0; i < 4; ++i) {
		auto *l = &dest.pick(&far_memory);
		EXPECT_TRUE(l == &qs[1]->link || l == &qs[2]->link);
	}
	char near = 0;
	EXPECT_EQ(&dest.pick(&near), &qs[0]->link);
	queue_choice caller;
	caller.set(DATA_MOVER_DML_NUMA_CALLER, qs);
	node_seen = 0;
	EXPECT_EQ(&caller.pick(&far_memory), &qs[0]->link);
	node_seen = 9;	// a node without queues: any of the four
	std::vector<int> hits(4);
	for (int i = 0; i < 8; ++i)
		++hits[index_of(qs, caller.pick(nullptr))];
	EXPECT_EQ(hits, std::vector<int>({2, 2, 2, 2}));
	pmem2::vdm_dml::set_node_functions(nullptr, nullptr);
}
