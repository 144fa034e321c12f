// The libpmem2 C API as the tests hold it: owning wrappers of configs,
// sources and reservations, entry points called as C calls them, and the
// check of an error code with its message.
#pragma once

#include <cstddef>
#include <cstdlib>

#include <gtest/gtest.h>
#include <libpmem2.h>

#include "common/errormsg.hpp"

namespace pmem2::test {

// A config with a required granularity (PAGE unless told otherwise).
struct config {
	pmem2_config *cfg = nullptr;
	explicit config(pmem2_granularity g = PMEM2_GRANULARITY_PAGE)
	{
		if (pmem2_config_new(&cfg) != 0 ||
			pmem2_config_set_required_store_granularity(cfg, g) != 0)
			std::abort();
	}
	~config() { pmem2_config_delete(&cfg); }
	operator pmem2_config *() const { return cfg; }
};

struct source {
	pmem2_source *src = nullptr;
	explicit source(int fd)
	{
		if (pmem2_source_from_fd(&src, fd) != 0)
			std::abort();
	}
	explicit source(std::size_t anon_size, int)
	{
		if (pmem2_source_from_anon(&src, anon_size) != 0)
			std::abort();
	}
	~source() { pmem2_source_delete(&src); }
	operator pmem2_source *() const { return src; }
};

// A reservation owned by the test; deleted (if still there) at scope end.
struct reservation {
	pmem2_vm_reservation *rsv = nullptr;
	reservation(void *addr, std::size_t size)
	{
		if (pmem2_vm_reservation_new(&rsv, addr, size) != 0)
			std::abort();
	}
	~reservation()
	{
		if (rsv)
			pmem2_vm_reservation_delete(&rsv);
	}
	operator pmem2_vm_reservation *() const { return rsv; }
	char *base() const { return static_cast<char *>(pmem2_vm_reservation_get_address(rsv)); }
};

// Entry points as a C caller sees them: there the enums are plain ints, so
// out-of-range values are legal input (and not undefined in this C++ code).
inline int c_set_granularity(pmem2_config *cfg, int g)
{
	using fn = int (*)(pmem2_config *, int);
	return reinterpret_cast<fn>(&pmem2_config_set_required_store_granularity)(cfg, g);
}
inline int c_set_sharing(pmem2_config *cfg, int sh)
{
	using fn = int (*)(pmem2_config *, int);
	return reinterpret_cast<fn>(&pmem2_config_set_sharing)(cfg, sh);
}
inline int c_map_from_existing(pmem2_map **m, const pmem2_source *src, void *addr, std::size_t len, int g)
{
	using fn = int (*)(pmem2_map **, const pmem2_source *, void *, std::size_t, int);
	return reinterpret_cast<fn>(&pmem2_map_from_existing)(m, src, addr, len, g);
}

// Keep the error message of the current thread recognisable.
inline void mark_errormsg() { pmem2::set_errormsg("sentinel"); }

// Expect `call` to fail with `code` and leave a non-empty message.
#define EXPECT_PMEM2_ERR(call, code) \
	do { \
		pmem2::clear_errormsg(); \
		int r_ = (call); \
		EXPECT_EQ(r_, (code)) << #call << ": " << pmem2_errormsg(); \
		EXPECT_STRNE(pmem2_errormsg(), "") << #call; \
	} while (0)

} // namespace pmem2::test
