// Which of a mover's work queues an operation goes to, by the NUMA policy
// of its config: the queues in turn (ANY, or a node number: the mover then
// holds only that node's queues), those on the submitting thread's node
// first (CALLER), or those on the node of the destination's memory first
// (DESTINATION); a policy with no queue on the node it asks for takes any
// queue, in turn.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/export.hpp"
#include "dsa/job.hpp"
#include "dsa/portal.hpp"
#include "dsa/work_queue.hpp"

namespace pmem2::vdm_dml {

// One work queue a mover sends to.
struct attached_queue {
	dsa::work_queue queue;
	std::unique_ptr<dsa::portal> portal;
	dsa::queue_link link;
};

class queue_choice {
public:
	// `numa`: DATA_MOVER_DML_NUMA_* or a node; `queues` non-empty.
	void set(int numa, const std::vector<std::unique_ptr<attached_queue>> &queues);
	dsa::queue_link &pick(const void *dest) noexcept;

private:
	dsa::queue_link &in_turn(const std::vector<dsa::queue_link *> &among) noexcept;

	int numa_ = -1;
	std::vector<dsa::queue_link *> all_;
	std::vector<std::vector<dsa::queue_link *>> by_node_;	// index: node
	std::atomic<unsigned> turn_{0};
};

// The NUMA node of the calling thread's CPU and of the memory at `addr`
// (-1 when unknown); tests replace them (nullptr restores the system's).
using node_fn = int (*)(const void *addr);
PMEM2_TEST_SEAM void set_node_functions(node_fn caller, node_fn of_address);

} // namespace pmem2::vdm_dml
