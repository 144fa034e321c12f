// struct data_mover_dml_config: the native DSA mover's choices (type,
// queues, NUMA policy, CPU threshold, wait policy) as the setters of
// <libminiasync-vdm-dml/data_mover_dml.h> leave them, checked there.
#pragma once

#include <libminiasync-vdm-dml/data_mover_dml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

struct data_mover_dml_config {
	data_mover_dml_type type = DATA_MOVER_DML_AUTO;
	std::vector<std::string> queues;	// empty: every usable queue
	int numa = DATA_MOVER_DML_NUMA_ANY;
	std::optional<std::size_t> threshold;	// unset: the type's default
	data_mover_dml_wait wait = DATA_MOVER_DML_WAIT_AUTO;
};

namespace pmem2::vdm_dml {

// Sets the calling thread's data_mover_dml_errormsg() and errno.
void fail(int err, const std::string &why) noexcept;

} // namespace pmem2::vdm_dml
