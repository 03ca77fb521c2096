// The shims of shim.h (see there for the convention).
#include "shim.h"

#include <stdlib.h>
#include <string.h>


static int mxcgo_fail(char **err) {
	const char *m = MXCGetLastError();
	*err = strdup(m ? m : "");
	return -1;
}
#define MXCGO_CALL(expr) do { if ((expr) != 0) return mxcgo_fail(err); } while (0)

// n NUL-terminated strings, concatenated into one malloc'ed buffer of *len bytes.
static char *mxcgo_pack(int n, const char *const *s, int64_t *len) {
	size_t total = 0;
	for (int i = 0; i < n; ++i) total += strlen(s[i]) + 1;
	char *buf = (char *)malloc(total ? total : 1);
	if (!buf) return NULL;
	char *p = buf;
	for (int i = 0; i < n; ++i) { size_t l = strlen(s[i]) + 1; memcpy(p, s[i], l); p += l; }
	*len = (int64_t)total;
	return buf;
}
static void *mxcgo_copy(const void *src, size_t bytes) {
	void *d = malloc(bytes ? bytes : 1);
	if (d && bytes) memcpy(d, src, bytes);
	return d;
}
static int mxcgo_oom(char **err) { *err = strdup("InternalError: out of memory in the Go binding"); return -1; }

// ---- library ----
int go_GetVersion(int *major, int *minor, char **err) { MXCGO_CALL(MXCGetVersion(major, minor)); return 0; }
int go_Features(int *num, char **names, int64_t *len, int **enabled, char **err) {
	const char **n; const int *e;
	MXCGO_CALL(MXCLibInfoFeatures(num, &n, &e));
	*names = mxcgo_pack(*num, n, len);
	*enabled = (int *)mxcgo_copy(e, sizeof(int) * (size_t)*num);
	if (!*names || !*enabled) { free(*names); free(*enabled); return mxcgo_oom(err); }
	return 0;
}
int go_GetDeviceCount(int t, int *count, char **err) { MXCGO_CALL(MXCGetDeviceCount(t, count)); return 0; }
int go_RandomSeed(uint64_t seed, char **err) { MXCGO_CALL(MXCRandomSeed(seed)); return 0; }
int go_WaitAll(char **err) { MXCGO_CALL(MXCNDArrayWaitAll()); return 0; }
int go_EngineSetType(const char *name, char **err) { MXCGO_CALL(MXCEngineSetType(name)); return 0; }
int go_EngineGetType(char **name, char **err) {
	const char *n;
	MXCGO_CALL(MXCEngineGetType(&n));
	*name = strdup(n);
	return 0;
}

// ---- NDArray ----
// Shape (into shape[MXCGO_MAXDIM]), dtype and device of an array.
int go_NDArrayInfo(MXCNDArrayHandle h, int *ndim, int64_t *shape, int *dtype, int *dev_type, int *dev_id,
                          char **err) {
	const int64_t *s;
	MXCGO_CALL(MXCNDArrayGetShape(h, ndim, &s));
	if (*ndim > MXCGO_MAXDIM) { *err = strdup("ShapeError: too many dimensions for the Go binding"); return -1; }
	memcpy(shape, s, sizeof(int64_t) * (size_t)*ndim);
	MXCGO_CALL(MXCNDArrayGetDType(h, dtype));
	MXCGO_CALL(MXCNDArrayGetDevice(h, dev_type, dev_id));
	return 0;
}
int go_NDArrayCreate(const int64_t *shape, int ndim, int dtype, int dev_type, int dev_id,
                            MXCNDArrayHandle *out, char **err) {
	MXCGO_CALL(MXCNDArrayCreate(shape, ndim, dtype, dev_type, dev_id, 0, out));
	return 0;
}
int go_NDArrayFree(MXCNDArrayHandle h, char **err) { MXCGO_CALL(MXCNDArrayFree(h)); return 0; }
int go_NDArrayCopyFrom(MXCNDArrayHandle h, const void *data, int64_t size, char **err) {
	MXCGO_CALL(MXCNDArraySyncCopyFromCPU(h, data, size));
	return 0;
}
int go_NDArrayCopyTo(MXCNDArrayHandle h, void *data, int64_t size, char **err) {
	MXCGO_CALL(MXCNDArraySyncCopyToCPU(h, data, size));
	return 0;
}
int go_NDArraySlice(MXCNDArrayHandle h, int64_t b, int64_t e, MXCNDArrayHandle *out, char **err) {
	MXCGO_CALL(MXCNDArraySlice(h, b, e, out));
	return 0;
}
int go_NDArrayAt(MXCNDArrayHandle h, int64_t i, MXCNDArrayHandle *out, char **err) {
	MXCGO_CALL(MXCNDArrayAt(h, i, out));
	return 0;
}
int go_NDArrayReshape(MXCNDArrayHandle h, int ndim, const int64_t *shape, MXCNDArrayHandle *out,
                             char **err) {
	MXCGO_CALL(MXCNDArrayReshape(h, ndim, shape, out));
	return 0;
}
int go_NDArraySharesStorage(MXCNDArrayHandle a, MXCNDArrayHandle b, int *out, char **err) {
	MXCGO_CALL(MXCNDArraySharesStorage(a, b, out));
	return 0;
}
int go_NDArrayWaitToRead(MXCNDArrayHandle h, char **err) { MXCGO_CALL(MXCNDArrayWaitToRead(h)); return 0; }
int go_NDArrayWaitToWrite(MXCNDArrayHandle h, char **err) { MXCGO_CALL(MXCNDArrayWaitToWrite(h)); return 0; }
int go_NDArraySave(const char *fname, int num, const MXCNDArrayHandle *h, const char **keys, char **err) {
	MXCGO_CALL(MXCNDArraySave(fname, num, h, keys));
	return 0;
}
int go_NDArraySaveToBuffer(int num, const MXCNDArrayHandle *h, const char **keys, void **buf, int64_t *size,
                                  char **err) {
	const char *b;
	MXCGO_CALL(MXCNDArraySaveToBuffer(num, h, keys, size, &b));
	*buf = mxcgo_copy(b, (size_t)*size);
	if (!*buf) return mxcgo_oom(err);
	return 0;
}
static int mxcgo_loaded(int num, MXCNDArrayHandle *arrs, int nkeys, const char **keys, MXCNDArrayHandle **out,
                        char **keybuf, int64_t *keylen, char **err) {
	*out = (MXCNDArrayHandle *)mxcgo_copy(arrs, sizeof(MXCNDArrayHandle) * (size_t)num);
	*keybuf = mxcgo_pack(nkeys, keys, keylen);
	if (!*out || !*keybuf) {
		for (int i = 0; i < num; ++i) MXCNDArrayFree(arrs[i]);
		free(*out); free(*keybuf);
		return mxcgo_oom(err);
	}
	return 0;
}
int go_NDArrayLoad(const char *fname, int *num, MXCNDArrayHandle **out, int *nkeys, char **keybuf,
                          int64_t *keylen, char **err) {
	MXCNDArrayHandle *a; const char **k;
	MXCGO_CALL(MXCNDArrayLoad(fname, num, &a, nkeys, &k));
	return mxcgo_loaded(*num, a, *nkeys, k, out, keybuf, keylen, err);
}
int go_NDArrayLoadFromBuffer(const void *buf, int64_t size, int *num, MXCNDArrayHandle **out, int *nkeys,
                                    char **keybuf, int64_t *keylen, char **err) {
	MXCNDArrayHandle *a; const char **k;
	MXCGO_CALL(MXCNDArrayLoadFromBuffer(buf, size, num, &a, nkeys, &k));
	return mxcgo_loaded(*num, a, *nkeys, k, out, keybuf, keylen, err);
}

// ---- operators ----
int go_ListOps(int *num, char **names, int64_t *len, char **err) {
	const char **n;
	MXCGO_CALL(MXCListOps(num, &n));
	*names = mxcgo_pack(*num, n, len);
	if (!*names) return mxcgo_oom(err);
	return 0;
}
int go_OpGetHandle(const char *name, MXCOpHandle *out, char **err) {
	MXCGO_CALL(MXCOpGetHandle(name, out));
	return 0;
}
int go_OpGetInfo(MXCOpHandle op, MXCOpInfo *info, char **err) { MXCGO_CALL(MXCOpGetInfo(op, info)); return 0; }
// With nout > 0, writes into outs[0..nout); otherwise *alloc receives a malloc'ed copy of the *nout new handles.
int go_OpInvoke(MXCOpHandle op, int nin, const MXCNDArrayHandle *in, int nout_given, MXCNDArrayHandle *outs,
                       int *nout, MXCNDArrayHandle **alloc, int np, const char **keys, const char **vals,
                       char **err) {
	int n = nout_given;
	MXCNDArrayHandle *o = nout_given > 0 ? outs : NULL;
	MXCGO_CALL(MXCOpInvoke(op, nin, in, &n, &o, np, keys, vals));
	*nout = n;
	*alloc = NULL;
	if (nout_given == 0) {
		*alloc = (MXCNDArrayHandle *)mxcgo_copy(o, sizeof(MXCNDArrayHandle) * (size_t)n);
		if (!*alloc) { for (int i = 0; i < n; ++i) MXCNDArrayFree(o[i]); return mxcgo_oom(err); }
	}
	return 0;
}

// ---- symbols ----
int go_SymbolCreateVariable(const char *name, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolCreateVariable(name, out));
	return 0;
}
int go_SymbolCreateAtomic(const char *op, int np, const char **keys, const char **vals, MXCSymbolHandle *out,
                                 char **err) {
	MXCGO_CALL(MXCSymbolCreateAtomic(op, np, keys, vals, out));
	return 0;
}
int go_SymbolCompose(MXCSymbolHandle s, const char *name, int n, const char **keys, const MXCSymbolHandle *args,
                            char **err) {
	MXCGO_CALL(MXCSymbolCompose(s, name, n, keys, args));
	return 0;
}
int go_SymbolCreateGroup(int n, const MXCSymbolHandle *syms, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolCreateGroup(n, syms, out));
	return 0;
}
int go_SymbolCopy(MXCSymbolHandle s, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolCopy(s, out));
	return 0;
}
int go_SymbolFree(MXCSymbolHandle s, char **err) { MXCGO_CALL(MXCSymbolFree(s)); return 0; }
// which: 0 arguments, 1 outputs, 2 auxiliary states, 3 inputs, 4 attributes (recursive), 5 attributes (own).
int go_SymbolList(MXCSymbolHandle s, int which, int *num, char **names, int64_t *len, char **err) {
	const char **n;
	switch (which) {
	case 0: MXCGO_CALL(MXCSymbolListArguments(s, num, &n)); break;
	case 1: MXCGO_CALL(MXCSymbolListOutputs(s, num, &n)); break;
	case 2: MXCGO_CALL(MXCSymbolListAuxiliaryStates(s, num, &n)); break;
	case 3: MXCGO_CALL(MXCSymbolListInputs(s, num, &n)); break;
	case 4: MXCGO_CALL(MXCSymbolListAttr(s, 1, num, &n)); *num *= 2; break;
	default: MXCGO_CALL(MXCSymbolListAttr(s, 0, num, &n)); *num *= 2; break;
	}
	*names = mxcgo_pack(*num, n, len);
	if (!*names) return mxcgo_oom(err);
	return 0;
}
int go_SymbolGetName(MXCSymbolHandle s, char **out, int *success, char **err) {
	const char *n;
	MXCGO_CALL(MXCSymbolGetName(s, &n, success));
	*out = strdup(*success && n ? n : "");
	return 0;
}
int go_SymbolGetAttr(MXCSymbolHandle s, const char *key, char **out, int *success, char **err) {
	const char *v;
	MXCGO_CALL(MXCSymbolGetAttr(s, key, &v, success));
	*out = strdup(*success && v ? v : "");
	return 0;
}
int go_SymbolSetAttr(MXCSymbolHandle s, const char *key, const char *val, char **err) {
	MXCGO_CALL(MXCSymbolSetAttr(s, key, val));
	return 0;
}
int go_SymbolGetNumOutputs(MXCSymbolHandle s, int *n, char **err) {
	MXCGO_CALL(MXCSymbolGetNumOutputs(s, n));
	return 0;
}
int go_SymbolGetOutput(MXCSymbolHandle s, int i, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolGetOutput(s, i, out));
	return 0;
}
int go_SymbolGetInternals(MXCSymbolHandle s, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolGetInternals(s, out));
	return 0;
}
int go_SymbolGetChildren(MXCSymbolHandle s, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolGetChildren(s, out));
	return 0;
}
// Shapes of one category, copied: count, ndim of each, dims concatenated.
static int mxcgo_copy_shapes(int count, const int *ndims, const int64_t *dims, mxcgo_shapes *out) {
	size_t total = 0;
	for (int i = 0; i < count; ++i) total += ndims[i] > 0 ? (size_t)ndims[i] : 0;
	out->count = count;
	out->ndims = (int *)mxcgo_copy(ndims, sizeof(int) * (size_t)count);
	out->dims = (int64_t *)mxcgo_copy(dims, sizeof(int64_t) * total);
	return out->ndims && out->dims ? 0 : -1;
}
int go_SymbolInferShape(MXCSymbolHandle s, int nk, const char **keys, const int *ndims, const int64_t *dims,
                               int partial, mxcgo_shapes *args, mxcgo_shapes *outs, mxcgo_shapes *aux, int *complete,
                               char **err) {
	int ac, oc, xc;
	const int *an, *on, *xn;
	const int64_t *ad, *od, *xd;
	MXCGO_CALL(MXCSymbolInferShape(s, nk, keys, ndims, dims, partial, &ac, &an, &ad, &oc, &on, &od, &xc, &xn, &xd,
	                               complete));
	int bad = mxcgo_copy_shapes(ac, an, ad, args);
	bad |= mxcgo_copy_shapes(oc, on, od, outs);
	bad |= mxcgo_copy_shapes(xc, xn, xd, aux);
	return bad ? mxcgo_oom(err) : 0;
}
// Types of the three categories into one malloc'ed array: arguments, then outputs, then auxiliary states.
int go_SymbolInferType(MXCSymbolHandle s, int nk, const char **keys, const int *types, int partial,
                              int *ac, int *oc, int *xc, int **all, int *complete, char **err) {
	const int *a, *o, *x;
	MXCGO_CALL(MXCSymbolInferType(s, nk, keys, types, partial, ac, &a, oc, &o, xc, &x, complete));
	*all = (int *)malloc(sizeof(int) * (size_t)(*ac + *oc + *xc + 1));
	if (!*all) return mxcgo_oom(err);
	memcpy(*all, a, sizeof(int) * (size_t)*ac);
	memcpy(*all + *ac, o, sizeof(int) * (size_t)*oc);
	memcpy(*all + *ac + *oc, x, sizeof(int) * (size_t)*xc);
	return 0;
}
int go_SymbolSaveToJSON(MXCSymbolHandle s, char **out, char **err) {
	const char *j;
	MXCGO_CALL(MXCSymbolSaveToJSON(s, &j));
	*out = strdup(j);
	return 0;
}
int go_SymbolCreateFromJSON(const char *json, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolCreateFromJSON(json, out));
	return 0;
}
int go_SymbolSaveToFile(MXCSymbolHandle s, const char *fname, char **err) {
	MXCGO_CALL(MXCSymbolSaveToFile(s, fname));
	return 0;
}
int go_SymbolCreateFromFile(const char *fname, MXCSymbolHandle *out, char **err) {
	MXCGO_CALL(MXCSymbolCreateFromFile(fname, out));
	return 0;
}
int go_SymbolPrint(MXCSymbolHandle s, char **out, char **err) {
	const char *p;
	MXCGO_CALL(MXCSymbolPrint(s, &p));
	*out = strdup(p);
	return 0;
}

// ---- executors ----
int go_ExecutorBind(MXCSymbolHandle s, int dev_type, int dev_id, int nargs, const MXCNDArrayHandle *args,
                           const MXCNDArrayHandle *grads, const int *reqs, int naux, const MXCNDArrayHandle *aux,
                           MXCExecutorHandle shared, MXCExecutorHandle *out, char **err) {
	MXCGO_CALL(MXCExecutorBind(s, dev_type, dev_id, nargs, args, grads, reqs, naux, aux, shared, out));
	return 0;
}
int go_ExecutorForward(MXCExecutorHandle e, int is_train, char **err) {
	MXCGO_CALL(MXCExecutorForward(e, is_train));
	return 0;
}
int go_ExecutorBackward(MXCExecutorHandle e, int n, const MXCNDArrayHandle *heads, char **err) {
	MXCGO_CALL(MXCExecutorBackward(e, n, heads));
	return 0;
}
int go_ExecutorOutputs(MXCExecutorHandle e, int *n, MXCNDArrayHandle **out, char **err) {
	MXCNDArrayHandle *o;
	MXCGO_CALL(MXCExecutorOutputs(e, n, &o));
	*out = (MXCNDArrayHandle *)mxcgo_copy(o, sizeof(MXCNDArrayHandle) * (size_t)*n);
	if (!*out) { for (int i = 0; i < *n; ++i) MXCNDArrayFree(o[i]); return mxcgo_oom(err); }
	return 0;
}
int go_ExecutorMemoryStats(MXCExecutorHandle e, int64_t *planned, int64_t *unplanned, char **err) {
	MXCGO_CALL(MXCExecutorMemoryStats(e, planned, unplanned));
	return 0;
}
int go_ExecutorPrint(MXCExecutorHandle e, char **out, char **err) {
	const char *p;
	MXCGO_CALL(MXCExecutorPrint(e, &p));
	*out = strdup(p);
	return 0;
}
int go_ExecutorFree(MXCExecutorHandle e, char **err) { MXCGO_CALL(MXCExecutorFree(e)); return 0; }

// ---- autograd ----
int go_AutogradSetIsRecording(int on, int *prev, char **err) { MXCGO_CALL(MXCAutogradSetIsRecording(on, prev)); return 0; }
int go_AutogradSetIsTraining(int on, int *prev, char **err) { MXCGO_CALL(MXCAutogradSetIsTraining(on, prev)); return 0; }
int go_AutogradMarkVariables(int num, const MXCNDArrayHandle *vars, const int *reqs, const MXCNDArrayHandle *grads, char **err) {
	MXCGO_CALL(MXCAutogradMarkVariables(num, vars, reqs, grads));
	return 0;
}
int go_AutogradBackward(int nh, const MXCNDArrayHandle *heads, const MXCNDArrayHandle *head_grads, int nv, const MXCNDArrayHandle *vars, int retain, int train, MXCNDArrayHandle *grads, char **err) {
	MXCGO_CALL(MXCAutogradBackward(nh, heads, head_grads, nv, vars, retain, train, grads));
	return 0;
}
int go_NDArrayGetGrad(MXCNDArrayHandle h, MXCNDArrayHandle *out, char **err) { MXCGO_CALL(MXCNDArrayGetGrad(h, out)); return 0; }
int go_NDArrayDetach(MXCNDArrayHandle h, MXCNDArrayHandle *out, char **err) { MXCGO_CALL(MXCNDArrayDetach(h, out)); return 0; }
