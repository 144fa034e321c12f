#include "vdm_dml/queue_choice.hpp"

#include <libminiasync-vdm-dml/data_mover_dml.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace pmem2::vdm_dml {
namespace {

int system_caller_node(const void *) noexcept
{
	unsigned cpu = 0, node = 0;
	return getcpu(&cpu, &node) == 0 ? int(node) : -1;
}

// get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR): the node holding the page
// (the call makes it present when it is not yet).
int system_node_of(const void *addr) noexcept
{
	constexpr unsigned long mpol_f_node = 1, mpol_f_addr = 2;
	int node = -1;
	if (syscall(SYS_get_mempolicy, &node, nullptr, 0UL, addr, mpol_f_node | mpol_f_addr) != 0)
		return -1;
	return node;
}

std::atomic<node_fn> caller_node{system_caller_node};
std::atomic<node_fn> node_of{system_node_of};

} // namespace

void set_node_functions(node_fn caller, node_fn of_address)
{
	caller_node.store(caller != nullptr ? caller : system_caller_node);
	node_of.store(of_address != nullptr ? of_address : system_node_of);
}

void queue_choice::set(int numa, const std::vector<std::unique_ptr<attached_queue>> &queues)
{
	numa_ = numa;
	all_.clear();
	by_node_.clear();
	for (const auto &q : queues) {
		all_.push_back(&q->link);
		if (q->queue.numa_node >= 0) {
			if (by_node_.size() <= std::size_t(q->queue.numa_node))
				by_node_.resize(std::size_t(q->queue.numa_node) + 1);
			by_node_[std::size_t(q->queue.numa_node)].push_back(&q->link);
		}
	}
}

dsa::queue_link &queue_choice::in_turn(const std::vector<dsa::queue_link *> &among) noexcept
{
	if (among.size() == 1)
		return *among[0];
	return *among[turn_.fetch_add(1, std::memory_order_relaxed) % among.size()];
}

dsa::queue_link &queue_choice::pick(const void *dest) noexcept
{
	if (all_.size() == 1)
		return *all_[0];
	int node = -1;
	if (numa_ == DATA_MOVER_DML_NUMA_CALLER)
		node = caller_node.load(std::memory_order_relaxed)(nullptr);
	else if (numa_ == DATA_MOVER_DML_NUMA_DESTINATION)
		node = node_of.load(std::memory_order_relaxed)(dest);
	if (node >= 0 && std::size_t(node) < by_node_.size() && !by_node_[std::size_t(node)].empty())
		return in_turn(by_node_[std::size_t(node)]);
	return in_turn(all_);
}

} // namespace pmem2::vdm_dml
