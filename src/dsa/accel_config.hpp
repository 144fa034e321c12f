// DSA work queues through libaccel-config, loaded at run time (dlopen of
// libaccel-config.so.1): no link-time dependency, and where the library is
// absent, or cannot make its context, the sysfs scan (work_queue.hpp)
// answers alone (discover() there chooses).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsa/work_queue.hpp"

namespace pmem2::dsa {

// The DSA work queues libaccel-config lists (devices of other types left
// out), in name order; nullopt with the reason in `why` when `library`
// cannot be loaded, lacks a function, or fails to make its context.
std::optional<std::vector<work_queue>> accel_config_scan(std::string &why,
	const char *library = "libaccel-config.so.1");

} // namespace pmem2::dsa
