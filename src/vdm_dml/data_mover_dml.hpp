// The DSA data mover behind <libminiasync-vdm-dml.h>: the mover object, its
// vdm, and how data_mover_dml_new picks the path: the first usable work
// queue whose portal opens (HARDWARE, AUTO), else the CPU (SOFTWARE, AUTO).
// On the CPU path operations run in the first poll, durable ones written
// back and fenced; on a work queue each operation is a dsa::job, sent in
// the first poll and checked, never waited for, in the later ones.
#pragma once

#include <libminiasync-vdm-dml/data_mover_dml.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/export.hpp"
#include "dsa/job.hpp"
#include "dsa/portal.hpp"
#include "dsa/work_queue.hpp"

// Operations shorter than this run on the CPU on an AUTO mover with a work
// queue: below it the CPU finishes first (DTO's published crossover, 32 KiB).
// PMEM2_DSA_CPU_THRESHOLD (bytes; 0 sends everything to the queue) changes
// it when data_mover_dml_new runs.
inline constexpr std::size_t default_cpu_threshold = 32 * 1024;

struct data_mover_dml {
	vdm base;	// first: the callbacks recover the mover from it
	data_mover_dml_type path = DATA_MOVER_DML_SOFTWARE;
	std::size_t cpu_threshold = 0;			// HARDWARE: 0; AUTO: see above
	pmem2::dsa::work_queue queue;			// HARDWARE: the queue
	std::unique_ptr<pmem2::dsa::portal> portal;	// HARDWARE: its portal
	pmem2::dsa::queue_link link;			// HARDWARE: its jobs' view of it
};

namespace pmem2::vdm_dml {

// Where data_mover_dml_new looks for work queues: "" (the default) is the
// real system, otherwise a directory holding sys/ and dev/ (fake trees).
PMEM2_TEST_SEAM void set_sysfs_root(std::string_view root);
// The CPU features data_mover_dml_new assumes; the real CPU's until set.
PMEM2_TEST_SEAM void set_cpu_features(const pmem2::dsa::cpu_features *features);
// How a usable queue's portal is opened: the device's MMIO page unless
// set (tests put the software model of the device there); nullptr
// restores it.
using portal_opener = std::unique_ptr<pmem2::dsa::portal> (*)(const pmem2::dsa::work_queue &,
	std::string &why);
PMEM2_TEST_SEAM void set_portal_opener(portal_opener open);

} // namespace pmem2::vdm_dml
