/*
 * The synchronous mover: the operation runs inside the first poll, on the
 * polling thread. Holds no per-operation state.
 */
#ifndef DATA_MOVER_SYNC_H
#define DATA_MOVER_SYNC_H 1

#include "vdm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct data_mover_sync;

/* NULL when out of memory. */
struct data_mover_sync *data_mover_sync_new(void);
struct vdm *data_mover_sync_get_vdm(struct data_mover_sync *dms);
/* Accepts NULL. */
void data_mover_sync_delete(struct data_mover_sync *dms);

#ifdef __cplusplus
}
#endif

#endif /* DATA_MOVER_SYNC_H */
