// pmem2_config: defaults, every setter with its valid and invalid values,
// and what a map keeps of the config it was made with.
#include <cstdint>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/config.hpp"
#include "map/map.hpp"

namespace {

using namespace pmem2::test;

TEST(Config, NewHasDefaults)
{
	pmem2_config *cfg = reinterpret_cast<pmem2_config *>(0x1);
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_NE(cfg, nullptr);
	EXPECT_EQ(cfg->offset, 0u);
	EXPECT_EQ(cfg->length, 0u);
	EXPECT_EQ(cfg->required_granularity, pmem2::granularity_unset);
	EXPECT_EQ(cfg->sharing, PMEM2_SHARED);
	EXPECT_EQ(cfg->protection, PMEM2_PROT_READ | PMEM2_PROT_WRITE);
	EXPECT_EQ(cfg->reservation, nullptr);
	EXPECT_EQ(cfg->vdm, nullptr);
	EXPECT_EQ(pmem2_config_delete(&cfg), 0);
	EXPECT_EQ(cfg, nullptr);
}

TEST(Config, DeleteNullIsNoop)
{
	pmem2_config *cfg = nullptr;
	EXPECT_EQ(pmem2_config_delete(&cfg), 0);
	EXPECT_EQ(pmem2_config_delete(nullptr), 0);
}

TEST(Config, NullHandles)
{
	EXPECT_PMEM2_ERR(pmem2_config_new(nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_offset(nullptr, 0), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_length(nullptr, 0), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_required_store_granularity(nullptr, PMEM2_GRANULARITY_PAGE), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_sharing(nullptr, PMEM2_SHARED), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_protection(nullptr, PMEM2_PROT_READ), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_config_set_vm_reservation(nullptr, nullptr, 0), -EINVAL);
}

TEST(Config, Offset)
{
	config c;
	EXPECT_EQ(pmem2_config_set_offset(c, 0), 0);
	EXPECT_EQ(pmem2_config_set_offset(c, static_cast<size_t>(INT64_MAX)), 0);
	EXPECT_EQ(c.cfg->offset, static_cast<size_t>(INT64_MAX));
	EXPECT_PMEM2_ERR(pmem2_config_set_offset(c, static_cast<size_t>(INT64_MAX) + 1),
		PMEM2_E_OFFSET_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_config_set_offset(c, SIZE_MAX), PMEM2_E_OFFSET_OUT_OF_RANGE);
	EXPECT_EQ(c.cfg->offset, static_cast<size_t>(INT64_MAX));	// unchanged
}

TEST(Config, LengthAcceptsAnything)
{
	config c;
	EXPECT_EQ(pmem2_config_set_length(c, 0), 0);
	EXPECT_EQ(pmem2_config_set_length(c, 1), 0);
	EXPECT_EQ(pmem2_config_set_length(c, SIZE_MAX), 0);
	EXPECT_EQ(c.cfg->length, SIZE_MAX);
}

TEST(Config, Granularity)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	for (int g = 0; g <= 2; ++g) {
		EXPECT_EQ(pmem2_config_set_required_store_granularity(cfg, static_cast<pmem2_granularity>(g)), 0);
		EXPECT_EQ(cfg->required_granularity, g);
	}
	EXPECT_PMEM2_ERR(c_set_granularity(cfg, 3),
		PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_PMEM2_ERR(c_set_granularity(cfg, -1),
		PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_EQ(cfg->required_granularity, 2);
	pmem2_config_delete(&cfg);
}

TEST(Config, BadGranularityLeavesItUnset)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	EXPECT_NE(c_set_granularity(cfg, 99), 0);
	source s(page(), 0);
	pmem2_map *m = nullptr;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, cfg, s), PMEM2_E_GRANULARITY_NOT_SET);
	EXPECT_EQ(m, nullptr);
	pmem2_config_delete(&cfg);
}

TEST(Config, Sharing)
{
	config c;
	EXPECT_EQ(pmem2_config_set_sharing(c, PMEM2_PRIVATE), 0);
	EXPECT_EQ(c.cfg->sharing, PMEM2_PRIVATE);
	EXPECT_EQ(pmem2_config_set_sharing(c, PMEM2_SHARED), 0);
	EXPECT_PMEM2_ERR(c_set_sharing(c, 2),
		PMEM2_E_INVALID_SHARING_VALUE);
	EXPECT_PMEM2_ERR(c_set_sharing(c, -1),
		PMEM2_E_INVALID_SHARING_VALUE);
	EXPECT_EQ(c.cfg->sharing, PMEM2_SHARED);
}

TEST(Config, ProtectionEveryCombination)
{
	config c;
	const unsigned bits[] = {PMEM2_PROT_EXEC, PMEM2_PROT_READ, PMEM2_PROT_WRITE};
	for (unsigned mask = 0; mask < 8; ++mask) {
		unsigned p = 0;
		for (int i = 0; i < 3; ++i)
			if (mask & (1u << i))
				p |= bits[i];
		EXPECT_EQ(pmem2_config_set_protection(c, p), 0) << p;
		EXPECT_EQ(c.cfg->protection, p);
	}
	EXPECT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_NONE), 0);
}

TEST(Config, ProtectionUnknownBits)
{
	config c;
	for (unsigned bit = 0; bit < 29; ++bit)
		EXPECT_PMEM2_ERR(pmem2_config_set_protection(c, PMEM2_PROT_READ | (1u << bit)),
			PMEM2_E_INVALID_PROT_FLAG);
	EXPECT_EQ(c.cfg->protection, PMEM2_PROT_READ | PMEM2_PROT_WRITE);
}

TEST(Config, VmReservationIsStored)
{
	config c;
	auto *fake = reinterpret_cast<pmem2_vm_reservation *>(0x1000);
	EXPECT_EQ(pmem2_config_set_vm_reservation(c, fake, 4096), 0);
	EXPECT_EQ(c.cfg->reservation, fake);
	EXPECT_EQ(c.cfg->reservation_offset, 4096u);
	EXPECT_EQ(pmem2_config_set_vm_reservation(c, nullptr, 0), 0);
	EXPECT_EQ(c.cfg->reservation, nullptr);
}

extern "C" int pmem2_config_set_vdm(struct pmem2_config *cfg, struct vdm *vdm);

TEST(Config, VdmIsBorrowedByTheMap)
{
	config c;
	struct vdm mover{};	// never called: the map only borrows it
	auto *v = &mover;
	EXPECT_EQ(pmem2_config_set_vdm(c, v), 0);
	EXPECT_EQ(c.cfg->vdm, v);
	source s(page(), 0);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	EXPECT_EQ(m->vdm, v);
	EXPECT_EQ(m->mover, pmem2::durable::mover_kind::foreign);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_EQ(pmem2_config_set_vdm(c, nullptr), 0);
	EXPECT_EQ(c.cfg->vdm, nullptr);
}

} // namespace
