// VM reservations: creation, placement of maps, neighbours, extend/shrink,
// a randomised model check and concurrent use (pmem2_vm_reservation_new(3),
// DIFFERENCES.md A19-A23).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

constexpr std::size_t mib2 = std::size_t(2) << 20;

// Map `len` bytes of `src` (from `src_off`) at `off` inside `rsv`.
int map_in(pmem2_vm_reservation *rsv, std::size_t off, pmem2_source *src, pmem2_map **m,
	std::size_t len = 0, std::size_t src_off = 0)
{
	config c;
	if (pmem2_config_set_vm_reservation(c, rsv, off) != 0 ||
		pmem2_config_set_length(c, len) != 0 || pmem2_config_set_offset(c, src_off) != 0)
		std::abort();
	return pmem2_map_new(m, c, src);
}

TEST(VmReservationNew, AlignedAddressAndGetters)
{
	reservation r(nullptr, 10 * page());
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 10 * page());
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.base()) % mib2, 0u);
	EXPECT_EQ(prot_at(r.base()), "---p");
	EXPECT_EQ(prot_at(r.base() + 10 * page() - 1), "---p");
}

TEST(VmReservationNew, LargeReservationsAreGigabyteAligned)
{
	reservation r(nullptr, std::size_t(2) << 30);
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.base()) % (std::size_t(1) << 30), 0u);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), std::size_t(2) << 30);
}

TEST(VmReservationNew, ArgumentErrors)
{
	auto *r = reinterpret_cast<pmem2_vm_reservation *>(0x10);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(&r, reinterpret_cast<void *>(page() + 1), page()),
		PMEM2_E_ADDRESS_UNALIGNED);
	EXPECT_EQ(r, nullptr);
	r = reinterpret_cast<pmem2_vm_reservation *>(0x10);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(&r, nullptr, page() + 1), PMEM2_E_LENGTH_UNALIGNED);
	EXPECT_EQ(r, nullptr);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(&r, nullptr, SIZE_MAX & ~(page() - 1)), -ENOMEM);
	EXPECT_EQ(r, nullptr);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(nullptr, nullptr, page()), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_delete(nullptr), -EINVAL);
	r = nullptr;
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_delete(&r), -EINVAL);
}

TEST(VmReservationNew, MmapFailureIsReported)
{
	pmem2_vm_reservation *r = nullptr;
	pmem2::os::fail_next(pmem2::os::call::mmap, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(&r, nullptr, page()), -ENOMEM);
	EXPECT_EQ(r, nullptr);
	pmem2::os::clear_faults();
}

TEST(VmReservationNew, ExplicitAddressReservesExactlyTheSize)
{
	const std::size_t sz = 4 * page();
	char *a = free_address(sz + page());
	// A neighbour right after the range must not make it fail (DIFFERENCES.md A20).
	void *nb = ::mmap(a + sz, page(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(nb, a + sz);
	pmem2_vm_reservation *r = nullptr;
	ASSERT_EQ(pmem2_vm_reservation_new(&r, a, sz), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_vm_reservation_get_address(r), a);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), sz);
	EXPECT_EQ(prot_at(a + sz), "r--p");	// the neighbour is untouched
	EXPECT_EQ(pmem2_vm_reservation_delete(&r), 0);
	EXPECT_EQ(r, nullptr);
	EXPECT_TRUE(range_free(a, sz));
	EXPECT_EQ(prot_at(a + sz), "r--p");
	::munmap(nb, page());
}

TEST(VmReservationNew, OccupiedAddressIsMappingExists)
{
	reservation first(nullptr, 4 * page());
	pmem2_vm_reservation *r = nullptr;
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_new(&r, first.base() + page(), 4 * page()),
		PMEM2_E_MAPPING_EXISTS);
	EXPECT_EQ(r, nullptr);
}

TEST(VmReservationDelete, UnmapsTheWholeUnderlyingRange)
{
	pmem2_vm_reservation *r = nullptr;
	ASSERT_EQ(pmem2_vm_reservation_new(&r, nullptr, 3 * page()), 0);
	char *a = static_cast<char *>(pmem2_vm_reservation_get_address(r));
	mark_errormsg();
	ASSERT_EQ(pmem2_vm_reservation_delete(&r), 0);
	EXPECT_STREQ(pmem2_errormsg(), "sentinel");	// DIFFERENCES.md A23: no message on success
	// The alignment padding after the user range is gone too (DIFFERENCES.md A20).
	EXPECT_TRUE(range_free(a, mib2));
}

TEST(VmReservationDelete, MunmapFailureKeepsTheReservation)
{
	reservation r(nullptr, page());
	pmem2_vm_reservation *p = r.rsv;
	pmem2::os::fail_next(pmem2::os::call::munmap, EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_delete(&p), -EINVAL);
	EXPECT_EQ(p, r.rsv);
	EXPECT_EQ(prot_at(r.base()), "---p");
}

TEST(VmReservationMap, FileMapsArePlacedAtTheOffset)
{
	scratch f(4 * page());
	source s(f.fd());
	reservation r(nullptr, 8 * page());
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 2 * page(), s, &m), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_address(m), r.base() + 2 * page());
	EXPECT_EQ(pmem2_map_get_size(m), 4 * page());
	std::memcpy(r.base() + 2 * page() + 10, "hello", 5);
	pmem2_get_persist_fn(m)(r.base() + 2 * page() + 10, 5);
	char buf[5];
	ASSERT_EQ(::pread(f.fd(), buf, 5, 10), 5);
	EXPECT_EQ(std::memcmp(buf, "hello", 5), 0);

	pmem2_vm_reservation *rp = r.rsv;
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_delete(&rp), PMEM2_E_VM_RESERVATION_NOT_EMPTY);
	EXPECT_EQ(rp, r.rsv);
	ASSERT_EQ(pmem2_map_delete(&m), 0);
	// The pages go back to the reservation, not to the process.
	EXPECT_EQ(prot_at(r.base() + 2 * page()), "---p");
	EXPECT_FALSE(is_mapped(f.path()));
}

TEST(VmReservationMap, PlacementErrors)
{
	scratch f(4 * page() + 100);	// unaligned file: the map's content is unaligned
	source s(f.fd());
	source anon(2 * page(), 0);
	reservation r(nullptr, 8 * page());
	pmem2_map *m = nullptr, *o = nullptr;
	EXPECT_PMEM2_ERR(map_in(r, 100, s, &o), PMEM2_E_OFFSET_UNALIGNED);
	EXPECT_PMEM2_ERR(map_in(r, 4 * page(), s, &o), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(map_in(r, 9 * page(), anon, &o), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(map_in(r, SIZE_MAX & ~(page() - 1), anon, &o), PMEM2_E_LENGTH_OUT_OF_RANGE);
	ASSERT_EQ(map_in(r, page(), s, &m), 0);	// pages 1..5 (content ends inside page 5)
	EXPECT_EQ(o, nullptr);
	EXPECT_PMEM2_ERR(map_in(r, 0, anon, &o), PMEM2_E_MAPPING_EXISTS);
	EXPECT_PMEM2_ERR(map_in(r, 5 * page(), anon, &o), PMEM2_E_MAPPING_EXISTS);
	EXPECT_EQ(prot_at(r.base()), "---p");	// a refused placement leaves the cover
	ASSERT_EQ(map_in(r, 6 * page(), anon, &o), 0);
	// A failure after the pages were mapped gives them back to the reservation.
	pmem2::os::fail_next(pmem2::os::call::mmap, ENODEV);
	pmem2_map *x = nullptr;
	EXPECT_PMEM2_ERR(map_in(r, 0, anon, &x, page()), -ENODEV);
	EXPECT_EQ(prot_at(r.base()), "---p");
	ASSERT_EQ(map_in(r, 0, anon, &x, page()), 0);
	EXPECT_EQ(pmem2_map_delete(&x), 0);
	EXPECT_EQ(pmem2_map_delete(&o), 0);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// Too coarse a granularity is found after mmap: the pages go back to the
// reservation.
TEST(VmReservationMap, GranularityRefusalRestoresTheCover)
{
	scratch f(2 * page());
	source s(f.fd());
	reservation r(nullptr, 4 * page());
	config c(PMEM2_GRANULARITY_BYTE);
	ASSERT_EQ(pmem2_config_set_vm_reservation(c, r, page()), 0);
	pmem2_map *m = nullptr;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(prot_at(r.base() + page()), "---p");
	EXPECT_FALSE(is_mapped(f.path()));
	pmem2_map *out = nullptr;
	EXPECT_EQ(pmem2_vm_reservation_map_find_first(r, &out), PMEM2_E_MAPPING_NOT_FOUND);
}

TEST(VmReservationMap, UnmapFailureKeepsTheMap)
{
	source anon(page(), 0);
	reservation r(nullptr, 2 * page());
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 0, anon, &m), 0);
	pmem2::os::fail_next(pmem2::os::call::mmap, ENOMEM);
	pmem2_map *keep = m;
	EXPECT_PMEM2_ERR(pmem2_map_delete(&m), -ENOMEM);
	EXPECT_EQ(m, keep);
	pmem2_map *f = nullptr;
	EXPECT_EQ(pmem2_vm_reservation_map_find_first(r, &f), 0);
	EXPECT_EQ(f, m);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(VmReservationFind, NeighboursAndRanges)
{
	source anon(page(), 0);
	source anon2(2 * page(), 0);
	reservation r(nullptr, 16 * page());
	pmem2_map *a = nullptr, *b = nullptr, *c = nullptr, *out = nullptr;
	mark_errormsg();
	EXPECT_EQ(pmem2_vm_reservation_map_find_first(r, &out), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_STRNE(pmem2_errormsg(), "sentinel");
	EXPECT_EQ(out, nullptr);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_last(r, &out), PMEM2_E_MAPPING_NOT_FOUND);
	ASSERT_EQ(map_in(r, 5 * page(), anon2, &b), 0);	// pages 5,6
	ASSERT_EQ(map_in(r, 0, anon, &a), 0);		// page 0
	ASSERT_EQ(map_in(r, 12 * page(), anon, &c), 0);	// page 12

	EXPECT_EQ(pmem2_vm_reservation_map_find_first(r, &out), 0);
	EXPECT_EQ(out, a);
	EXPECT_EQ(pmem2_vm_reservation_map_find_last(r, &out), 0);
	EXPECT_EQ(out, c);
	EXPECT_EQ(pmem2_vm_reservation_map_find_next(r, a, &out), 0);
	EXPECT_EQ(out, b);
	EXPECT_EQ(pmem2_vm_reservation_map_find_next(r, b, &out), 0);
	EXPECT_EQ(out, c);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_next(r, c, &out), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(out, nullptr);
	EXPECT_EQ(pmem2_vm_reservation_map_find_prev(r, c, &out), 0);
	EXPECT_EQ(out, b);
	EXPECT_EQ(pmem2_vm_reservation_map_find_prev(r, b, &out), 0);
	EXPECT_EQ(out, a);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_prev(r, a, &out), PMEM2_E_MAPPING_NOT_FOUND);

	EXPECT_EQ(pmem2_vm_reservation_map_find(r, 0, 16 * page(), &out), 0);
	EXPECT_EQ(out, a);
	EXPECT_EQ(pmem2_vm_reservation_map_find(r, page(), 16 * page(), &out), 0);
	EXPECT_EQ(out, b);
	EXPECT_EQ(pmem2_vm_reservation_map_find(r, 6 * page() + 7, 1, &out), 0);
	EXPECT_EQ(out, b);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(r, page(), 4 * page(), &out),
		PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(out, nullptr);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(r, 7 * page(), 5 * page(), &out),
		PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(r, 0, 0, &out), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(r, SIZE_MAX, 2, &out), PMEM2_E_MAPPING_NOT_FOUND);

	// A map that is not in this reservation has no neighbours here.
	pmem2_map *loose = nullptr;
	config cfg;
	ASSERT_EQ(pmem2_map_new(&loose, cfg, anon), 0);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_next(r, loose, &out), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_prev(r, loose, &out), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(pmem2_map_delete(&loose), 0);

	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(nullptr, 0, 1, &out), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find(r, 0, 1, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_prev(r, nullptr, &out), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_next(r, nullptr, &out), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_first(nullptr, &out), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_map_find_last(r, nullptr), -EINVAL);

	for (pmem2_map **m : {&a, &b, &c})
		EXPECT_EQ(pmem2_map_delete(m), 0);
}

TEST(VmReservationExtend, GrowsInPlaceAndTakesMaps)
{
	source anon(page(), 0);
	reservation r(nullptr, 4 * page());
	char *base = r.base();
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_extend(r, 100), PMEM2_E_LENGTH_UNALIGNED);
	EXPECT_EQ(pmem2_vm_reservation_extend(r, 0), 0);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 4 * page());
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 3 * page(), anon, &m), 0);
	// Inside the alignment padding that was reserved with it.
	ASSERT_EQ(pmem2_vm_reservation_extend(r, 4 * page()), 0) << pmem2_errormsg();
	EXPECT_EQ(r.base(), base);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 8 * page());
	pmem2_map *n = nullptr;
	ASSERT_EQ(map_in(r, 7 * page(), anon, &n), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_address(m), base + 3 * page());
	EXPECT_EQ(pmem2_map_delete(&n), 0);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_extend(nullptr, page()), -EINVAL);
}

TEST(VmReservationExtend, ReservesNewAddressSpace)
{
	source anon(page(), 0);
	char *a = free_address(4 * page() + 2 * mib2);
	reservation r(a, 4 * page());
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 3 * page(), anon, &m), 0);
	ASSERT_EQ(pmem2_vm_reservation_extend(r, 2 * mib2), 0) << pmem2_errormsg();
	EXPECT_EQ(r.base(), a);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 4 * page() + 2 * mib2);
	EXPECT_EQ(prot_at(a + 4 * page() + 2 * mib2 - 1), "---p");
	pmem2_map *n = nullptr;
	ASSERT_EQ(map_in(r, 4 * page() + 2 * mib2 - page(), anon, &n), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_address(m), a + 3 * page());
	EXPECT_EQ(pmem2_map_delete(&n), 0);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	pmem2_vm_reservation *p = r.rsv;
	r.rsv = nullptr;
	ASSERT_EQ(pmem2_vm_reservation_delete(&p), 0);
	EXPECT_TRUE(range_free(a, 4 * page() + 2 * mib2));
}

TEST(VmReservationExtend, BlockedByANeighbour)
{
	const std::size_t sz = 2 * page();
	char *a = free_address(sz + page());
	void *nb = ::mmap(a + sz, page(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(nb, a + sz);
	reservation r(a, sz);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_extend(r, page()), PMEM2_E_MAPPING_EXISTS);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), sz);
	::munmap(nb, page());
	pmem2::os::fail_next(pmem2::os::call::mmap, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_extend(r, page()), -ENOMEM);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), sz);
	EXPECT_TRUE(range_free(a + sz, page()));
	EXPECT_EQ(pmem2_vm_reservation_extend(r, page()), 0);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), sz + page());
	EXPECT_EQ(prot_at(a + sz), "---p");
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_extend(r, SIZE_MAX & ~(page() - 1)),
		PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), sz + page());
}

TEST(VmReservationShrink, ErrorsInSpecOrder)
{
	source anon(page(), 0);
	reservation r(nullptr, 8 * page());
	const std::size_t P = page();
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 1, 3), PMEM2_E_OFFSET_UNALIGNED);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 0, 3), PMEM2_E_LENGTH_UNALIGNED);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 8 * P, 0), PMEM2_E_OFFSET_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 0, 0), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 4 * P, 5 * P), PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 4 * P, SIZE_MAX & ~(P - 1)),
		PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 2 * P, 2 * P), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 0, 8 * P), PMEM2_E_NOSUPP);
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 6 * P, anon, &m), 0);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 6 * P, 2 * P), PMEM2_E_VM_RESERVATION_NOT_EMPTY);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 0, 7 * P), PMEM2_E_VM_RESERVATION_NOT_EMPTY);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 8 * P);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(nullptr, 0, P), -EINVAL);
}

TEST(VmReservationShrink, FrontAndBackAroundAMap)
{
	source anon(page(), 0);
	const std::size_t P = page();
	reservation r(nullptr, 8 * P);
	char *base = r.base();
	pmem2_map *m = nullptr;
	ASSERT_EQ(map_in(r, 4 * P, anon, &m), 0);
	mark_errormsg();
	ASSERT_EQ(pmem2_vm_reservation_shrink(r, 0, 2 * P), 0);
	EXPECT_STREQ(pmem2_errormsg(), "sentinel");	// DIFFERENCES.md A23
	EXPECT_EQ(r.base(), base + 2 * P);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 6 * P);
	ASSERT_EQ(pmem2_vm_reservation_shrink(r, 3 * P, 3 * P), 0);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 3 * P);
	pmem2_map *out = nullptr;
	EXPECT_EQ(pmem2_vm_reservation_map_find(r, 2 * P, P, &out), 0);
	EXPECT_EQ(out, m);
	pmem2_map *o2 = nullptr;
	EXPECT_PMEM2_ERR(map_in(r, 3 * P, anon, &o2), PMEM2_E_LENGTH_OUT_OF_RANGE);
	ASSERT_EQ(map_in(r, 0, anon, &o2), 0);
	EXPECT_EQ(pmem2_map_get_address(o2), base + 2 * P);
	EXPECT_EQ(pmem2_map_delete(&o2), 0);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(VmReservationShrink, ExplicitAddressReleasesExactly)
{
	const std::size_t P = page();
	char *a = free_address(6 * P);
	reservation r(a, 6 * P);
	pmem2::os::fail_next(pmem2::os::call::munmap, EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 0, P), -EINVAL);
	EXPECT_EQ(r.base(), a);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 6 * P);
	pmem2::os::fail_next(pmem2::os::call::munmap, EINVAL);
	EXPECT_PMEM2_ERR(pmem2_vm_reservation_shrink(r, 5 * P, P), -EINVAL);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), 6 * P);
	ASSERT_EQ(pmem2_vm_reservation_shrink(r, 0, P), 0);
	ASSERT_EQ(pmem2_vm_reservation_shrink(r, 4 * P, P), 0);
	EXPECT_TRUE(range_free(a, P));
	EXPECT_TRUE(range_free(a + 5 * P, P));
	EXPECT_EQ(prot_at(a + P), "---p");
	EXPECT_EQ(prot_at(a + 4 * P), "---p");
	pmem2_vm_reservation *p = r.rsv;
	r.rsv = nullptr;
	ASSERT_EQ(pmem2_vm_reservation_delete(&p), 0);
	EXPECT_TRUE(range_free(a, 6 * P));
}

// Random map/unmap/extend/shrink against a model of occupied pages.
TEST(VmReservationModel, RandomOperationsMatchTheModel)
{
	const std::size_t P = page();
	std::mt19937 rng(20261125);
	source anon1(P, 0), anon2(2 * P, 0), anon3(3 * P, 0);
	pmem2_source *srcs[] = {anon1, anon2, anon3};
	reservation r(nullptr, 32 * P);
	// Model: user start and size (bytes), maps by absolute address -> pages.
	auto start = reinterpret_cast<std::uintptr_t>(r.base());
	std::size_t size = 32 * P;
	std::map<std::uintptr_t, std::pair<pmem2_map *, std::size_t>> maps;
	auto overlaps = [&](std::uintptr_t a, std::size_t len) {
		for (auto &[ma, mv] : maps)
			if (ma < a + len && a < ma + mv.second * P)
				return true;
		return false;
	};
	int maps_made = 0, shrinks = 0, refusals = 0;
	for (int op = 0; op < 3000; ++op) {
		int kind = int(rng() % 10);
		if (kind < 4) {	// map
			std::size_t pages = 1 + rng() % 3;
			std::size_t off = (rng() % (size / P + 2)) * P;
			std::uintptr_t a = start + off;
			int expect = off + pages * P > size ? PMEM2_E_LENGTH_OUT_OF_RANGE
				: overlaps(a, pages * P) ? PMEM2_E_MAPPING_EXISTS : 0;
			pmem2_map *m = nullptr;
			int rc = map_in(r, off, srcs[pages - 1], &m);
			ASSERT_EQ(rc, expect) << "op " << op << " map off " << off / P << " pages " << pages;
			refusals += rc != 0;
			if (rc == 0) {
				++maps_made;
				ASSERT_EQ(reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(m)), a);
				static_cast<char *>(pmem2_map_get_address(m))[pages * P - 1] = 1;
				maps[a] = {m, pages};
			}
		} else if (kind < 7) {	// unmap
			if (maps.empty())
				continue;
			auto it = maps.begin();
			std::advance(it, rng() % maps.size());
			pmem2_map *m = it->second.first;
			ASSERT_EQ(pmem2_map_delete(&m), 0);
			ASSERT_EQ(prot_at(reinterpret_cast<void *>(it->first)), "---p");
			maps.erase(it);
		} else if (kind == 7) {	// extend
			std::size_t pages = rng() % 4;
			ASSERT_EQ(pmem2_vm_reservation_extend(r, pages * P), 0) << pmem2_errormsg();
			size += pages * P;
		} else {	// shrink front or back
			std::size_t pages = 1 + rng() % 3;
			bool front = rng() % 2;
			std::size_t off = front ? 0 : (size >= pages * P ? size - pages * P : 0);
			int expect;
			if (pages * P > size)
				expect = PMEM2_E_LENGTH_OUT_OF_RANGE;
			else if (pages * P == size)
				expect = PMEM2_E_NOSUPP;
			else
				expect = overlaps(start + off, pages * P) ? PMEM2_E_VM_RESERVATION_NOT_EMPTY : 0;
			int rc = pmem2_vm_reservation_shrink(r, off, pages * P);
			ASSERT_EQ(rc, expect) << "op " << op << " shrink off " << off / P << " pages " << pages;
			refusals += rc != 0;
			if (rc == 0) {
				++shrinks;
				if (front)
					start += pages * P;
				size -= pages * P;
			}
		}
		ASSERT_EQ(reinterpret_cast<std::uintptr_t>(r.base()), start);
		ASSERT_EQ(pmem2_vm_reservation_get_size(r), size);
		// Walk the reservation and compare with the model.
		pmem2_map *w = nullptr;
		int rc = pmem2_vm_reservation_map_find_first(r, &w);
		for (auto &[ma, mv] : maps) {
			ASSERT_EQ(rc, 0);
			ASSERT_EQ(w, mv.first);
			rc = pmem2_vm_reservation_map_find_next(r, w, &w);
		}
		ASSERT_EQ(rc, PMEM2_E_MAPPING_NOT_FOUND);
		// A random window finds the lowest intersecting map.
		std::size_t woff = (rng() % (size / P + 1)) * P, wlen = (1 + rng() % 4) * P;
		pmem2_map *expect_map = nullptr;
		for (auto &[ma, mv] : maps)
			if (ma < start + woff + wlen && start + woff < ma + mv.second * P) {
				expect_map = mv.first;
				break;
			}
		pmem2_map *got = nullptr;
		pmem2_vm_reservation_map_find(r, woff, wlen, &got);
		ASSERT_EQ(got, expect_map) << "op " << op;
	}
	for (auto &[ma, mv] : maps)
		ASSERT_EQ(pmem2_map_delete(&mv.first), 0);
	// The sequence must really exercise both outcomes of every operation.
	EXPECT_GT(maps_made, 300);
	EXPECT_GT(shrinks, 50);
	EXPECT_GT(refusals, 300);
}

// Several threads create, look up and delete maps in one reservation.
TEST(VmReservationConcurrency, MapsFromManyThreads)
{
	const std::size_t P = page();
	constexpr int threads = 4, slots = 8, rounds = 150;
	reservation r(nullptr, threads * slots * P + P);
	source anon(P, 0);
	std::atomic<int> shared_wins{0}, errors{0};
	auto work = [&](int t) {
		std::mt19937 rng(unsigned(t) * 77 + 1);
		std::vector<pmem2_map *> mine(slots, nullptr);
		for (int i = 0; i < rounds; ++i) {
			int s = int(rng() % slots);
			std::size_t off = (std::size_t(t) * slots + std::size_t(s)) * P;
			if (mine[s] == nullptr) {
				if (map_in(r, off, anon, &mine[s]) != 0)
					errors++;
				else
					*static_cast<volatile char *>(pmem2_map_get_address(mine[s])) = char(t);
			} else if (pmem2_map_delete(&mine[s]) != 0) {
				errors++;
			}
			// Everyone competes for the last page.
			pmem2_map *sh = nullptr;
			int rc = map_in(r, std::size_t(threads) * slots * P, anon, &sh);
			if (rc == 0) {
				shared_wins++;
				if (pmem2_map_delete(&sh) != 0)
					errors++;
			} else if (rc != PMEM2_E_MAPPING_EXISTS) {
				errors++;
			}
			pmem2_map *f = nullptr;
			if (pmem2_vm_reservation_map_find(r, std::size_t(t) * slots * P, slots * P, &f) == 0 &&
				pmem2_map_get_size(f) != P)
				errors++;
		}
		for (auto *&m : mine)
			if (m && pmem2_map_delete(&m) != 0)
				errors++;
	};
	std::vector<std::thread> ts;
	for (int t = 0; t < threads; ++t)
		ts.emplace_back(work, t);
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(errors.load(), 0);
	EXPECT_GT(shared_wins.load(), 0);
	pmem2_map *f = nullptr;
	EXPECT_EQ(pmem2_vm_reservation_map_find_first(r, &f), PMEM2_E_MAPPING_NOT_FOUND);
}

// Maps come and go at the front while another thread grows and shrinks the
// tail and a third looks maps up: every operation takes the lock it needs.
TEST(VmReservationConcurrency, ResizeAndWalkWhileMapping)
{
	const std::size_t P = page();
	constexpr std::size_t slots = 16;
	reservation r(nullptr, slots * P + 4 * P);
	source anon(P, 0);
	std::atomic<bool> stop{false};
	std::atomic<int> errors{0};
	std::thread resizer([&] {
		while (!stop.load()) {
			if (pmem2_vm_reservation_extend(r, 2 * P) != 0)
				errors++;
			const std::size_t sz = pmem2_vm_reservation_get_size(r);
			if (pmem2_vm_reservation_shrink(r, sz - 2 * P, 2 * P) != 0)
				errors++;
		}
	});
	// Only looks: a map found here may be deleted by its owner at any time,
	// so its pointer is compared, never followed.
	std::thread walker([&] {
		while (!stop.load()) {
			pmem2_map *first = nullptr, *last = nullptr, *m = nullptr;
			int a = pmem2_vm_reservation_map_find_first(r, &first);
			int b = pmem2_vm_reservation_map_find_last(r, &last);
			if ((a == 0) != (first != nullptr) || (b == 0) != (last != nullptr))
				errors++;
			for (std::size_t s = 0; s < slots; ++s)
				if (pmem2_vm_reservation_map_find(r, s * P, P, &m) == 0 && m == nullptr)
					errors++;
			if (pmem2_vm_reservation_map_find(r, slots * P, 4 * P, &m) != PMEM2_E_MAPPING_NOT_FOUND)
				errors++;
		}
	});
	std::vector<std::thread> mappers;
	for (int t = 0; t < 2; ++t)
		mappers.emplace_back([&, t] {
			std::vector<pmem2_map *> mine(slots / 2, nullptr);
			for (int i = 0; i < 200; ++i) {
				std::size_t s = std::size_t(i) % mine.size();
				if (mine[s] == nullptr) {
					if (map_in(r, (std::size_t(t) * mine.size() + s) * P, anon, &mine[s]) != 0)
						errors++;
				} else if (pmem2_map_delete(&mine[s]) != 0) {
					errors++;
				}
			}
			for (auto *&m : mine)
				if (m && pmem2_map_delete(&m) != 0)
					errors++;
		});
	for (auto &t : mappers)
		t.join();
	stop = true;
	resizer.join();
	walker.join();
	EXPECT_EQ(errors.load(), 0);
	EXPECT_EQ(pmem2_vm_reservation_get_size(r), slots * P + 4 * P);
}

} // namespace
