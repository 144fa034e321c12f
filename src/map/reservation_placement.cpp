// Placement inside a vm reservation. This build has no reservation
// objects (pmem2_vm_reservation_new reports PMEM2_E_NOSUPP), so a config
// can only carry a reservation pointer that no map can be placed in.
#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "map/placement.hpp"

namespace pmem2 {

int rsv_place(pmem2_vm_reservation *, std::size_t, std::size_t, std::size_t, placement &) noexcept
{
	set_errormsg("mapping into a vm reservation: operation not supported by this build");
	return PMEM2_E_NOSUPP;
}

void rsv_unplace(placement &pl) noexcept { pl.addr = nullptr; }

int rsv_commit(placement &, pmem2_map *) noexcept { return 0; }

int rsv_unmap(pmem2_map *) noexcept
{
	set_errormsg("unmapping from a vm reservation: operation not supported by this build");
	return PMEM2_E_NOSUPP;
}

} // namespace pmem2
