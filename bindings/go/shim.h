// C side of the Go binding: one shim per mxc.h function it uses. Each makes the call and, on failure, copies
// MXCGetLastError() into a malloc'ed *err in the same C call, so the message can be neither overwritten by another
// goroutine's call on the same OS thread nor fetched from another thread. Borrowed results (shapes, name lists,
// returned handle arrays) are copied into malloc'ed buffers the same way. All return 0 on success and -1 with *err
// set on failure; the Go side frees *err and every copied buffer.
#ifndef MXC_GO_SHIM_H_
#define MXC_GO_SHIM_H_

#include <stdint.h>
#include <stdlib.h>

#include "mxc.h"

#define MXCGO_MAXDIM 32  // capacity of the shape buffer go_NDArrayInfo fills

// Shapes of one category, copied: count, ndim of each, dims concatenated.
typedef struct { int count; int *ndims; int64_t *dims; } mxcgo_shapes;

int go_GetVersion(int *major, int *minor, char **err);
int go_Features(int *num, char **names, int64_t *len, int **enabled, char **err);
int go_GetDeviceCount(int t, int *count, char **err);
int go_RandomSeed(uint64_t seed, char **err);
int go_WaitAll(char **err);
int go_EngineSetType(const char *name, char **err);
int go_EngineGetType(char **name, char **err);
int go_NDArrayInfo(MXCNDArrayHandle h, int *ndim, int64_t *shape, int *dtype, int *dev_type, int *dev_id, char **err);
int go_NDArrayCreate(const int64_t *shape, int ndim, int dtype, int dev_type, int dev_id, MXCNDArrayHandle *out, char **err);
int go_NDArrayFree(MXCNDArrayHandle h, char **err);
int go_NDArrayCopyFrom(MXCNDArrayHandle h, const void *data, int64_t size, char **err);
int go_NDArrayCopyTo(MXCNDArrayHandle h, void *data, int64_t size, char **err);
int go_NDArraySlice(MXCNDArrayHandle h, int64_t b, int64_t e, MXCNDArrayHandle *out, char **err);
int go_NDArrayAt(MXCNDArrayHandle h, int64_t i, MXCNDArrayHandle *out, char **err);
int go_NDArrayReshape(MXCNDArrayHandle h, int ndim, const int64_t *shape, MXCNDArrayHandle *out, char **err);
int go_NDArraySharesStorage(MXCNDArrayHandle a, MXCNDArrayHandle b, int *out, char **err);
int go_NDArrayWaitToRead(MXCNDArrayHandle h, char **err);
int go_NDArrayWaitToWrite(MXCNDArrayHandle h, char **err);
int go_AutogradSetIsRecording(int on, int *prev, char **err);
int go_AutogradSetIsTraining(int on, int *prev, char **err);
int go_AutogradMarkVariables(int num, const MXCNDArrayHandle *vars, const int *reqs, const MXCNDArrayHandle *grads, char **err);
int go_AutogradBackward(int nh, const MXCNDArrayHandle *heads, const MXCNDArrayHandle *head_grads, int nv, const MXCNDArrayHandle *vars, int retain, int train, MXCNDArrayHandle *grads, char **err);
int go_NDArrayGetGrad(MXCNDArrayHandle h, MXCNDArrayHandle *out, char **err);
int go_NDArrayDetach(MXCNDArrayHandle h, MXCNDArrayHandle *out, char **err);
int go_NDArraySave(const char *fname, int num, const MXCNDArrayHandle *h, const char **keys, char **err);
int go_NDArraySaveToBuffer(int num, const MXCNDArrayHandle *h, const char **keys, void **buf, int64_t *size, char **err);
int go_NDArrayLoad(const char *fname, int *num, MXCNDArrayHandle **out, int *nkeys, char **keybuf, int64_t *keylen, char **err);
int go_NDArrayLoadFromBuffer(const void *buf, int64_t size, int *num, MXCNDArrayHandle **out, int *nkeys, char **keybuf, int64_t *keylen, char **err);
int go_ListOps(int *num, char **names, int64_t *len, char **err);
int go_OpGetHandle(const char *name, MXCOpHandle *out, char **err);
int go_OpGetInfo(MXCOpHandle op, MXCOpInfo *info, char **err);
int go_OpInvoke(MXCOpHandle op, int nin, const MXCNDArrayHandle *in, int nout_given, MXCNDArrayHandle *outs, int *nout, MXCNDArrayHandle **alloc, int np, const char **keys, const char **vals, char **err);
int go_SymbolCreateVariable(const char *name, MXCSymbolHandle *out, char **err);
int go_SymbolCreateAtomic(const char *op, int np, const char **keys, const char **vals, MXCSymbolHandle *out, char **err);
int go_SymbolCompose(MXCSymbolHandle s, const char *name, int n, const char **keys, const MXCSymbolHandle *args, char **err);
int go_SymbolCreateGroup(int n, const MXCSymbolHandle *syms, MXCSymbolHandle *out, char **err);
int go_SymbolCopy(MXCSymbolHandle s, MXCSymbolHandle *out, char **err);
int go_SymbolFree(MXCSymbolHandle s, char **err);
int go_SymbolList(MXCSymbolHandle s, int which, int *num, char **names, int64_t *len, char **err);
int go_SymbolGetName(MXCSymbolHandle s, char **out, int *success, char **err);
int go_SymbolGetAttr(MXCSymbolHandle s, const char *key, char **out, int *success, char **err);
int go_SymbolSetAttr(MXCSymbolHandle s, const char *key, const char *val, char **err);
int go_SymbolGetNumOutputs(MXCSymbolHandle s, int *n, char **err);
int go_SymbolGetOutput(MXCSymbolHandle s, int i, MXCSymbolHandle *out, char **err);
int go_SymbolGetInternals(MXCSymbolHandle s, MXCSymbolHandle *out, char **err);
int go_SymbolGetChildren(MXCSymbolHandle s, MXCSymbolHandle *out, char **err);
int go_SymbolInferShape(MXCSymbolHandle s, int nk, const char **keys, const int *ndims, const int64_t *dims, int partial, mxcgo_shapes *args, mxcgo_shapes *outs, mxcgo_shapes *aux, int *complete, char **err);
int go_SymbolInferType(MXCSymbolHandle s, int nk, const char **keys, const int *types, int partial, int *ac, int *oc, int *xc, int **all, int *complete, char **err);
int go_SymbolSaveToJSON(MXCSymbolHandle s, char **out, char **err);
int go_SymbolCreateFromJSON(const char *json, MXCSymbolHandle *out, char **err);
int go_SymbolSaveToFile(MXCSymbolHandle s, const char *fname, char **err);
int go_SymbolCreateFromFile(const char *fname, MXCSymbolHandle *out, char **err);
int go_SymbolPrint(MXCSymbolHandle s, char **out, char **err);
int go_ExecutorBind(MXCSymbolHandle s, int dev_type, int dev_id, int nargs, const MXCNDArrayHandle *args, const MXCNDArrayHandle *grads, const int *reqs, int naux, const MXCNDArrayHandle *aux, MXCExecutorHandle shared, MXCExecutorHandle *out, char **err);
int go_ExecutorForward(MXCExecutorHandle e, int is_train, char **err);
int go_ExecutorBackward(MXCExecutorHandle e, int n, const MXCNDArrayHandle *heads, char **err);
int go_ExecutorOutputs(MXCExecutorHandle e, int *n, MXCNDArrayHandle **out, char **err);
int go_ExecutorMemoryStats(MXCExecutorHandle e, int64_t *planned, int64_t *unplanned, char **err);
int go_ExecutorPrint(MXCExecutorHandle e, char **out, char **err);
int go_ExecutorFree(MXCExecutorHandle e, char **err);

#endif  // MXC_GO_SHIM_H_
