/*
 * libminiasync-vdm-dml: the data mover for Intel DSA (Data Streaming
 * Accelerator), source-compatible with miniasync 0.2.1's vdm-dml mover,
 * without Intel DML. Link with -lminiasync-vdm-dml -lminiasync.
 */
#ifndef LIBMINIASYNC_VDM_DML_H
#define LIBMINIASYNC_VDM_DML_H 1

#include <libminiasync.h>
#include <libminiasync-vdm-dml/data_mover_dml.h>

#endif /* LIBMINIASYNC_VDM_DML_H */
