// The interleaved attention products of MXNet's transformer contrib operators (interleaved_matmul_selfatt_qk/valatt,
// interleaved_matmul_encdec_qk/valatt): their geometry, and the products as one GEMM per (batch element, head),
// written once for any GEMM (`Gemm`: row-major C = alpha op(A) op(B) + beta C with leading dimensions, as
// op::Gemm on the CPU and gpu::Gemm on a GPU). Used by core/ops/contrib_misc.cc and cuda/gpu_ops_attention.cc.
#pragma once

#include <cmath>

#include "../operator.h"

namespace mxc {
namespace op {

// ---------------------------------------------------------------------------------------------------------------
// Interleaved attention products. Self-attention: qkv (L, B, H*3*D) holds, for every position and batch element,
// each head's query, key and value (H, 3, D). Encoder-decoder: queries (Lq, B, H*D), keys_values (Lk, B, H*2*D) as
// (H, 2, D). Attention scores and maps are (B*H, Lq, Lk), batch index b*H + h. Queries are scaled by 1/sqrt(D).
// Every head's matrix is a strided view of the interleaved array, so each product is one GEMM per (b, h).
// ---------------------------------------------------------------------------------------------------------------
using AttnBlobs = std::vector<TBlob>;
using AttnReqs = std::vector<OpReq>;

struct AttnGeom {
  int64_t Lq = 0, Lk = 0, B = 0, H = 0, D = 0;
  int64_t q_ld = 0, kv_ld = 0;  // row strides of the query rows and the key/value rows
  int64_t q_slots = 1, kv_slots = 2;  // per head: q (1 or, in qkv, 3 slots), kv (2 or 3 slots)
  int64_t k_slot = 0, v_slot = 1;     // the key's and value's slot in the kv head
};

inline int64_t Heads(const OpParams &p) {
  const int64_t h = p.Int("heads");
  MXC_CHECK(h > 0, ErrorKind::kValue, "operator ", p.op()->name, ": heads must be positive, got ", h);
  return h;
}

// (L, B, H * parts * D): D, or a ShapeError naming the argument.
inline int64_t HeadDim(const OpParams &p, const TShape &s, int64_t H, int64_t parts, const char *arg) {
  MXC_CHECK(s.ndim() == 3, ErrorKind::kShape, "operator ", p.op()->name, ": ", arg,
            " must be 3-D (seq_length, batch_size, ...), got ", ShapeStr(s));
  MXC_CHECK(s[2] % (H * parts) == 0 && s[2] > 0, ErrorKind::kShape, "operator ", p.op()->name, ": the last axis of ",
            arg, " ", ShapeStr(s), " must be a positive multiple of heads * ", parts, " = ", H * parts);
  return s[2] / (H * parts);
}

inline AttnGeom SelfGeom(const OpParams &p, const TShape &qkv) {
  AttnGeom g;
  g.H = Heads(p);
  g.D = HeadDim(p, qkv, g.H, 3, "queries_keys_values");
  g.Lq = g.Lk = qkv[0];
  g.B = qkv[1];
  g.q_ld = g.kv_ld = qkv[1] * qkv[2];
  g.q_slots = g.kv_slots = 3;
  g.k_slot = 1, g.v_slot = 2;
  return g;
}

inline AttnGeom EncDecGeom(const OpParams &p, const TShape &q, const TShape &kv) {
  AttnGeom g;
  g.H = Heads(p);
  g.D = HeadDim(p, kv, g.H, 2, "keys_values");
  if (!q.empty()) {
    const int64_t dq = HeadDim(p, q, g.H, 1, "queries");
    MXC_CHECK(dq == g.D && q[1] == kv[1], ErrorKind::kShape, "operator ", p.op()->name, ": queries ", ShapeStr(q),
              " and keys_values ", ShapeStr(kv), " must have the same batch size and head size");
    g.Lq = q[0];
    g.q_ld = q[1] * q[2];
  }
  g.Lk = kv[0];
  g.B = kv[1];
  g.kv_ld = kv[1] * kv[2];
  g.k_slot = 0, g.v_slot = 1;
  return g;
}

// Offsets of head (b, h)'s first row in the query array and in slot s of the key/value array.
inline int64_t QOff(const AttnGeom &g, int64_t b, int64_t h) { return (b * g.H + h) * g.q_slots * g.D; }
inline int64_t KVOff(const AttnGeom &g, int64_t b, int64_t h, int64_t s) {
  return ((b * g.H + h) * g.kv_slots + s) * g.D;
}

template <typename T>
T AttnBeta(OpReq r) {
  return r == kAddTo ? T(1) : T(0);
}

// scores[bh] (req)= q_bh k_bh^T / sqrt(D).
template <typename T, typename GemmFn>
void QKForward(const GemmFn &Gemm, const AttnGeom &g, const T *q, const T *kv, OpReq req, T *scores) {
  const T scale = T(1) / std::sqrt(static_cast<T>(g.D));
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t h = 0; h < g.H; ++h)
      Gemm(false, true, g.Lq, g.Lk, g.D, scale, q + QOff(g, b, h), g.q_ld, kv + KVOff(g, b, h, g.k_slot), g.kv_ld,
           AttnBeta<T>(req), scores + (b * g.H + h) * g.Lq * g.Lk, g.Lk);
}

// dq_bh (+)= G k / sqrt(D), dk_bh (+)= G^T q / sqrt(D) (dq or dk null: skipped). Both may point into one qkv array.
template <typename T, typename GemmFn>
void QKBackward(const GemmFn &Gemm, const AttnGeom &g, const T *dscores, const T *q, const T *kv, T *dq, T *dk) {
  const T scale = T(1) / std::sqrt(static_cast<T>(g.D));
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t h = 0; h < g.H; ++h) {
      const T *G = dscores + (b * g.H + h) * g.Lq * g.Lk;
      if (dq)
        Gemm(false, false, g.Lq, g.D, g.Lk, scale, G, g.Lk, kv + KVOff(g, b, h, g.k_slot), g.kv_ld, T(1),
             dq + QOff(g, b, h), g.q_ld);
      if (dk)
        Gemm(true, false, g.Lk, g.D, g.Lq, scale, G, g.Lk, q + QOff(g, b, h), g.q_ld, T(1),
             dk + KVOff(g, b, h, g.k_slot), g.kv_ld);
    }
}

// out[i, b, h*D + d] (req)= sum_j att[bh, i, j] v_bh[j, d].
template <typename T, typename GemmFn>
void ValAttForward(const GemmFn &Gemm, const AttnGeom &g, const T *kv, const T *att, OpReq req, T *out) {
  const int64_t out_ld = g.B * g.H * g.D;
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t h = 0; h < g.H; ++h)
      Gemm(false, false, g.Lq, g.D, g.Lk, T(1), att + (b * g.H + h) * g.Lq * g.Lk, g.Lk,
           kv + KVOff(g, b, h, g.v_slot), g.kv_ld, AttnBeta<T>(req), out + (b * g.H + h) * g.D, out_ld);
}

// datt[bh] (req)= dout_bh v_bh^T; dv_bh (+)= att[bh]^T dout_bh.
template <typename T, typename GemmFn>
void ValAttBackward(const GemmFn &Gemm, const AttnGeom &g, const T *dout, const T *kv, const T *att, OpReq req_att,
                    T *datt, T *dv) {
  const int64_t out_ld = g.B * g.H * g.D;
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t h = 0; h < g.H; ++h) {
      const T *dO = dout + (b * g.H + h) * g.D;
      const int64_t a = (b * g.H + h) * g.Lq * g.Lk;
      if (datt)
        Gemm(false, true, g.Lq, g.Lk, g.D, T(1), dO, out_ld, kv + KVOff(g, b, h, g.v_slot), g.kv_ld,
             AttnBeta<T>(req_att), datt + a, g.Lk);
      if (dv)
        Gemm(true, false, g.Lk, g.D, g.Lq, T(1), att + a, g.Lk, dO, out_ld, T(1), dv + KVOff(g, b, h, g.v_slot),
             g.kv_ld);
    }
}

// The operators' kernels for a backend `be`: be(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) runs a GEMM on
// the operator's device, be.Accum<T>(blob, req) readies a gradient the GEMMs accumulate into (zeroed unless req adds;
// null for kNullOp).
template <typename BE>
void SelfQKForward(const BE &be, const OpParams &p, const AttnBlobs &in, const AttnReqs &req, const AttnBlobs &out) {
  if (req[0] == kNullOp) return;
  const AttnGeom g = SelfGeom(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    QKForward<T>(be, g, in[0].ptr<T>() /* q slot 0 */, in[0].ptr<T>(), req[0], out[0].ptr<T>());
  });
}

template <typename BE>
void SelfQKBackward(const BE &be, const OpParams &p, const AttnBlobs &og, const AttnBlobs &id, const AttnReqs &req,
                    const AttnBlobs &ig) {
  if (req[0] == kNullOp) return;
  const AttnGeom g = SelfGeom(p, id[0].shape);
  MXC_REAL_TYPE_SWITCH(id[0].dtype, T, {
    T *d = be.template Accum<T>(ig[0], req[0]);
    QKBackward<T>(be, g, og[0].ptr<T>(), id[0].ptr<T>(), id[0].ptr<T>(), d, d);
  });
}

template <typename BE>
void SelfValAttForward(const BE &be, const OpParams &p, const AttnBlobs &in, const AttnReqs &req,
                       const AttnBlobs &out) {
  if (req[0] == kNullOp) return;
  const AttnGeom g = SelfGeom(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    ValAttForward<T>(be, g, in[0].ptr<T>(), in[1].ptr<T>(), req[0], out[0].ptr<T>());
  });
}

template <typename BE>
void SelfValAttBackward(const BE &be, const OpParams &p, const AttnBlobs &og, const AttnBlobs &id, const AttnReqs &req,
                        const AttnBlobs &ig) {
  const AttnGeom g = SelfGeom(p, id[0].shape);
  MXC_REAL_TYPE_SWITCH(id[0].dtype, T, {
    T *dv = be.template Accum<T>(ig[0], req[0]);
    ValAttBackward<T>(be, g, og[0].ptr<T>(), id[0].ptr<T>(), id[1].ptr<T>(), req[1],
                      req[1] != kNullOp ? ig[1].ptr<T>() : nullptr, dv);
  });
}

template <typename BE>
void EncDecQKForward(const BE &be, const OpParams &p, const AttnBlobs &in, const AttnReqs &req, const AttnBlobs &out) {
  if (req[0] == kNullOp) return;
  const AttnGeom g = EncDecGeom(p, in[0].shape, in[1].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    QKForward<T>(be, g, in[0].ptr<T>(), in[1].ptr<T>(), req[0], out[0].ptr<T>());
  });
}

template <typename BE>
void EncDecQKBackward(const BE &be, const OpParams &p, const AttnBlobs &og, const AttnBlobs &id, const AttnReqs &req,
                      const AttnBlobs &ig) {
  const AttnGeom g = EncDecGeom(p, id[0].shape, id[1].shape);
  MXC_REAL_TYPE_SWITCH(id[0].dtype, T, {
    T *dq = be.template Accum<T>(ig[0], req[0]);
    T *dkv = be.template Accum<T>(ig[1], req[1]);
    QKBackward<T>(be, g, og[0].ptr<T>(), id[0].ptr<T>(), id[1].ptr<T>(), dq, dkv);
  });
}

template <typename BE>
void EncDecValAttForward(const BE &be, const OpParams &p, const AttnBlobs &in, const AttnReqs &req,
                         const AttnBlobs &out) {
  if (req[0] == kNullOp) return;
  AttnGeom g = EncDecGeom(p, TShape(), in[0].shape);
  g.Lq = in[1].shape[1];
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    ValAttForward<T>(be, g, in[0].ptr<T>(), in[1].ptr<T>(), req[0], out[0].ptr<T>());
  });
}

template <typename BE>
void EncDecValAttBackward(const BE &be, const OpParams &p, const AttnBlobs &og, const AttnBlobs &id,
                          const AttnReqs &req, const AttnBlobs &ig) {
  AttnGeom g = EncDecGeom(p, TShape(), id[0].shape);
  g.Lq = id[1].shape[1];
  MXC_REAL_TYPE_SWITCH(id[0].dtype, T, {
    T *dv = be.template Accum<T>(ig[0], req[0]);
    ValAttBackward<T>(be, g, og[0].ptr<T>(), id[0].ptr<T>(), id[1].ptr<T>(), req[1],
                      req[1] != kNullOp ? ig[1].ptr<T>() : nullptr, dv);
  });
}

enum AttentionKind { kSelfQK, kSelfValAtt, kEncDecQK, kEncDecValAtt };

template <typename BE>
void AttentionForwardWith(AttentionKind kind, const BE &be, const OpParams &p, const AttnBlobs &in,
                          const AttnReqs &req, const AttnBlobs &out) {
  switch (kind) {
    case kSelfQK: return SelfQKForward(be, p, in, req, out);
    case kSelfValAtt: return SelfValAttForward(be, p, in, req, out);
    case kEncDecQK: return EncDecQKForward(be, p, in, req, out);
    case kEncDecValAtt: return EncDecValAttForward(be, p, in, req, out);
  }
}

template <typename BE>
void AttentionBackwardWith(AttentionKind kind, const BE &be, const OpParams &p, const AttnBlobs &og,
                           const AttnBlobs &id, const AttnReqs &req,
                           const AttnBlobs &ig) {
  switch (kind) {
    case kSelfQK: return SelfQKBackward(be, p, og, id, req, ig);
    case kSelfValAtt: return SelfValAttBackward(be, p, og, id, req, ig);
    case kEncDecQK: return EncDecQKBackward(be, p, og, id, req, ig);
    case kEncDecValAtt: return EncDecValAttBackward(be, p, og, id, req, ig);
  }
}

}  // namespace op
}  // namespace mxc
