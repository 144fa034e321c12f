// Helpers shared by the tests of reservations, deep flush, identity,
// mcsafe I/O and bad blocks.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <sys/mman.h>

#include "core/helpers.hpp"

namespace pmem2::test {

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

// True when nothing at all is mapped in [addr, addr+len).
inline bool range_free(const void *addr, std::size_t len)
{
	void *p = ::mmap(const_cast<void *>(addr), len, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	::munmap(p, len);
	return p == addr;
}

// Protection string ("rw-p", "---p", ...) of the mapping holding `addr`, "" if none.
inline std::string prot_at(const void *addr)
{
	std::ifstream f("/proc/self/maps");
	const auto a = reinterpret_cast<std::uintptr_t>(addr);
	for (std::string l; std::getline(f, l);) {
		std::uintptr_t lo = 0, hi = 0;
		char perms[8] = {};
		if (std::sscanf(l.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
			return perms;
	}
	return "";
}

// Address space of `len` bytes that was free a moment ago.
inline char *free_address(std::size_t len)
{
	void *p = ::mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		std::abort();
	::munmap(p, len);
	return static_cast<char *>(p);
}

// Keep the error message of the current thread recognisable.
inline void mark_errormsg() { pmem2::set_errormsg("sentinel"); }

} // namespace pmem2::test
