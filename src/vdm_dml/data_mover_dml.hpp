// The DSA data mover behind <libminiasync-vdm-dml.h>: the mover object, its
// vdm, and how data_mover_dml_new picks the path: the first usable work
// queue whose portal opens (HARDWARE, AUTO), else the CPU (SOFTWARE, AUTO).
// A plain operation for the CPU runs in the first poll (a durable one
// written back and fenced) and needs no state; one for the work queue is a
// dsa::job in an op_slot, sent in the first poll and checked, never waited
// for, in the later ones.
//
// libpmem2's durable operations (the request of durable/protocol.hpp in
// their flags: pmem2 futures on a map whose mover this is) enter the map's
// guard at start (nothing is written once the map is gone) and are durable
// when they complete, at every granularity: on the device with CC = 0 and
// DRDBK, on the CPU with libpmem2's durable kernels through the guard's
// services; on a PAGE map the page sync runs on the mover's completer
// thread, never on the polling thread. The status goes back in the
// operation's status word, as the threads mover's does.
#pragma once

#include <libminiasync-vdm-dml/data_mover_dml.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>
#include <string>
#include <string_view>

#include "common/export.hpp"
#include "dsa/job.hpp"
#include "dsa/portal.hpp"
#include "dsa/work_queue.hpp"
#include "vdm_dml/completer.hpp"
#include "vdm_dml/op_slot.hpp"
#include "vdm_dml/queue_choice.hpp"

// Operations shorter than this run on the CPU on an AUTO mover with a work
// queue: below it the CPU finishes first (DTO's published crossover, 32 KiB).
// PMEM2_DSA_CPU_THRESHOLD (bytes; 0 sends everything to the queue) changes
// it when data_mover_dml_new runs.
inline constexpr std::size_t default_cpu_threshold = 32 * 1024;

namespace pmem2::vdm_dml {
// The completer's work for a slot of a durable operation.
void finish_on_completer(op_slot &s) noexcept;
} // namespace pmem2::vdm_dml

struct data_mover_dml {
	vdm base;	// first: the callbacks recover the mover from it
	data_mover_dml_type path = DATA_MOVER_DML_SOFTWARE;
	// Operations shorter than this run on the CPU (SIZE_MAX: all of them).
	std::size_t cpu_threshold = SIZE_MAX;
	// The work queues (empty: the CPU path), their names, and which one
	// an operation goes to.
	std::vector<std::unique_ptr<pmem2::vdm_dml::attached_queue>> queues;
	std::string names;
	pmem2::vdm_dml::queue_choice choice;
	pmem2::dsa::wait_policy wait = pmem2::dsa::wait_policy::pause;
	pmem2::vdm_dml::slot_pool slots;
	pmem2::vdm_dml::completer finisher{pmem2::vdm_dml::finish_on_completer};

	explicit data_mover_dml(const vdm &v) noexcept : base(v) {}
	// Ends what dropped futures left: jobs still on the device, guards
	// still entered.
	~data_mover_dml();
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
