// Kernels of the detection operators (core/ops/contrib_detection.cc, contrib_multibox.cc, contrib_proposal.cc) and of
// allclose and index_array (contrib_misc.cc), behind the raw-pointer boundary (see kernels.cuh). float32/float64
// (dtype 0/1) in the arithmetic of the CPU kernels. The data-dependent ones (box_nms, MultiBoxDetection,
// MultiBoxTarget's mining, bipartite_matching, Proposal) run one block per batch item: a bitonic sort of indices on
// (key, index) -- the CPU's stable order, ties in index order -- then a sequential sweep whose inner loops are
// spread over the block's threads; no host round trip. Work arrays are stream-ordered allocations.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// The boxes of one cell of MultiBoxPrior / the base anchors of Proposal travel by value (host-computed in the
// operator's dtype, exact in double); calls with more fall back to the CPU kernel.
constexpr int kDetectMaxAnchors = 64;

// out[i, j] (=|+=) IoU(lhs box i, rhs box j); center: boxes as (x, y, w, h).
void BoxIou(int dtype, const void *lhs, int64_t nl, const void *rhs, int64_t nr, bool center, void *out, int req,
            cudaStream_t s);

// box_encode: targets and masks (B, N, 4); bad (device int, may be null) set to 1 when a positive sample's match
// is out of [0, M).
void BoxEncode(int dtype, const void *samples, const void *matches, const void *anchors, const void *refs,
               const void *means, const void *stds, int64_t B, int64_t N, int64_t M, void *out0, int req0, void *out1,
               int req1, int *bad, cudaStream_t s);

// box_decode: data (B, N, 4), anchors (1, N, 4) (center or corner).
void BoxDecode(int dtype, const void *data, const void *anchors, int64_t B, int64_t N, const double stds[4],
               double clip, bool center, void *out, int req, cudaStream_t s);

struct PriorSpec {
  int64_t H, W;
  float sy, sx, oy, ox;
  int k;  // boxes per cell
  bool clip;
  float hw[kDetectMaxAnchors], hh[kDetectMaxAnchors];
};
// MultiBoxPrior (float32 output (1, H*W*k, 4)).
void MultiBoxPrior(const PriorSpec &ps, float *out, int req, cudaStream_t s);

struct TargetSpec {
  double var[4];
  double ignore, overlap, ratio, neg_thresh;
};
// MultiBoxTarget: anchors (1, A, 4), labels (B, L, W), cls_pred (B, C, A) -> loc (B, A*4), mask (B, A*4), cls (B, A).
void MultiBoxTarget(int dtype, const void *anchors, const void *labels, const void *cls_pred, int64_t A, int64_t B,
                    int64_t L, int64_t W, int64_t C, const TargetSpec &ts, void *loc, int req0, void *mask, int req1,
                    void *cls, int req2, cudaStream_t s);

struct DetectionSpec {
  double var[4];
  double threshold, nms_threshold;
  int64_t topk;
  bool clip, force;
};
// MultiBoxDetection: cls_prob (B, C, A), loc_pred (B, A*4), anchors (1, A, 4) -> (B, A, 6).
void MultiBoxDetection(int dtype, const void *prob, const void *loc_pred, const void *anchors, int64_t B, int64_t C,
                       int64_t A, const DetectionSpec &ds, void *out, int req, cudaStream_t s);

struct NmsSpec {
  int64_t batch, n, k;  // data (batch, n, k)
  int64_t coord_start, score_index, id_index, topk, background_id;
  double valid_thresh, overlap_thresh;
  bool force, in_center, out_center;
};
// box_nms forward: out (=|+=) the kept rows first, -1 elsewhere (req 0: none); record (batch, n) int32 written.
void BoxNms(int dtype, const void *data, const NmsSpec &ns, void *out, int req, int32_t *record, cudaStream_t s);
// box_nms backward: dx[b, record[b, i]] (+)= dy[b, i] (dx zeroed by the caller for write requests).
void BoxNmsGrad(int dtype, const void *dy, const int32_t *record, int64_t batch, int64_t n, int64_t k, void *dx,
                cudaStream_t s);

// bipartite_matching: data (batch, n, m) -> rows (batch, n), cols (batch, m).
void Bipartite(int dtype, const void *data, int64_t batch, int64_t n, int64_t m, double threshold, bool ascend,
               void *rows, int req0, void *cols, int req1, cudaStream_t s);

struct ProposalSpec {
  int64_t B, H, W, A, stride, pre_n, post;
  double threshold, min_size;  // min_size: rpn_min_size (times each image's scale in the kernel)
  bool iou_loss;
  double base[4 * kDetectMaxAnchors];  // the base anchors, in the operator's dtype
};
// Proposal / MultiProposal: cls_prob (B, 2A, H, W), bbox_pred (B, 4A, H, W), im_info (B, 3) -> rois (B*post, 5),
// scores (B*post, 1) (null: not wanted).
void Proposal(int dtype, const void *cls, const void *bbox, const void *info, const ProposalSpec &ps, void *rois,
              int req0, void *scores, int req1, cudaStream_t s);

// allclose: out (uint8, one element) (=|+=) whether |a - b| <= atol + rtol |b| everywhere. Numeric dtypes (float32,
// float64 and the integers of MXC_CUDA_NUMERIC_SWITCH).
void AllClose(int dtype, const void *a, const void *b, int64_t n, double rtol, double atol, bool equal_nan,
              uint8_t *out, int req, cudaStream_t s);

// index_array: out[i, k] (=|+=) (i / stride[k]) % size[k] (int64), i < n, k < K.
constexpr int kIndexArrayMaxAxes = 10;
struct IndexArraySpec {
  int K;
  int64_t stride[kIndexArrayMaxAxes], size[kIndexArrayMaxAxes];
};
void IndexArray(const IndexArraySpec &sp, int64_t n, int64_t *out, int req, cudaStream_t s);

// ---- random: each draw from its own counter-based Philox-4x32-10 stream (key from the op's generator, counter =
// the draw's index) ----
// _shuffle: out rows (=|+=) the rows of x (n rows of `row` elements of elem_size bytes) in a random order: the rows
// sorted on random 64-bit keys (a bitonic sort over the grid). Add requests take dtype (float32/float64 and the
// integers); x may alias out (it is read from a copy then).
void Shuffle(int dtype, int elem_size, const void *x, int64_t n, int64_t row, uint64_t key, void *out, int req,
             cudaStream_t s);
// _sample_multinomial: prob (rows, k) of pdtype (float32/float64); `per` draws per row by inverse CDF of a uniform
// [0, 1) draw; idx (=|+=) the index in idx_dtype (float32, float64, int32, uint8), logp (may be null) the log of its
// probability in pdtype.
void Multinomial(int pdtype, const void *prob, int64_t rows, int64_t k, int64_t per, uint64_t key, int idx_dtype,
                 void *idx, int req0, void *logp, int req1, cudaStream_t s);
// Its gradient: dprob[r, c] (=|+=) sum over the draws j of row r that gave c of g[r, j] / prob[r, c] (g null: zero).
void MultinomialGrad(int pdtype, const void *prob, int64_t rows, int64_t k, int64_t per, int idx_dtype,
                     const void *idx, const void *g, void *dprob, int req, cudaStream_t s);
// _random_pdf_dirichlet (float32/float64): x (nd, per, k), alpha (nd, k) -> out (nd, per) the density (or its log).
void PdfDirichlet(int dtype, const void *x, const void *alpha, int64_t nd, int64_t per, int64_t k, bool log,
                  void *out, int req, cudaStream_t s);
// Its gradients for head g: dx (req_x; null: none) and dalpha (req_a; null: none).
void PdfDirichletGrad(int dtype, const void *g, const void *x, const void *alpha, int64_t nd, int64_t per, int64_t k,
                      bool log, void *dx, int req_x, void *dalpha, int req_a, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
