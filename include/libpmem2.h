/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpmem2.h -- durable memory operations on persistent memory (libpmem2 1.13 API).
 *
 * Define PMEM2_USE_MINIASYNC before including this header to get the
 * asynchronous part (<libpmem2/async.h>), which needs the miniasync headers.
 */
#ifndef LIBPMEM2_H
#define LIBPMEM2_H 1

#include <libpmem2/base.h>

#ifdef PMEM2_USE_MINIASYNC
#include <libpmem2/async.h>
#endif

#endif /* LIBPMEM2_H */
