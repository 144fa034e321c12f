// pmem2_errormsg, pmem2_perror, pmem2_err_to_errno.
#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "common/export.hpp"

PMEM2_EXPORT const char *pmem2_errormsg(void)
{
	return pmem2::errormsg();
}

PMEM2_EXPORT void pmem2_perror(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	std::vfprintf(stderr, format, ap);
	va_end(ap);
	std::fprintf(stderr, ": %s\n", pmem2::errormsg());
}

// Exported (DIFFERENCES.md A1); a positive argument gives EINVAL instead of aborting (DIFFERENCES.md A2).
PMEM2_EXPORT int pmem2_err_to_errno(int err)
{
	if (err > 0)
		return EINVAL;
	if (err == 0)
		return 0;
	if (err == PMEM2_E_NOSUPP)
		return ENOTSUP;
	if (err <= PMEM2_E_UNKNOWN)
		return EINVAL;
	return -err;
}
