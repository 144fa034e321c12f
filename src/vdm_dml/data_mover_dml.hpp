// The DSA data mover behind <libminiasync-vdm-dml.h>: the mover object, its
// vdm, and how data_mover_dml_new picks the path (a usable work queue, or
// the CPU). Operations on the CPU path run in the first poll; with
// VDM_F_MEM_DURABLE the written lines are then written back and fenced.
#pragma once

#include <libminiasync-vdm-dml/data_mover_dml.h>

#include <string>
#include <string_view>

#include "common/export.hpp"
#include "dsa/work_queue.hpp"

struct data_mover_dml {
	vdm base;	// first: the callbacks recover the mover from it
	data_mover_dml_type path;
	pmem2::dsa::work_queue queue;	// the queue of a HARDWARE path
};

namespace pmem2::vdm_dml {

// Where data_mover_dml_new looks for work queues: "" (the default) is the
// real system, otherwise a directory holding sys/ and dev/ (fake trees).
PMEM2_TEST_SEAM void set_sysfs_root(std::string_view root);
// The CPU features data_mover_dml_new assumes; the real CPU's until set.
PMEM2_TEST_SEAM void set_cpu_features(const pmem2::dsa::cpu_features *features);

} // namespace pmem2::vdm_dml
