/* The shared library's own unit: its content is pmem2_static, whole. */
typedef int pmem2_shared_object_unit;
