/*
 * unwind_module.c - a module test_unwind dlopens and dlcloses: its frame
 * must be walked through while loaded, and its rules forgotten once gone.
 */
typedef void unwind_module_callback(void *arg);

__attribute__((visibility("default"), noinline)) int
unwind_module_call(unwind_module_callback *cb, void *arg)
{
    volatile int after = 1; /* work after the call: it is not a tail call */
    cb(arg);
    return after;
}
