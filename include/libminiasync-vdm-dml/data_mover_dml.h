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

#include <stddef.h>

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

/*
 * The native mover's choices (pmem2 extensions), gathered in a config:
 *   type       SOFTWARE, HARDWARE or AUTO, as data_mover_dml_new's argument
 *              (default AUTO);
 *   queues     which work queues to use: a comma-separated list of names
 *              ("wq0.0,wq2.1"), or NULL / "" for every usable one (default);
 *   numa       DATA_MOVER_DML_NUMA_ANY (default: the selected queues in
 *              turn), _CALLER (queues on the submitting thread's NUMA node
 *              first), _DESTINATION (queues on the node of the destination's
 *              memory first), or a node number (only that node's queues);
 *   threshold  operations shorter than this many bytes run on the CPU; 0
 *              sends all to the device; DATA_MOVER_DML_THRESHOLD_AUTO
 *              measures the crossover when the mover is made (default: 0
 *              for HARDWARE, PMEM2_DSA_CPU_THRESHOLD or 32 KiB for AUTO);
 *   wait       how the mover waits for the device: UMWAIT on the completion
 *              record, PAUSE, or YIELD the CPU between checks; _AUTO
 *              (default) is UMWAIT where the CPU has it (WAITPKG), else PAUSE.
 * Setters return 0, or -EINVAL for a value out of range (reason in
 * data_mover_dml_errormsg()).
 */
#define DATA_MOVER_DML_NUMA_ANY (-1)
#define DATA_MOVER_DML_NUMA_CALLER (-2)
#define DATA_MOVER_DML_NUMA_DESTINATION (-3)
#define DATA_MOVER_DML_THRESHOLD_AUTO ((size_t)-1)

enum data_mover_dml_wait {
	DATA_MOVER_DML_WAIT_AUTO,
	DATA_MOVER_DML_WAIT_UMWAIT,
	DATA_MOVER_DML_WAIT_PAUSE,
	DATA_MOVER_DML_WAIT_YIELD,
};

struct data_mover_dml_config;

/* 0, or -ENOMEM; *cfg holds the defaults above. */
int data_mover_dml_config_new(struct data_mover_dml_config **cfg);
/* Frees *cfg (NULL: nothing) and sets it to NULL. */
void data_mover_dml_config_delete(struct data_mover_dml_config **cfg);
int data_mover_dml_config_set_type(struct data_mover_dml_config *cfg,
	enum data_mover_dml_type type);
int data_mover_dml_config_set_queues(struct data_mover_dml_config *cfg, const char *names);
int data_mover_dml_config_set_numa(struct data_mover_dml_config *cfg, int numa);
int data_mover_dml_config_set_threshold(struct data_mover_dml_config *cfg, size_t bytes);
int data_mover_dml_config_set_wait(struct data_mover_dml_config *cfg,
	enum data_mover_dml_wait wait);

/* A mover as cfg says; NULL and errno as data_mover_dml_new (EINVAL also
 * for a NULL cfg; ENODEV when HARDWARE finds no usable queue among those
 * selected; ENOTSUP for UMWAIT on a CPU without WAITPKG). data_mover_dml_new(t)
 * is this with a default config of type t. */
struct data_mover_dml *data_mover_dml_new_config(const struct data_mover_dml_config *cfg);

/* What the mover chose: the threshold in bytes (SIZE_MAX: every operation
 * on the CPU), and its work queues, their names separated by commas ("" on
 * the CPU path), valid until the mover is deleted. */
size_t data_mover_dml_get_threshold(const struct data_mover_dml *dmd);
const char *data_mover_dml_get_queues(const struct data_mover_dml *dmd);

#ifdef __cplusplus
}
#endif

#endif /* LIBMINIASYNC_VDM_DML_DATA_MOVER_DML_H */
