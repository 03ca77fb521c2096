/*
 * mxc.h -- the one public C header of mxc, a deep-learning framework in the MXNet 1.x tradition.
 *
 * Every language binding (Python/cffi, Go/cgo, JavaScript/WebAssembly, C++) calls exactly these functions.
 *
 * A worked example (error handling shortened):
 *
 *     int64_t shape[2] = {2, 3};
 *     MXCNDArrayHandle a, b;
 *     MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &a);
 *     MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &b);
 *     float ones[6] = {1, 1, 1, 1, 1, 1};
 *     MXCNDArraySyncCopyFromCPU(a, ones, 6);
 *     MXCNDArraySyncCopyFromCPU(b, ones, 6);
 *     MXCOpHandle add;
 *     MXCOpGetHandle("elemwise_add", &add);
 *     MXCNDArrayHandle in[2] = {a, b};
 *     int nout = 0;
 *     MXCNDArrayHandle *out = NULL;
 *     if (MXCOpInvoke(add, 2, in, &nout, &out, 0, NULL, NULL) != 0)
 *         fprintf(stderr, "%s\n", MXCGetLastError());
 *     float result[6];
 *     MXCNDArraySyncCopyToCPU(out[0], result, 6);   (waits for the result)
 *     MXCNDArrayFree(out[0]); MXCNDArrayFree(a); MXCNDArrayFree(b);
 *
 * Conventions (they hold for every function below):
 *  - Every function returns int: 0 on success, -1 on failure. On failure MXCGetLastError() returns a message that
 *    starts with an error kind: "ShapeError: ", "TypeError: ", "ValueError: ", "IndexError: ", "IOError: ",
 *    "DeviceError: " or "InternalError: ". No C++ exception and no abort ever crosses this interface.
 *  - Ownership of returned pointers is stated on each function with one of two sentences:
 *    "Borrowed: valid until the next call into mxc on this thread." or "Owned: the caller frees it with <Free>."
 *    Handles in returned arrays are owned by the caller unless the function says otherwise; the array holding them
 *    is borrowed.
 *  - Every Free function accepts NULL.
 *  - Shapes are int64_t; sizes of data are counted in elements, never bytes.
 *  - Enum values are written out and only ever appended.
 *  - This header is plain C99, readable by cffi as it is between the MXC_CDEF markers: no inline code, no default
 *    arguments and no macros in prototypes but MXC_API.
 */
#ifndef MXC_H_
#define MXC_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#define MXC_API EMSCRIPTEN_KEEPALIVE
#elif defined(_WIN32)
#define MXC_API __declspec(dllexport)
#else
#define MXC_API __attribute__((visibility("default")))
#endif

/* Version of this header; MXCGetVersion() returns the library's. Bindings check MAJOR equality at load. */
#define MXC_VERSION_MAJOR 0
#define MXC_VERSION_MINOR 5

#ifdef __cplusplus
extern "C" {
#endif

/* MXC_CDEF_BEGIN */

/* ================================================================================================================ */
/* Types                                                                                                            */
/* ================================================================================================================ */

/*! \brief Element types; codes as MXNet's. Append only. */
enum MXCDType {
  MXC_FLOAT32 = 0,
  MXC_FLOAT64 = 1,
  MXC_FLOAT16 = 2,
  MXC_UINT8 = 3,
  MXC_INT32 = 4,
  MXC_INT8 = 5,
  MXC_INT64 = 6,
  MXC_BOOL = 7
};

/*! \brief Device kinds; codes as MXNet's. Append only. */
enum MXCDeviceType {
  MXC_CPU = 1,
  MXC_GPU = 2
};

/*! \brief How an executor writes a gradient; codes as MXNet's OpReqType. Append only. */
enum MXCGradReq {
  MXC_GRAD_NULL = 0,  /* no gradient */
  MXC_GRAD_WRITE = 1, /* overwrite the gradient array */
  MXC_GRAD_INPLACE = 2, /* reserved (treated as write) */
  MXC_GRAD_ADD = 3    /* add to the gradient array */
};

/*! \brief Opaque handle to an n-dimensional array (a view of reference-counted storage). */
typedef struct MXCNDArray_ *MXCNDArrayHandle;
/*! \brief Opaque handle to a registered operator; owned by the library, valid for its lifetime, never freed. */
typedef struct MXCOp_ *MXCOpHandle;
/*! \brief Opaque handle to a symbolic graph (one or more outputs). */
typedef struct MXCSymbol_ *MXCSymbolHandle;
/*! \brief Opaque handle to an executor: a symbol bound to arrays. */
typedef struct MXCExecutor_ *MXCExecutorHandle;
/*! \brief Opaque handle to a cached operator: a symbol prepared to run imperatively as one call (Gluon's hybridize). */
typedef struct MXCCachedOp_ *MXCCachedOpHandle;

/*! \brief Metadata of a registered operator. Every pointer inside is owned by the library and valid for its
 *  lifetime. */
typedef struct MXCOpInfo {
  const char *name;               /* canonical name, e.g. "FullyConnected" */
  const char *description;        /* doc string */
  int num_aliases;                /* number of other names the operator answers to */
  const char *const *aliases;     /* e.g. "_Plus" for "elemwise_add" */
  int num_inputs;                 /* number of named inputs; for variadic operators see key_var_num_args */
  const char *const *input_names; /* e.g. "data", "weight", "bias" */
  const int *input_is_aux;        /* 1 where the input is an auxiliary state (e.g. BatchNorm's moving_mean) */
  const char *key_var_num_args;   /* parameter holding the input count of a variadic operator, or "" */
  int num_params;                 /* number of parameters */
  const char *const *param_names;    /* parameter names */
  const char *const *param_types;    /* type descriptions: "int", "float", "boolean", "string", "Shape(tuple)",
                                        "{'a', 'b'}" (one of), "int or None", "Shape or None", "tuple of <int or
                                        None>", "dtype" */
  const char *const *param_defaults; /* default value as a string; "" where required */
  const int *param_required;         /* 1 where the parameter has no default */
  const char *const *param_docs;     /* one doc string per parameter */
  int has_gradient;                  /* 1 where a gradient is defined */
  int is_loss;                       /* 1 where backward ignores the head gradient (SoftmaxOutput, ...) */
} MXCOpInfo;

/* ================================================================================================================ */
/* Library                                                                                                          */
/* ================================================================================================================ */

/*! \brief Message of the last failure on this thread, starting with its kind. Borrowed: valid until the next call
 *  into mxc on this thread. Never NULL (empty when there was no failure). */
MXC_API const char *MXCGetLastError(void);

/*! \brief Library version. */
MXC_API int MXCGetVersion(int *major, int *minor);

/*! \brief Features of this build: names (e.g. "CUDA", "BLAS_OPENBLAS", "OPENMP", "CUDNN") and whether each is
 *  enabled. Both arrays are borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCLibInfoFeatures(int *num, const char ***names, const int **enabled);

/*! \brief Number of devices of a kind usable now (cpu: 1; gpu: 0 in a build without CUDA or without a GPU). */
MXC_API int MXCGetDeviceCount(int dev_type, int *count);

/*! \brief Seeds every random generator of the library (all devices). */
MXC_API int MXCRandomSeed(uint64_t seed);

/*! \brief Memory of GPU dev_id's caching allocator, in bytes: in_use (held by arrays), cached (freed by arrays,
 *  kept for reuse), peak (highest in_use so far). Any out pointer may be NULL. DeviceError without CUDA or GPU. */
MXC_API int MXCGPUMemoryStats(int dev_id, int64_t *in_use, int64_t *cached, int64_t *peak);

/*! \brief Returns the cached (unused) memory of GPU dev_id's allocator to the driver, after waiting for the work
 *  queued on that GPU. DeviceError without CUDA or GPU. */
MXC_API int MXCGPUReleaseCache(int dev_id);

/*! \brief Memory of the CPU storage pool, in bytes: in_use (held by arrays, rounded to the pool's size classes),
 *  cached (freed by arrays, kept for reuse by later arrays), peak (highest in_use so far). Any out pointer may be
 *  NULL. The pool keeps at most MXC_CPU_MEM_POOL_LIMIT_MB megabytes (default: a quarter of the physical memory, at
 *  most 4096; 0 turns it off). */
MXC_API int MXCCPUMemoryStats(int64_t *in_use, int64_t *cached, int64_t *peak);

/*! \brief Returns the CPU storage pool's cached (unused) memory to the system. Memory of arrays still held, or
 *  freed with work pending on them, is not affected. */
MXC_API int MXCCPUReleaseCache(void);

/*! \brief MXNet's NumPy shape mode. is_np_shape: 0 off, 1 on for the calling thread, 2 on for every thread (as
 *  MXNet: the flag is thread-local; 2 sets a global one). 0 clears both. *prev (may be NULL) gets the mode before.
 *  In this mode arrays may be 0-d (ndim 0, shape (), one element), and the reductions sum/mean/max/min/prod/norm
 *  over every axis and the dot of two 1-d arrays give 0-d arrays. Off (the default): MXNet 1.x's shapes. */
MXC_API int MXCSetIsNumpyShape(int is_np_shape, int *prev);

/*! \brief The NumPy shape mode seen by the calling thread: 0 off, 1 on for this thread, 2 on globally. */
MXC_API int MXCIsNumpyShape(int *curr);

/* ================================================================================================================ */
/* NDArray                                                                                                          */
/* ================================================================================================================ */

/*! \brief Creates an array with uninitialised contents. ndim >= 1 (ndim 0, a 0-d array, in NumPy shape mode), every dimension >= 0. With delay_alloc != 0 the
 *  storage is allocated when first written. Owned: the caller frees it with MXCNDArrayFree. */
MXC_API int MXCNDArrayCreate(const int64_t *shape, int ndim, int dtype, int dev_type, int dev_id, int delay_alloc,
                             MXCNDArrayHandle *out);

/*! \brief Releases a handle; storage is released when no handle or pending operation uses it. NULL is allowed. */
MXC_API int MXCNDArrayFree(MXCNDArrayHandle handle);

/*! \brief Shape of the array. *shape is borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCNDArrayGetShape(MXCNDArrayHandle handle, int *ndim, const int64_t **shape);

/*! \brief Element type (an MXCDType code). */
MXC_API int MXCNDArrayGetDType(MXCNDArrayHandle handle, int *dtype);

/*! \brief Device (MXCDeviceType code and device index). */
MXC_API int MXCNDArrayGetDevice(MXCNDArrayHandle handle, int *dev_type, int *dev_id);

/*! \brief Copies size elements (must equal the array's size) of the array's dtype from host memory into the array,
 *  after pending work on it has finished. */
MXC_API int MXCNDArraySyncCopyFromCPU(MXCNDArrayHandle handle, const void *data, int64_t size);

/*! \brief Waits for pending writes, then copies size elements (must equal the array's size) into host memory. */
MXC_API int MXCNDArraySyncCopyToCPU(MXCNDArrayHandle handle, void *data, int64_t size);

/*! \brief Queues a copy of src into dst, which may be on another device (same shape and dtype). It runs
 *  after src's pending writes and dst's pending work, without waiting here: wait on dst to see it, and errors of
 *  the copy surface there. */
MXC_API int MXCNDArrayCopyTo(MXCNDArrayHandle src, MXCNDArrayHandle dst);

/*! \brief A view of rows [begin, end) along the first axis, sharing storage. Owned: free with MXCNDArrayFree. */
MXC_API int MXCNDArraySlice(MXCNDArrayHandle handle, int64_t begin, int64_t end, MXCNDArrayHandle *out);

/*! \brief A view of row idx along the first axis (one dimension fewer; a 1-d array gives shape (1,)), sharing
 *  storage. Negative idx counts from the end. Owned: free with MXCNDArrayFree. */
MXC_API int MXCNDArrayAt(MXCNDArrayHandle handle, int64_t idx, MXCNDArrayHandle *out);

/*! \brief A view with another shape and the same number of elements, sharing storage. The shape may use MXNet's
 *  special codes (0 copies a dimension, -1 infers one, -2 copies the rest, -3 merges two, -4 splits one).
 *  Owned: free with MXCNDArrayFree. */
MXC_API int MXCNDArrayReshape(MXCNDArrayHandle handle, int ndim, const int64_t *shape, MXCNDArrayHandle *out);

/*! \brief 1 when both handles view the same storage (not necessarily the same elements). */
MXC_API int MXCNDArraySharesStorage(MXCNDArrayHandle a, MXCNDArrayHandle b, int *out);

/*! \brief Waits until all pending writes to the array have finished; raises the error of a failed one. */
MXC_API int MXCNDArrayWaitToRead(MXCNDArrayHandle handle);

/*! \brief Waits until all pending reads and writes of the array have finished. */
MXC_API int MXCNDArrayWaitToWrite(MXCNDArrayHandle handle);

/*! \brief Waits for all pending work of the library; raises the first error of failed work not yet reported. */
MXC_API int MXCNDArrayWaitAll(void);

/*! \brief Address of the array's first element. Borrowed: valid while the handle lives, and its contents only after
 *  MXCNDArrayWaitToRead (to read) or MXCNDArrayWaitToWrite (to write). CPU arrays only. */
MXC_API int MXCNDArrayGetData(MXCNDArrayHandle handle, void **out);

/*! \brief Saves named arrays to a file in the mxc array format (magic "MXCNDARR", version, then per array its name,
 *  dtype, shape and little-endian data). keys may be NULL for unnamed arrays. */
MXC_API int MXCNDArraySave(const char *fname, int num, const MXCNDArrayHandle *handles, const char **keys);

/*! \brief As MXCNDArraySave, in MXNet 1.x's binary .params layout (what mx.nd.save of MXNet writes and mx.nd.load
 *  of MXNet reads; dense arrays, recorded as on cpu(0)). MXCNDArrayLoad reads either layout. */
MXC_API int MXCNDArraySaveMXNetFormat(const char *fname, int num, const MXCNDArrayHandle *handles, const char **keys);

/*! \brief Loads arrays saved by MXCNDArraySave or MXCNDArraySaveMXNetFormat (or by MXNet 1.x's mx.nd.save).
 *  *out_arrays holds owned handles (free each with MXCNDArrayFree); the arrays *out_arrays and *out_keys are
 *  borrowed: valid until the next call into mxc on this thread. *num_keys is 0 when the arrays were saved without
 *  names. A corrupt or truncated file is an IOError. */
MXC_API int MXCNDArrayLoad(const char *fname, int *num, MXCNDArrayHandle **out_arrays, int *num_keys,
                           const char ***out_keys);

/*! \brief As MXCNDArraySave, into a byte buffer. *out_buf is borrowed: valid until the next call into mxc on this
 *  thread. */
MXC_API int MXCNDArraySaveToBuffer(int num, const MXCNDArrayHandle *handles, const char **keys, int64_t *out_size,
                                   const char **out_buf);

/*! \brief As MXCNDArrayLoad, from a byte buffer of size bytes. Same ownership as MXCNDArrayLoad. */
MXC_API int MXCNDArrayLoadFromBuffer(const void *buf, int64_t size, int *num, MXCNDArrayHandle **out_arrays,
                                     int *num_keys, const char ***out_keys);

/* ================================================================================================================ */
/* DLPack                                                                                                           */
/* ================================================================================================================ */
/* Zero-copy exchange of arrays with other libraries (NumPy, PyTorch, CuPy, JAX, ...) through DLPack's unversioned
 * ("dltensor", 0.x) ABI. The structs below have DLPack's standard layout (DLDevice, DLDataType, DLTensor,
 * DLManagedTensor), under mxc's own names so that this header and dlpack.h can be included together: a pointer to
 * one may be cast to the other. */

/*! \brief DLPack device types (DLDeviceType); mxc produces and accepts CPU and CUDA (CUDA_HOST as CPU). */
enum MXCDLDeviceType {
  MXC_DL_CPU = 1,
  MXC_DL_CUDA = 2,
  MXC_DL_CUDA_HOST = 3,
  MXC_DL_OPENCL = 4,
  MXC_DL_VULKAN = 7,
  MXC_DL_METAL = 8,
  MXC_DL_VPI = 9,
  MXC_DL_ROCM = 10,
  MXC_DL_ROCM_HOST = 11,
  MXC_DL_EXT_DEV = 12,
  MXC_DL_CUDA_MANAGED = 13,
  MXC_DL_ONEAPI = 14,
  MXC_DL_WEBGPU = 15,
  MXC_DL_HEXAGON = 16
};

/*! \brief DLPack type codes (DLDataTypeCode). */
enum MXCDLDataTypeCode {
  MXC_DL_INT = 0,
  MXC_DL_UINT = 1,
  MXC_DL_FLOAT = 2,
  MXC_DL_OPAQUE_HANDLE = 3,
  MXC_DL_BFLOAT = 4,
  MXC_DL_COMPLEX = 5,
  MXC_DL_BOOL = 6
};

/*! \brief DLDevice: where the memory is (an MXCDLDeviceType code and the device's index). */
typedef struct MXCDLDevice {
  int32_t device_type;
  int32_t device_id;
} MXCDLDevice;

/*! \brief DLDataType: an MXCDLDataTypeCode, the bits of one lane, and the lanes (1 for plain elements). */
typedef struct MXCDLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
} MXCDLDataType;

/*! \brief DLTensor: the element at index (i0, i1, ...) is at (char *)data + byte_offset + sum(ik * strides[k]) *
 *  (bits / 8). strides NULL means compact row-major. */
typedef struct MXCDLTensor {
  void *data;
  MXCDLDevice device;
  int32_t ndim;
  MXCDLDataType dtype;
  int64_t *shape;
  int64_t *strides;
  uint64_t byte_offset;
} MXCDLTensor;

/*! \brief DLManagedTensor: a tensor with its owner's context and the deleter the consumer calls (once) when it no
 *  longer needs the memory. */
typedef struct MXCDLManagedTensor {
  MXCDLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(struct MXCDLManagedTensor *self);
} MXCDLManagedTensor;

/*! \brief Exports the array as a DLPack tensor viewing its memory (MXNet's to_dlpack_for_read / _for_write). It
 *  first waits for the array's pending writes (for_write = 0), or its pending reads and writes (for_write = 1), GPU
 *  streams included; the memory is then the consumer's to read (or write) until work is queued on the array again.
 *  dtypes float16/32/64, uint8, int8, int32, int64 and bool (kDLBool, 8 bits); device kDLCPU or kDLCUDA with the
 *  GPU's index; compact strides given; data points at the first element (byte_offset 0). The tensor keeps the
 *  array's storage alive (the handle may be freed at once) until its deleter is called. Owned: the consumer calls
 *  (*out)->deleter(*out) exactly once. */
MXC_API int MXCNDArrayToDLPack(MXCNDArrayHandle handle, int for_write, MXCDLManagedTensor **out);

/*! \brief Imports a DLPack tensor as an array sharing its memory (MXNet's from_dlpack). On success mxc owns the
 *  tensor: it calls tensor->deleter (when not NULL) once, after the last array viewing the memory is freed and the
 *  work queued on it has run. On failure the caller still owns it. Accepted: device kDLCPU or kDLCUDA_HOST (a cpu
 *  array) and, in a CUDA build, kDLCUDA (gpu array of that index; the GPU is synchronized first, every stream, so
 *  the producer's pending work on the memory is done); the dtypes of MXCNDArrayToDLPack (lanes 1);
 *  compact tensors (strides NULL or row-major, sizes 1 and empty tensors excepted), any byte_offset; ndim 0 gives
 *  shape (1,). Anything else is an error naming what is unsupported (TypeError for a dtype, DeviceError for a
 *  device, ValueError for strides or a NULL tensor/data). Owned: free *out with MXCNDArrayFree. */
MXC_API int MXCNDArrayFromDLPack(MXCDLManagedTensor *tensor, MXCNDArrayHandle *out);

/* ================================================================================================================ */
/* Operators                                                                                                        */
/* ================================================================================================================ */

/*! \brief Canonical names of all registered operators. *names is borrowed: valid until the next call into mxc on
 *  this thread (the strings themselves live as long as the library). */
MXC_API int MXCListOps(int *num, const char ***names);

/*! \brief Looks an operator up by name or alias. An unknown name is a ValueError. */
MXC_API int MXCOpGetHandle(const char *name, MXCOpHandle *out);

/*! \brief Fills *info with the operator's metadata (see MXCOpInfo for ownership). */
MXC_API int MXCOpGetInfo(MXCOpHandle op, MXCOpInfo *info);

/*! \brief Runs an operator on arrays. Parameters are passed as strings keyed by name (keys/vals of num_params).
 *  If *outputs is NULL (and *num_outputs is 0 on entry), the library allocates the outputs and sets *num_outputs and
 *  *outputs: the handles are owned (free each with MXCNDArrayFree), the array holding them is borrowed (valid until
 *  the next call into mxc on this thread). Otherwise *outputs holds *num_outputs arrays to write into. Errors in
 *  the arguments (unknown or missing parameter, a value that does not parse, shapes or dtypes that do not fit)
 *  are reported here and name the operator, the argument and the shapes; errors while computing are reported at
 *  the next wait on an output. */
MXC_API int MXCOpInvoke(MXCOpHandle op, int num_inputs, const MXCNDArrayHandle *inputs, int *num_outputs,
                        MXCNDArrayHandle **outputs, int num_params, const char **keys, const char **vals);

/*! \brief Opaque handle to an operator with its parameters parsed once, for bindings that run the same operator
 *  with the same parameters many times (the arithmetic of an array class): MXCPreparedOpInvoke skips the parsing
 *  and has no borrowed return buffer. Owned: free with MXCPreparedOpFree. Usable from several threads at once. */
typedef struct MXCPreparedOp_ *MXCPreparedOpHandle;

/*! \brief Prepares op with its parameters (as in MXCOpInvoke; errors in them are reported here). */
MXC_API int MXCPreparedOpCreate(MXCOpHandle op, int num_params, const char **keys, const char **vals,
                                MXCPreparedOpHandle *out);

/*! \brief Frees a prepared operator (NULL allowed). Work already pushed with it is not affected. */
MXC_API int MXCPreparedOpFree(MXCPreparedOpHandle op);

/*! \brief Number of outputs an invocation returns (the operator's visible outputs with these parameters). */
MXC_API int MXCPreparedOpGetNumOutputs(MXCPreparedOpHandle op, int *num);

/*! \brief Runs a prepared operator on arrays, as MXCOpInvoke. outputs is the caller's array of num_outputs
 *  handles: when all are NULL, the library allocates the outputs (num_outputs must be MXCPreparedOpGetNumOutputs)
 *  and stores their handles there (owned: free each with MXCNDArrayFree; on an error they stay NULL); otherwise
 *  every handle is an array to write into. Errors as in MXCOpInvoke. */
MXC_API int MXCPreparedOpInvoke(MXCPreparedOpHandle op, int num_inputs, const MXCNDArrayHandle *inputs,
                                int num_outputs, MXCNDArrayHandle *outputs);

/*! \brief MXCPreparedOpInvoke for an operator of one input and one output, the output allocated: *out receives the
 *  new array (owned: free with MXCNDArrayFree; NULL on an error). The fewest arguments, for bindings whose calls
 *  cost per argument (the arithmetic of an array class with a scalar). */
MXC_API int MXCPreparedOpInvokeUnary(MXCPreparedOpHandle op, MXCNDArrayHandle in, MXCNDArrayHandle *out);

/*! \brief As MXCPreparedOpInvokeUnary for an operator of two inputs (lhs, rhs) and one output. */
MXC_API int MXCPreparedOpInvokeBinary(MXCPreparedOpHandle op, MXCNDArrayHandle lhs, MXCNDArrayHandle rhs,
                                      MXCNDArrayHandle *out);

/* ================================================================================================================ */
/* Symbols                                                                                                          */
/* ================================================================================================================ */

/*! \brief A variable (placeholder) named name. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCreateVariable(const char *name, MXCSymbolHandle *out);

/*! \brief An operator node not yet connected to inputs; op_name may be an alias. Parameters as in MXCOpInvoke.
 *  Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCreateAtomic(const char *op_name, int num_params, const char **keys, const char **vals,
                                  MXCSymbolHandle *out);

/*! \brief Connects an atomic symbol to its inputs, in place. name may be NULL (the library then names the node
 *  from the operator's name and a per-name counter). keys is NULL for positional inputs, else holds one input name
 *  per arg. Inputs not given become variables named "<name>_<input>". */
MXC_API int MXCSymbolCompose(MXCSymbolHandle sym, const char *name, int num_args, const char **keys,
                             const MXCSymbolHandle *args);

/*! \brief A symbol whose outputs are the outputs of all given symbols, in order. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCreateGroup(int num, const MXCSymbolHandle *syms, MXCSymbolHandle *out);

/*! \brief A copy of the graph (new nodes with the same names, operators, parameters and attributes; changes to one
 *  do not reach the other). Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCopy(MXCSymbolHandle sym, MXCSymbolHandle *out);

/*! \brief Releases a symbol handle. NULL is allowed. */
MXC_API int MXCSymbolFree(MXCSymbolHandle sym);

/*! \brief Argument names in depth-first order. *out is borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCSymbolListArguments(MXCSymbolHandle sym, int *num, const char ***out);

/*! \brief Output names ("<node>_output" or "<node>_output<i>"). Borrowed as MXCSymbolListArguments. */
MXC_API int MXCSymbolListOutputs(MXCSymbolHandle sym, int *num, const char ***out);

/*! \brief Auxiliary state names. Borrowed as MXCSymbolListArguments. */
MXC_API int MXCSymbolListAuxiliaryStates(MXCSymbolHandle sym, int *num, const char ***out);

/*! \brief Arguments and auxiliary states in depth-first order. Borrowed as MXCSymbolListArguments. */
MXC_API int MXCSymbolListInputs(MXCSymbolHandle sym, int *num, const char ***out);

/*! \brief Name of a single-output symbol; *success is 0 for a group. *out is borrowed: valid until the next call
 *  into mxc on this thread. */
MXC_API int MXCSymbolGetName(MXCSymbolHandle sym, const char **out, int *success);

/*! \brief Attribute of the symbol's node (or "" with *success 0). Borrowed as MXCSymbolGetName. */
MXC_API int MXCSymbolGetAttr(MXCSymbolHandle sym, const char *key, const char **out, int *success);

/*! \brief Sets an attribute on the symbol's node (e.g. "__shape__", "__dtype__", "__init__", "lr_mult"). */
MXC_API int MXCSymbolSetAttr(MXCSymbolHandle sym, const char *key, const char *value);

/*! \brief Attributes as 2*num strings (key, value, ...). With recursive != 0, keys of every node of the graph are
 *  written "<node>$<key>". Borrowed as MXCSymbolListArguments. */
MXC_API int MXCSymbolListAttr(MXCSymbolHandle sym, int recursive, int *num, const char ***out);

/*! \brief Number of outputs. */
MXC_API int MXCSymbolGetNumOutputs(MXCSymbolHandle sym, int *num);

/*! \brief The index-th output as a symbol. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolGetOutput(MXCSymbolHandle sym, int index, MXCSymbolHandle *out);

/*! \brief A group of every output of every node of the graph. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolGetInternals(MXCSymbolHandle sym, MXCSymbolHandle *out);

/*! \brief A group of the inputs of the symbol's head node, or *out NULL for a variable. Owned: free with
 *  MXCSymbolFree. */
MXC_API int MXCSymbolGetChildren(MXCSymbolHandle sym, MXCSymbolHandle *out);

/*! \brief Infers shapes. Known shapes are given for num_known arguments by name: keys[i] with ndims[i] dimensions
 *  taken in turn from dims. A dimension or a whole shape (ndim 0) that is unknown is written 0. With partial == 0,
 *  a shape left unknown is a ShapeError; a conflict always is one, naming the node, the argument and both shapes.
 *  Results per category (arguments, outputs, auxiliary states, in list order): a count, the ndim of each and all
 *  dimensions concatenated. *complete is 1 when every shape is known. Result arrays are borrowed: valid until the
 *  next call into mxc on this thread. */
MXC_API int MXCSymbolInferShape(MXCSymbolHandle sym, int num_known, const char **keys, const int *ndims,
                                const int64_t *dims, int partial,
                                int *arg_count, const int **arg_ndims, const int64_t **arg_dims,
                                int *out_count, const int **out_ndims, const int64_t **out_dims,
                                int *aux_count, const int **aux_ndims, const int64_t **aux_dims, int *complete);

/*! \brief Infers dtypes from num_known (name, MXCDType code) pairs; -1 marks an unknown type in the results. Same
 *  conventions as MXCSymbolInferShape. */
MXC_API int MXCSymbolInferType(MXCSymbolHandle sym, int num_known, const char **keys, const int *dtypes, int partial,
                               int *arg_count, const int **arg_types, int *out_count, const int **out_types,
                               int *aux_count, const int **aux_types, int *complete);

/*! \brief The graph as JSON (nodes, arg_nodes, heads, attrs with the format version). Borrowed: valid until the
 *  next call into mxc on this thread. */
MXC_API int MXCSymbolSaveToJSON(MXCSymbolHandle sym, const char **out);

/*! \brief A symbol from JSON written by MXCSymbolSaveToJSON or by MXNet 1.x. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCreateFromJSON(const char *json, MXCSymbolHandle *out);

/*! \brief Writes the JSON to a file (atomically: a temporary file renamed over the target). */
MXC_API int MXCSymbolSaveToFile(MXCSymbolHandle sym, const char *fname);

/*! \brief Reads a symbol from a JSON file. Owned: free with MXCSymbolFree. */
MXC_API int MXCSymbolCreateFromFile(const char *fname, MXCSymbolHandle *out);

/*! \brief A readable description of the graph. Borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCSymbolPrint(MXCSymbolHandle sym, const char **out);

/*! \brief *out 1 when a node of the graph has subgraphs (a control-flow node: _foreach, _while_loop, _cond, as
 *  MXNet 1.9.1 writes them in JSON), else 0. Such nodes are kept and written back as they are; MXCSymbolInferShape,
 *  MXCSymbolInferType, MXCExecutorBind and MXCCachedOpCreate (per input shapes, at the call) run the graph with them
 *  unrolled for the input shapes (the symbol itself is not changed). */
MXC_API int MXCSymbolHasSubgraphs(MXCSymbolHandle sym, int *out);

/* ================================================================================================================ */
/* Executors                                                                                                        */
/* ================================================================================================================ */

/*! \brief Binds a symbol to arrays on a device. args: one array per argument in MXCSymbolListArguments order, used
 *  in place (not copied). arg_grads: one per argument, NULL where no gradient is wanted. grad_reqs: one MXCGradReq
 *  per argument. aux: one per auxiliary state. shared_exec (may be NULL) lends its memory pool. The executor keeps
 *  its own references to every array. Owned: free with MXCExecutorFree. */
MXC_API int MXCExecutorBind(MXCSymbolHandle sym, int dev_type, int dev_id, int num_args,
                            const MXCNDArrayHandle *args, const MXCNDArrayHandle *arg_grads, const int *grad_reqs,
                            int num_aux, const MXCNDArrayHandle *aux, MXCExecutorHandle shared_exec,
                            MXCExecutorHandle *out);

/*! \brief Runs the graph forward. is_train != 0 enables training behaviour (Dropout, BatchNorm batch statistics).
 *  An executor bound with gradients keeps what backward needs after any forward. */
MXC_API int MXCExecutorForward(MXCExecutorHandle exec, int is_train);

/*! \brief Runs backward after a forward (in the forward's training mode). head_grads holds one array per output
 *  (num may be 0 when every output is a loss such as SoftmaxOutput; a NULL entry means a gradient of ones for a loss
 *  output). Does nothing for an executor bound without gradients. */
MXC_API int MXCExecutorBackward(MXCExecutorHandle exec, int num, const MXCNDArrayHandle *head_grads);

/*! \brief The output arrays. *out holds owned handles (free each with MXCNDArrayFree); the array holding them is
 *  borrowed: valid until the next call into mxc on this thread. The outputs keep their storage across forwards. */
MXC_API int MXCExecutorOutputs(MXCExecutorHandle exec, int *num, MXCNDArrayHandle **out);

/*! \brief Bytes of internal (non-argument, non-output) storage with the memory planner (*planned) and without it
 *  (*unplanned: one buffer per value), for the graph as bound (training or inference). */
MXC_API int MXCExecutorMemoryStats(MXCExecutorHandle exec, int64_t *planned, int64_t *unplanned);

/*! \brief A readable description of the bound graph with shapes and the memory plan. Borrowed: valid until the next
 *  call into mxc on this thread. */
MXC_API int MXCExecutorPrint(MXCExecutorHandle exec, const char **out);

/*! \brief Releases an executor. NULL is allowed. */
MXC_API int MXCExecutorFree(MXCExecutorHandle exec);

/* ================================================================================================================ */
/* Cached operators                                                                                                 */
/* ================================================================================================================ */
/* A symbol prepared once and then called on arrays like an operator (MXNet's CachedOp, what Gluon's hybridize()
 * runs). Each invoke runs the whole graph on the inputs' device in one call, pushing its kernels on the engine
 * (asynchronous as MXCOpInvoke). While the thread records (see Autograd), every operator of the graph goes on the
 * tape, so a backward gives the gradients the same calls made one by one would; operators run in training mode
 * when the thread's training flag is set. Auxiliary states (BatchNorm's moving statistics) are updated in place. */

/*! \brief Prepares sym (composed) to be invoked. Flags as num_flags keys/vals strings, as MXNet's: "static_alloc"
 *  and "static_shape" (booleans, accepted; this version plans no memory ahead for either), "data_indices" and
 *  "param_indices" (tuples of input positions, accepted for compatibility). Another key is a ValueError. Owned:
 *  free with MXCCachedOpFree. The cached operator keeps its own copy of the graph. */
MXC_API int MXCCachedOpCreate(MXCSymbolHandle sym, int num_flags, const char **keys, const char **vals,
                              MXCCachedOpHandle *out);

/*! \brief Runs the graph. inputs: one array per input of the symbol in MXCSymbolListInputs order (arguments and
 *  auxiliary states), all on one device. The library allocates the outputs: *outputs holds *num_outputs owned
 *  handles (free each with MXCNDArrayFree), the array holding them is borrowed (valid until the next call into mxc
 *  on this thread). A wrong number of inputs, or shapes or dtypes an operator of the graph rejects, is an error
 *  naming the node, its operator and its input shapes. */
MXC_API int MXCCachedOpInvoke(MXCCachedOpHandle op, int num_inputs, const MXCNDArrayHandle *inputs,
                              int *num_outputs, MXCNDArrayHandle **outputs);

/*! \brief Number of inputs and of outputs of the cached operator. Either pointer may be NULL. */
MXC_API int MXCCachedOpGetNumIO(MXCCachedOpHandle op, int *num_inputs, int *num_outputs);

/*! \brief Releases a cached operator (arrays it returned stay valid). NULL is allowed. */
MXC_API int MXCCachedOpFree(MXCCachedOpHandle op);

/* ================================================================================================================ */
/* Autograd                                                                                                         */
/* ================================================================================================================ */
/* Imperative differentiation, as MXNet's autograd. While the calling thread records, every operator call (through
 * MXCOpInvoke or the prepared-operator functions) with an input in the graph is kept, with what its gradient needs;
 * an array is in the graph when it was marked as a variable or computed, while recording, from one. A backward from
 * such arrays runs the recorded operators' gradient kernels in reverse order, on the engine (errors surface at the
 * next wait on a gradient). Views (MXCNDArraySlice/At/Reshape) and copies by other functions are not recorded: a
 * binding differentiating through reshapes and slices calls the operators (Reshape, slice_axis, ...) instead.
 * While recording, an operator call writing into an array that is in the graph fails (a ValueError): that write
 * would change what the gradient reads. Recording and training flags are per thread. */

/*! \brief Turns recording on (1) or off (0) for the calling thread; *prev (may be NULL) gets the previous flag. */
MXC_API int MXCAutogradSetIsRecording(int recording, int *prev);

/*! \brief Sets the training flag of the calling thread: operators called imperatively run in training mode
 *  (Dropout drops, BatchNorm uses batch statistics) while it is 1. *prev (may be NULL) gets the previous flag. */
MXC_API int MXCAutogradSetIsTraining(int training, int *prev);

/*! \brief The recording flag of the calling thread. */
MXC_API int MXCAutogradIsRecording(int *out);

/*! \brief The training flag of the calling thread. */
MXC_API int MXCAutogradIsTraining(int *out);

/*! \brief Marks arrays as variables of the graph (MXNet's attach_grad): backward writes the gradient of vars[i] into
 *  grads[i] by grad_reqs[i] (MXCGradReq: null, write or add; grads[i] may be NULL for null), an array of the
 *  variable's shape, dtype and device. Marking again replaces the earlier mark. */
MXC_API int MXCAutogradMarkVariables(int num, const MXCNDArrayHandle *vars, const int *grad_reqs,
                                     const MXCNDArrayHandle *grads);

/*! \brief Backward from num_heads arrays in the graph. head_grads: NULL, or one per head (a NULL entry: ones; a loss
 *  output such as SoftmaxOutput ignores its head gradient). num_variables == 0: every marked variable reached gets
 *  its gradient written into its gradient array by its request (variables not reached keep theirs), and grads may
 *  be NULL. num_variables > 0 (MXNet's autograd.grad): vars must be marked variables; grads (num_variables
 *  entries) receives their gradients as new arrays (owned: free each with MXCNDArrayFree; zeros where a variable is
 *  not reached), and no gradient array is written. The graph walked is freed unless retain_graph is 1 (then
 *  backward may run through it again). is_train: the training mode the gradient kernels run in. */
MXC_API int MXCAutogradBackward(int num_heads, const MXCNDArrayHandle *heads, const MXCNDArrayHandle *head_grads,
                                int num_variables, const MXCNDArrayHandle *vars, int retain_graph, int is_train,
                                MXCNDArrayHandle *grads);

/*! \brief The gradient array of a marked variable, as a new handle on the same storage (owned: free with
 *  MXCNDArrayFree); *out is NULL when the array is not a variable or was marked with grad_req null. */
MXC_API int MXCNDArrayGetGrad(MXCNDArrayHandle handle, MXCNDArrayHandle *out);

/*! \brief A new handle on the same storage, outside the graph (MXNet's detach). Owned: free with MXCNDArrayFree. */
MXC_API int MXCNDArrayDetach(MXCNDArrayHandle handle, MXCNDArrayHandle *out);

/*! \brief Whether a backward has written the gradient of a variable since the state was last set to 0 (*out: 1
 *  or 0; 0 for arrays that are not variables). Gluon's Trainer uses it to refuse stale gradients, as MXNet. */
MXC_API int MXCNDArrayGetGradState(MXCNDArrayHandle handle, int *out);

/*! \brief Sets that state of a variable (a ValueError for arrays that are not variables). */
MXC_API int MXCNDArraySetGradState(MXCNDArrayHandle handle, int fresh);

/*! \brief *out = 1 when the array is in the graph (a variable, or recorded and not yet freed by a backward). */
MXC_API int MXCNDArrayIsInGraph(MXCNDArrayHandle handle, int *out);

/* ================================================================================================================ */
/* Custom operators                                                                                                 */
/* ================================================================================================================ */
/* Operators written in a language binding (MXNet's CustomOp/CustomOpProp). The registry's operator "Custom" takes
 * the parameter op_type, naming a set of callbacks registered here, and any other parameters as strings; it asks
 * the callbacks for its input and output names, shapes and dtypes, and calls them to compute. Every callback gets
 * `user` as registered and the call's parameters other than op_type (num_kwargs keys/vals, in the order given);
 * it returns 0 on success, or -1 after MXCCustomOpSetError. A failure of list, infer_shape or infer_type is an
 * error of the call (or of the symbol's inference); a failure of forward or backward marks the operator's outputs
 * failed, raised at the next wait on them, as for any kernel.
 * Engine: forward and backward run as the operator's work on the engine (possibly on a worker thread) once its
 * inputs are computed. The arrays they get are host (CPU) copies of the operator's inputs and outputs, with their
 * own engine variables: operators the callback runs on them run at once on the callback's thread, so a callback
 * that computes with mxc and reads its results cannot wait on the engine while the engine waits on it. After the
 * callback returns, the library waits for the work it pushed on the output arrays and copies them back (to the
 * device, for a GPU operator). A callback must not call MXCNDArrayWaitAll. */

/*! \brief Callbacks of one op_type. Pointers of names, shapes and dtypes a callback sets are borrowed by the library
 *  until the callback's next call on the same thread. */
typedef struct MXCCustomOpCallbacks {
  void *user; /* passed back to every callback */
  /* Names of the arguments (which 0), the outputs (1) or the auxiliary states (2); *num entries at *names. */
  int (*list)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int which, int *num,
              const char *const **names);
  /* 1 in *out when backward reads the output gradients (MXNet's need_top_grad); 0 makes the operator a loss: a
   * backward without a head gradient for it gives it ones. */
  int (*need_top_grad)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int *out);
  /* Shapes: num_in inputs (arguments, then auxiliary states), ndim in in_ndims (0: unknown; a dimension 0:
   * unknown), dimensions concatenated in in_dims. Sets *ndims and *dims to the shapes of every argument, output
   * and auxiliary state, in that order. */
  int (*infer_shape)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int num_in,
                     const int *in_ndims, const int64_t *in_dims, const int **ndims, const int64_t **dims);
  /* Dtypes (MXCDType, -1 unknown) of the num_in inputs; sets *types to the dtypes of every argument, output and
   * auxiliary state, in that order. */
  int (*infer_type)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int num_in,
                    const int *in_types, const int **types);
  /* Forward: arrays holds the arguments, the outputs and the auxiliary states, in that order (num in all); reqs one
   * MXCGradReq per output. The handles are owned: the callback frees each with MXCNDArrayFree. */
  int (*forward)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int is_train,
                 int num, const MXCNDArrayHandle *arrays, const int *reqs);
  /* Backward: arrays holds the output gradients, the arguments, the outputs, the argument gradients and the
   * auxiliary states, in that order; reqs one MXCGradReq per argument gradient. Owned as in forward. */
  int (*backward)(void *user, int num_kwargs, const char *const *keys, const char *const *vals, int is_train,
                  int num, const MXCNDArrayHandle *arrays, const int *reqs);
} MXCCustomOpCallbacks;

/*! \brief Registers (or replaces) the callbacks of op_type. The library copies *callbacks; `user` must stay valid
 *  while op_type is registered. Calls already made keep the callbacks they found. */
MXC_API int MXCCustomOpRegister(const char *op_type, const MXCCustomOpCallbacks *callbacks);

/*! \brief Removes op_type's callbacks (a later Custom call with it is a ValueError). Unknown names are ignored. */
MXC_API int MXCCustomOpUnregister(const char *op_type);

/*! \brief The registered op_types. *names is borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCCustomOpList(int *num, const char ***names);

/*! \brief Sets the message of a failing callback, to be called on the callback's thread before it returns -1. It
 *  should start with an error kind ("ValueError: ..."); the library prefixes the operator and op_type. */
MXC_API int MXCCustomOpSetError(const char *msg);

/* ================================================================================================================ */
/* Engine                                                                                                           */
/* ================================================================================================================ */

/*! \brief Selects the engine: "NaiveEngine" (synchronous) or "ThreadedEngine" (asynchronous). Waits for all
 *  pending work first. The environment variable MXC_ENGINE_TYPE sets the initial choice. */
MXC_API int MXCEngineSetType(const char *name);

/*! \brief Name of the engine in use. Borrowed: valid until the next call into mxc on this thread. */
MXC_API int MXCEngineGetType(const char **name);

/* ================================================================================================================ */
/* Profiler                                                                                                         */
/* ================================================================================================================ */
/* MXNet's profiler: while it runs, the library records timed events (every operator the engine runs, every node of
 * an executor, C API calls, the CPU storage in use, and the user objects below), written by MXCProfilerDump as a
 * Chrome trace-event file (chrome://tracing, Perfetto) and summed per name by MXCProfilerDumps. Recording costs one
 * relaxed atomic load per operator while the profiler is stopped or paused. Work on a GPU is timed on the host while
 * its kernels are queued (category "operator (enqueue time)"). */

/*! \brief Kinds of user profiling objects. Append only. */
enum MXCProfilerObjectKind {
  MXC_PROFILER_DOMAIN = 0,  /* a named group (the category of its tasks and counters) */
  MXC_PROFILER_TASK = 1,    /* a duration in a domain (Start/Stop) */
  MXC_PROFILER_FRAME = 2,   /* a duration in a domain, category "<domain>,frame" */
  MXC_PROFILER_EVENT = 3,   /* a duration, category "event" (no domain) */
  MXC_PROFILER_COUNTER = 4, /* an int64 value in a domain (CounterSet/CounterAdd), starting at 0 */
  MXC_PROFILER_MARKER = 5   /* an instant in a domain (MarkerMark), category "<domain>,instant_marker" */
};

/*! \brief Opaque handle to a user profiling object. */
typedef struct MXCProfilerObject_ *MXCProfilerObjectHandle;

/*! \brief Configures the profiler; every key not given takes its default. Keys (values as strings; booleans "0",
 *  "1", "True", "False"): profile_all (0), profile_symbolic (1), profile_imperative (1), profile_memory (1),
 *  profile_api (1), filename ("profile.json"), aggregate_stats (0: MXCProfilerDumps gives ""), continuous_dump
 *  (1; accepted, the file is written by MXCProfilerDump only), dump_period (1), profile_process ("worker" only).
 *  An unknown key is a ValueError naming it. */
MXC_API int MXCProfilerSetConfig(int num, const char **keys, const char **vals);

/*! \brief 1: run (record), 0: stop. Either ends a pause. Events recorded so far are kept until a finished dump. */
MXC_API int MXCProfilerSetState(int state);

/*! \brief 1: pause (record nothing, as stopped), 0: resume. */
MXC_API int MXCProfilerPause(int paused);

/*! \brief Writes every event kept to the configured file as Chrome trace-event JSON (one complete event per timed
 *  piece of work: name, category, begin, duration in microseconds, pid a device or category, tid a thread). With
 *  finished = 1 the events are then forgotten (the statistics keep them). IOError when the file cannot be written. */
MXC_API int MXCProfilerDump(int finished);

/*! \brief The aggregate statistics per category and name (count, total, min, max, average; ms, counters in their
 *  own units, storage in kB) since the last reset: format 0 MXNet's table, 1 JSON; sort_by 0 total, 1 average,
 *  2 min, 3 max, 4 count; ascending 0 or 1. reset = 1 then clears them. Borrowed: valid until the next call into
 *  mxc on this thread. */
MXC_API int MXCProfilerDumps(int reset, int format, int sort_by, int ascending, const char **out);

/*! \brief Creates a user object of kind MXCProfilerObjectKind named name; domain: its domain (a DOMAIN object) for
 *  tasks, frames, counters and markers, NULL for domains and events. Owned: the caller frees it with
 *  MXCProfilerObjectFree (the domain may be freed first). */
MXC_API int MXCProfilerObjectCreate(int kind, MXCProfilerObjectHandle domain, const char *name,
                                    MXCProfilerObjectHandle *out);

/*! \brief Frees a user object. */
MXC_API int MXCProfilerObjectFree(MXCProfilerObjectHandle obj);

/*! \brief Starts / stops a task, frame or event: Stop records the duration since Start (when the profiler runs). */
MXC_API int MXCProfilerObjectStart(MXCProfilerObjectHandle obj);
MXC_API int MXCProfilerObjectStop(MXCProfilerObjectHandle obj);

/*! \brief Sets a counter's value / adds delta to it (both record the new value when the profiler runs). */
MXC_API int MXCProfilerCounterSet(MXCProfilerObjectHandle counter, int64_t value);
MXC_API int MXCProfilerCounterAdd(MXCProfilerObjectHandle counter, int64_t delta);

/*! \brief Records an instant of a marker; scope "global", "process", "thread", "task" or "marker" (the last three
 *  are thread-scoped in the trace). */
MXC_API int MXCProfilerMarkerMark(MXCProfilerObjectHandle marker, const char *scope);

/* MXC_CDEF_END */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MXC_H_ */
