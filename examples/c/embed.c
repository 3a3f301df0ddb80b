/* embed.c: embedding abicall from C, the way an interpreter does.
 *
 * Declares C types and functions from text, opens libraries, lays out a
 * struct through abicall (as an interpreter that does not know it at
 * compile time would), calls functions with structs by value through the
 * raw call API, and hands libc's qsort a callback.
 *
 * Usage: embed PATH/TO/libgeom.so   (see README.md for the build commands)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abicall.h"

static abicall_error err;

/* Every abicall function returns a status; on failure `err` says why. */
static void check(abicall_status status, const char *what) {
    if (status != ABICALL_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, abicall_status_name(status), err.message);
        exit(1);
    }
}

static const char decls[] =
    "struct point { double x, y; };\n"
    "struct box { struct point lo, hi; int scale; };\n"
    "double cos(double);\n"
    "double ldexp(double, int);\n"
    "double point_dist(struct point a, struct point b);\n"
    "struct point box_center(struct box b);\n"
    "void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));\n"
    "int geom_version(void); /* declared, but libgeom has no such symbol */\n";

/* The callback body: args[i] points to argument i, ret to the result. */
static void compare_ints(void *user, void *const *args, void *ret) {
    int *calls = user;
    const int *a = *(const int *const *)args[0];
    const int *b = *(const int *const *)args[1];
    ++*calls;
    *(int *)ret = (*a > *b) - (*a < *b);
}

static void release_counter(void *user) {
    printf("destructor: comparator was called: %s\n", *(int *)user > 0 ? "yes" : "no");
}

/* Writes a double at `path` inside the object at `base` (layout from abicall). */
static void set_double(abicall_type *type, void *base, const char *path, double v) {
    size_t offset;
    check(abicall_type_offsetof(type, path, &offset, NULL, &err), path);
    memcpy((char *)base + offset, &v, sizeof v);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/libgeom.so\n", argv[0]);
        return 2;
    }
    abicall_context *ctx;
    check(abicall_context_new(NULL, &ctx, &err), "context");
    check(abicall_cdef(ctx, decls, strlen(decls), &err), "cdef");

    /* Layout, computed by abicall as the C compiler would. */
    abicall_type *box_t;
    size_t size, align, offset;
    check(abicall_type_new(ctx, "struct box", &box_t, &err), "type");
    check(abicall_type_size(box_t, &size, &err), "size");
    check(abicall_type_align(box_t, &align, &err), "align");
    check(abicall_type_offsetof(box_t, "scale", &offset, NULL, &err), "offsetof");
    printf("struct box: size %zu, align %zu, offsetof(scale) %zu\n", size, align, offset);
    size_t nfields;
    check(abicall_type_field_count(box_t, &nfields, &err), "field count");
    printf("members:");
    for (size_t i = 0; i < nfields; i++) {
        abicall_field field;
        char name[32];
        check(abicall_type_field(box_t, i, &field, name, sizeof name, NULL, &err), "field");
        printf(" %s@%zu", name, field.offset);
    }
    printf("\n");

    /* A plain call: double cos(double) from libm. */
    abicall_library *libm, *geom, *libc;
    abicall_function *cos_fn, *dist_fn, *center_fn, *qsort_fn;
    check(abicall_library_open("libm.so.6", 0, &libm, &err), "open libm");
    check(abicall_function_new(ctx, libm, "cos", NULL, 0, &cos_fn, &err), "cos");
    double x = 0.0, r;
    void *cos_args[] = {&x};
    check(abicall_call(cos_fn, cos_args, &r, &err), "call cos");
    printf("cos(0) = %g\n", r);

    /* An interpreter's hot path: the call object's direct entry (on the JIT
     * tier the generated trampoline itself), 0 once the function ran. */
    abicall_entry cos_entry;
    check(abicall_function_entry(cos_fn, 0, &cos_entry, &err), "entry");
    x = 0.5;
    if (cos_entry.call(cos_entry.data, cos_args, &r) != 0) {
        fprintf(stderr, "cos refused\n");
        return 1;
    }
    printf("cos(0.5) through the direct entry = %.4f\n", r);
    size_t held;
    check(abicall_function_memory_size(cos_fn, &held, &err), "memory size");
    printf("C memory held by the cos call object: %s\n", held > 0 ? "reported" : "none");

    /* An argument frame: the values themselves, at offsets abicall gives. */
    abicall_function *ldexp_fn;
    check(abicall_function_new(ctx, libm, "ldexp", NULL, 0, &ldexp_fn, &err), "ldexp");
    {
#define MAX_ARGS 16
        _Alignas(16) unsigned char frame[16 * MAX_ARGS];   /* size from the layout */
        uint32_t off[MAX_ARGS]; size_t size;
        check(abicall_function_frame_layout(ldexp_fn, off, MAX_ARGS, &size, &err), "layout");
        if (size > sizeof frame) {
            fprintf(stderr, "frame of %zu bytes\n", size);
            return 1;
        }
        *(double *)(frame + off[0]) = 0.75;
        *(int *)(frame + off[1]) = 4;
        check(abicall_call_frame(ldexp_fn, frame, &r, &err), "call");   /* r == 12.0 */
        printf("ldexp(0.75, 4) through an argument frame = %g\n", r);
    }
    check(abicall_function_free(ldexp_fn, &err), "free ldexp");

    /* Structs by value: the arguments are pointers to the structs' bytes. */
    check(abicall_library_open(argv[1], 0, &geom, &err), "open libgeom");
    check(abicall_function_new(ctx, geom, "point_dist", NULL, 0, &dist_fn, &err), "point_dist");
    struct {
        double x, y;
    } a = {1, 1}, b = {4, 5};
    void *dist_args[] = {&a, &b};
    check(abicall_call(dist_fn, dist_args, &r, &err), "call point_dist");
    printf("point_dist({1, 1}, {4, 5}) = %g\n", r);

    /* An object laid out and filled through abicall, passed by value. */
    abicall_object *box;
    void *box_mem;
    int scale = 10;
    check(abicall_object_new(box_t, 1, &box, &err), "new box");
    check(abicall_object_ptr(box, &box_mem, &err), "box ptr");
    set_double(box_t, box_mem, "lo.x", 1);
    set_double(box_t, box_mem, "lo.y", 2);
    set_double(box_t, box_mem, "hi.x", 3);
    set_double(box_t, box_mem, "hi.y", 6);
    memcpy((char *)box_mem + offset, &scale, sizeof scale);
    check(abicall_function_new(ctx, geom, "box_center", NULL, 0, &center_fn, &err), "box_center");
    size_t ret_size;
    double center[2];
    check(abicall_function_ret_size(center_fn, &ret_size, &err), "ret size");
    void *center_args[] = {box_mem};
    check(abicall_call(center_fn, center_args, center, &err), "call box_center");
    printf("box_center({{1, 2}, {3, 6}, 10}) = {%g, %g} (%zu bytes)\n", center[0], center[1], ret_size);

    /* A callback: qsort (called through abicall) calls compare_ints. */
    static int calls;
    abicall_callback *cmp;
    void *cmp_code;
    check(abicall_callback_new(ctx, "int (*)(const void *, const void *)", compare_ints, &calls, release_counter,
                               &cmp, &err),
          "callback");
    check(abicall_callback_code(cmp, &cmp_code, &err), "callback code");
    check(abicall_library_open(NULL, 0, &libc, &err), "open process");
    check(abicall_function_new(ctx, libc, "qsort", NULL, 0, &qsort_fn, &err), "qsort");
    int values[] = {5, 3, 9, 1, 8, 2};
    void *base = values;
    size_t n = 6, elem = sizeof(int);
    void *qsort_args[] = {&base, &n, &elem, &cmp_code};
    check(abicall_call(qsort_fn, qsort_args, NULL, &err), "call qsort");
    printf("qsort with an abicall callback:");
    for (size_t i = 0; i < n; i++)
        printf(" %d", values[i]);
    printf("\n");

    /* Errors are values: status, message, and line:col for declarations. */
    const char *bad = "struct ok { int a; };\nstruct bad { int x y; };";
    abicall_status s = abicall_cdef(ctx, bad, strlen(bad), &err);
    printf("bad cdef: %s (line %u, column %u): %s\n", abicall_status_name(s), err.line, err.col, err.message);
    abicall_type *t;
    s = abicall_type_new(ctx, "point_t", &t, &err);
    printf("unknown type: %s: %s\n", abicall_status_name(s), err.message);
    abicall_function *missing;
    s = abicall_function_new(ctx, geom, "cos_of_nothing", NULL, 0, &missing, &err);
    printf("undeclared function: %s: %s\n", abicall_status_name(s), err.message);
    s = abicall_function_new(ctx, geom, "geom_version", NULL, 0, &missing, &err);
    printf("missing symbol: %s\n", abicall_status_name(s));

    /* Free in any order; a second free is detected, not a crash. */
    check(abicall_callback_free(cmp, &err), "free callback");
    check(abicall_object_free(box, &err), "free box");
    check(abicall_type_free(box_t, &err), "free type");
    s = abicall_type_free(box_t, &err);
    printf("double free: %s: %s\n", abicall_status_name(s), err.message);
    abicall_function *fns[] = {cos_fn, dist_fn, center_fn, qsort_fn};
    for (int i = 0; i < 4; i++)
        check(abicall_function_free(fns[i], &err), "free function");
    check(abicall_library_free(libm, &err), "free libm");
    check(abicall_library_free(geom, &err), "free libgeom");
    check(abicall_library_free(libc, &err), "free process");
    check(abicall_context_free(ctx, &err), "free context");
    return 0;
}
