// Entry points whose features this build does not provide: bad blocks. Each fails with PMEM2_E_NOSUPP and a message,
// with its out-parameters nulled where the API defines that.
#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "common/export.hpp"

namespace {
int unsupported(const char *func) noexcept
{
	pmem2::set_errormsg("%s: operation not supported by this build", func);
	return PMEM2_E_NOSUPP;
}
} // namespace

PMEM2_EXPORT int pmem2_badblock_context_new(struct pmem2_badblock_context **bbctx,
	const struct pmem2_source *)
{
	if (bbctx)
		*bbctx = nullptr;
	return unsupported(__func__);
}

PMEM2_EXPORT int pmem2_badblock_next(struct pmem2_badblock_context *, struct pmem2_badblock *)
{
	return unsupported(__func__);
}

PMEM2_EXPORT void pmem2_badblock_context_delete(struct pmem2_badblock_context **bbctx)
{
	if (bbctx)
		*bbctx = nullptr;
}

PMEM2_EXPORT int pmem2_badblock_clear(struct pmem2_badblock_context *, const struct pmem2_badblock *)
{
	return unsupported(__func__);
}
