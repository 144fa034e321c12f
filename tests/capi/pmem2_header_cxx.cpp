// The public header compiled as C++: declarations must be extern "C" and
// valid C++ (built as part of the project and by run.sh at several -std).
#include <libpmem2.h>

#include <type_traits>

static_assert(PMEM2_E_UNKNOWN == -100000, "error range");
static_assert(PMEM2_GRANULARITY_BYTE == 0 && PMEM2_GRANULARITY_PAGE == 2, "enum order");
static_assert(sizeof(struct pmem2_badblock) == 16, "badblock layout");
static_assert(std::is_same<decltype(&pmem2_map_new),
	int (*)(pmem2_map **, const pmem2_config *, const pmem2_source *)>::value, "prototype");

int main()
{
	pmem2_config *cfg = nullptr;
	if (pmem2_config_new(&cfg) != 0)
		return 1;
	int r = pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE);
	pmem2_config_delete(&cfg);
	return r == 0 && cfg == nullptr ? 0 : 1;
}
