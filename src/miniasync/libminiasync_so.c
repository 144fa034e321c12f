/* The shared library's own unit: its content is miniasync_static, whole. */
typedef int miniasync_shared_object_unit;
