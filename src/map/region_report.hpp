// What `pmem2 info` shows about the region behind a file descriptor: the nd
// region, whether CXL provides it (and the CXL region behind it), its
// persistence domain and its memory devices with their serials
// (DIFFERENCES.md A44). Standard types only, so the tool can include it
// next to the public C++ API.
#pragma once

#include <string>
#include <vector>

namespace pmem2::region_report {

struct memory_device {
	std::string dimm;	// nmemN
	std::string memdev;	// memX behind a CXL DIMM; empty otherwise or when unknown
	std::string serial;	// CXL serial ("0x..."), NVDIMM unique id; empty when unknown
};

struct report {
	bool found = false;
	unsigned region = 0;		// N of the nd region<N>
	bool cxl = false;
	std::string cxl_region;		// region<Z> on the cxl bus; empty when unknown
	std::string domain;		// persistence_domain as read; empty: none reported
	std::vector<memory_device> devices;
};

// Fill `out` for `fd` (a file or device DAX). No region is not an error
// (`found` stays false). An unreadable region or malformed mapping is a
// negative code with pmem2_errormsg set; a DIMM whose serial cannot be
// read is listed without one.
int describe(int fd, report &out);

} // namespace pmem2::region_report
