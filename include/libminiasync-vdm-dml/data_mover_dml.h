/*
 * The DSA data mover (docs/MOVERS.md).
 *
 * data_mover_dml_new(type) makes a mover whose vdm runs memcpy, memmove,
 * memset and flush operations:
 *   DATA_MOVER_DML_SOFTWARE  on the CPU, in the first poll;
 *   DATA_MOVER_DML_HARDWARE  on a DSA work queue; NULL (errno ENODEV) when
 *                            this process has no usable one, with the reason
 *                            in data_mover_dml_errormsg();
 *   DATA_MOVER_DML_AUTO      on a work queue when one is usable, else as
 *                            SOFTWARE.
 * Its capabilities are VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT. An operation
 * flagged VDM_F_MEM_DURABLE is in the persistence domain when its future
 * completes (work queue: written to memory and read back by the device; CPU:
 * the lines written back and fenced).
 */
#ifndef LIBMINIASYNC_VDM_DML_DATA_MOVER_DML_H
#define LIBMINIASYNC_VDM_DML_DATA_MOVER_DML_H 1

#include <libminiasync/vdm.h>

#ifdef __cplusplus
extern "C" {
#endif

enum data_mover_dml_type {
	DATA_MOVER_DML_SOFTWARE,
	DATA_MOVER_DML_HARDWARE,
	DATA_MOVER_DML_AUTO,
};

struct data_mover_dml;

/* NULL on failure, with errno set (EINVAL: not a type above; ENODEV: no
 * usable work queue for HARDWARE; ENOMEM) and the reason in
 * data_mover_dml_errormsg(). */
struct data_mover_dml *data_mover_dml_new(enum data_mover_dml_type type);
/* The mover's vdm, valid until data_mover_dml_delete; NULL for NULL. */
struct vdm *data_mover_dml_get_vdm(struct data_mover_dml *dmd);
/* Deletes the mover (NULL: nothing); every future made on it must have
 * completed. */
void data_mover_dml_delete(struct data_mover_dml *dmd);

/* pmem2 extensions (not in miniasync 0.2.1). */

/* Why the calling thread's last failed data_mover_dml_new failed; "" when
 * none has. Valid until the thread's next call into this library. */
const char *data_mover_dml_errormsg(void);

/* The path the mover runs operations on: DATA_MOVER_DML_SOFTWARE or
 * DATA_MOVER_DML_HARDWARE (an AUTO mover reports the one it chose). */
enum data_mover_dml_type data_mover_dml_get_path(const struct data_mover_dml *dmd);

/* For a completed future made on a DSA mover whose result is
 * VDM_ERROR_JOB_CORRUPTED: the completion status the device reported
 * (<linux/idxd.h> enum dsa_completion_status, without the fault-on-write
 * bit); 0 for a future that succeeded. */
unsigned data_mover_dml_status(const struct vdm_operation_future *f);

#ifdef __cplusplus
}
#endif

#endif /* LIBMINIASYNC_VDM_DML_DATA_MOVER_DML_H */
