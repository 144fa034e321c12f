/*
 * libminiasync: futures, virtual data movers and a runtime (0.2.1 API).
 */
#ifndef LIBMINIASYNC_H
#define LIBMINIASYNC_H 1

#include <stddef.h>
#include <stdio.h>

#include "libminiasync/future.h"
#include "libminiasync/vdm.h"
#include "libminiasync/data_mover_threads.h"
#include "libminiasync/data_mover_sync.h"
#include "libminiasync/runtime.h"
#include "libminiasync/wake.h"	/* pmem2 extension */

#endif /* LIBMINIASYNC_H */
