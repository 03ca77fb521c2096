// MXNet 1.9.1's linear-algebra operators (`_linalg_*`, mx.nd.linalg / mx.sym.linalg) and khatri_rao. Each works
// on the last two axes of its inputs (rank >= 2); the leading axes are a batch (gemm and gemm2 take the row axis as
// a parameter). float32 and float64.
//
// Products go through op::Gemm; the factorizations are plain textbook algorithms computed in double precision one
// matrix at a time: Cholesky (potrf), triangular substitution (trsm, potri), LU with partial pivoting (inverse, det,
// slogdet), Householder LQ with LAPACK's sign convention (gelqf: L's diagonal is -sign(pivot) * norm) and cyclic
// Jacobi rotations (syevd: eigenvalues ascending, each eigenvector row with its largest-magnitude entry positive, as
// MXNet's outputs are).
//
// Gradients are MXNet's: potrf and syevd (which read only the lower triangle) give symmetric gradients; trmm, trsm
// and potri give the gradient of the triangle they read (zero elsewhere).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "gemm.h"
#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

using Mat = std::vector<double>;  // a row-major matrix in double precision

// ---------------------------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------------------------
int64_t ProdOf(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// ShapeError unless s has rank >= 2 (and is square when `square`).
void NeedMatrix(const OpParams &p, const TShape &s, const char *arg, bool square) {
  if (s.ndim() < 2)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input '", arg, "' must have at least 2 dimensions "
          "(matrices in the last two axes), got shape ", ShapeStr(s));
  if (square && s[s.ndim() - 1] != s[s.ndim() - 2])
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input '", arg, "' must hold square matrices in its last "
          "two axes, got shape ", ShapeStr(s));
}

// ShapeError unless a and b have the same rank and leading (batch) axes.
void NeedSameBatch(const OpParams &p, const TShape &a, const char *an, const TShape &b, const char *bn) {
  bool ok = a.ndim() == b.ndim();
  for (int i = 0; ok && i + 2 < a.ndim(); ++i) ok = a[i] == b[i];
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inputs '", an, "' ", ShapeStr(a), " and '", bn, "' ",
          ShapeStr(b), " must have the same number of dimensions and the same leading (batch) dimensions");
}

// The leading axes of s (all but the last `drop`), or (1,) when there are none (MXNet's shape for one matrix).
TShape LeadOr1(const TShape &s, int drop) {
  TShape o(s.begin(), s.end() - drop);
  if (o.empty()) o.push_back(1);
  return o;
}

int64_t Rows(const TShape &s) { return s[s.ndim() - 2]; }
int64_t Cols(const TShape &s) { return s[s.ndim() - 1]; }
int64_t Batch(const TShape &s) { return ProdOf(s, 0, s.ndim() - 2); }

// ---------------------------------------------------------------------------------------------------------------
// Dense helpers
// ---------------------------------------------------------------------------------------------------------------
template <typename T>
Mat Load(const T *src, int64_t n) {
  return Mat(src, src + n);
}

template <typename T>
void Put(T *dst, const double *src, int64_t n, OpReq req) {
  if (req == kNullOp) return;
  for (int64_t i = 0; i < n; ++i) Store(dst + i, req, static_cast<T>(src[i]));
}

// C (M x N, row stride ldc) = alpha op(A) op(B) + beta C, for any sizes (K == 0: C scaled by beta).
template <typename T>
void Mm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B, int64_t ldb,
        T beta, T *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
    return;
  }
  Gemm(ta, tb, M, N, K, alpha, A, std::max<int64_t>(lda, 1), B, std::max<int64_t>(ldb, 1), beta, C,
       std::max<int64_t>(ldc, 1));
}

// Square n x n products in double: op(A) op(B).
Mat Mul(const Mat &A, bool ta, const Mat &B, bool tb, int64_t M, int64_t N, int64_t K, double alpha = 1.0) {
  Mat C(M * N, 0.0);
  Mm<double>(ta, tb, M, N, K, alpha, A.data(), ta ? M : K, B.data(), tb ? K : N, 0.0, C.data(), N);
  return C;
}

Mat Transposed(const Mat &A, int64_t r, int64_t c) {
  Mat T(r * c);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) T[j * r + i] = A[i * c + j];
  return T;
}

// The triangle of an n x n matrix (lower or upper, diagonal included), zeros elsewhere.
Mat Triangle(const Mat &A, int64_t n, bool lower) {
  Mat T(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = lower ? 0 : i; j < (lower ? i + 1 : n); ++j) T[i * n + j] = A[i * n + j];
  return T;
}

// The symmetric matrix whose lower triangle is M's (MXNet's copyltu).
Mat CopyLtu(const Mat &M, int64_t n) {
  Mat S(M);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) S[i * n + j] = M[j * n + i];
  return S;
}

// Solves op(T) X = B (left) or X op(T) = B (right) in place in X (m x k), with T an n x n triangular matrix (lower
// or upper as `lower` says; its other triangle is not read) and op(T) = T or T^T. A zero pivot gives inf/nan as
// LAPACK's trsm does.
void TriSolve(const Mat &T, int64_t n, bool lower, bool trans, bool right, Mat *X, int64_t m, int64_t k) {
  auto t = [&](int64_t i, int64_t j) { return trans ? T[j * n + i] : T[i * n + j]; };
  const bool lo = lower != trans;  // op(T) is lower triangular
  Mat &x = *X;
  if (!right) {  // rows of X, k columns each
    for (int64_t s = 0; s < n; ++s) {
      const int64_t i = lo ? s : n - 1 - s;
      for (int64_t c = 0; c < k; ++c) {
        double v = x[i * k + c];
        if (lo) {
          for (int64_t j = 0; j < i; ++j) v -= t(i, j) * x[j * k + c];
        } else {
          for (int64_t j = i + 1; j < n; ++j) v -= t(i, j) * x[j * k + c];
        }
        x[i * k + c] = v / t(i, i);
      }
    }
  } else {  // each row r of X: X[r,:] op(T) = B[r,:]
    for (int64_t r = 0; r < m; ++r) {
      double *row = &x[r * n];
      for (int64_t s = 0; s < n; ++s) {
        const int64_t j = lo ? n - 1 - s : s;
        double v = row[j];
        if (lo) {
          for (int64_t i = j + 1; i < n; ++i) v -= row[i] * t(i, j);
        } else {
          for (int64_t i = 0; i < j; ++i) v -= row[i] * t(i, j);
        }
        row[j] = v / t(j, j);
      }
    }
  }
}

// Cholesky factor of the lower triangle of A (n x n) in place (upper triangle zeroed); false when A is not
// positive definite.
bool Cholesky(Mat *A, int64_t n) {
  Mat &a = *A;
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / d;
    }
    for (int64_t i = 0; i < j; ++i) a[i * n + j] = 0;
  }
  return true;
}

// LU factorization with partial pivoting in place: PA = LU (unit L below the diagonal, U on and above it).
// *sign gets the permutation's sign; returns false when a pivot is exactly zero (singular matrix).
bool Lu(Mat *A, int64_t n, std::vector<int64_t> *piv, double *sign) {
  Mat &a = *A;
  piv->resize(n);
  *sign = 1;
  bool regular = true;
  for (int64_t k = 0; k < n; ++k) {
    int64_t p = k;
    for (int64_t i = k + 1; i < n; ++i)
      if (std::fabs(a[i * n + k]) > std::fabs(a[p * n + k])) p = i;
    (*piv)[k] = p;
    if (p != k) {
      for (int64_t j = 0; j < n; ++j) std::swap(a[k * n + j], a[p * n + j]);
      *sign = -*sign;
    }
    const double d = a[k * n + k];
    if (d == 0) {
      regular = false;
      continue;
    }
    for (int64_t i = k + 1; i < n; ++i) {
      const double f = a[i * n + k] / d;
      a[i * n + k] = f;
      if (f != 0)
        for (int64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return regular;
}

// A^{-1} from LU factors (n x n).
Mat LuInverse(const Mat &lu, int64_t n, const std::vector<int64_t> &piv) {
  Mat X(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) X[i * n + i] = 1;
  for (int64_t k = 0; k < n; ++k)  // apply the row swaps to the identity
    if (piv[k] != k)
      for (int64_t j = 0; j < n; ++j) std::swap(X[k * n + j], X[piv[k] * n + j]);
  Mat L(lu);
  for (int64_t i = 0; i < n; ++i) L[i * n + i] = 1;
  TriSolve(L, n, true, false, false, &X, n, n);   // unit lower
  TriSolve(lu, n, false, false, false, &X, n, n);  // upper
  return X;
}

// ---------------------------------------------------------------------------------------------------------------
// gemm / gemm2: out = alpha op(A) op(B) (+ beta C), matrices with rows on `axis` and columns on the last axis.
// ---------------------------------------------------------------------------------------------------------------
// The matrices of an array whose rows lie on axis `ax` and columns on the last axis: outer x inner of them, each at
// Base(b) with row stride ld.
struct AxisMats {
  int64_t outer = 1, inner = 1, rows = 0, cols = 0;
  int64_t ld() const { return inner * cols; }
  int64_t count() const { return outer * inner; }
  int64_t Base(int64_t b) const { return (b / inner) * rows * inner * cols + (b % inner) * cols; }
};

int GemmAxis(const OpParams &p, const TShape &s) {
  const int n = s.ndim();
  const int64_t a = p.Int("axis"), an = a < 0 ? a + n : a;
  if (an < 0 || an >= n - 1)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": axis ", a, " is not a valid row axis for inputs of shape ",
          ShapeStr(s), " (it must be in [", -n, ", ", n - 2, "] and not the last axis)");
  return static_cast<int>(an);
}

AxisMats AxisMatsOf(const TShape &s, int ax) {
  AxisMats m;
  m.outer = ProdOf(s, 0, ax);
  m.inner = ProdOf(s, ax + 1, s.ndim() - 1);
  m.rows = s[ax];
  m.cols = s[s.ndim() - 1];
  return m;
}

// The output shape of gemm/gemm2 for A and B; ShapeError naming both shapes when they do not fit.
TShape GemmOutShape(const OpParams &p, const TShape &a, const TShape &b) {
  NeedMatrix(p, a, "A", false);
  NeedMatrix(p, b, "B", false);
  const int n = a.ndim();
  const int ax = GemmAxis(p, a);
  bool ok = b.ndim() == n;
  for (int i = 0; ok && i < n - 1; ++i) ok = i == ax || a[i] == b[i];
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": A ", ShapeStr(a), " and B ", ShapeStr(b),
          " must have the same number of dimensions and the same batch dimensions (all but axis ", ax,
          " and the last)");
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int64_t M = ta ? a[n - 1] : a[ax], K = ta ? a[ax] : a[n - 1];
  const int64_t K2 = tb ? b[n - 1] : b[ax], N = tb ? b[ax] : b[n - 1];
  if (K != K2)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inner dimensions of the matrix product differ: A ",
          ShapeStr(a), ta ? " (transposed)" : "", " and B ", ShapeStr(b), tb ? " (transposed)" : "", " give ", K,
          " vs ", K2);
  TShape o = a;
  o[ax] = M;
  o[n - 1] = N;
  return o;
}

void GemmShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const bool has_c = in->size() == 3;
  if (has_c && !(*in)[2].empty()) ShapeAssign(&(*out)[0], (*in)[2], p.op(), "output");
  if (has_c && !(*out)[0].empty()) ShapeAssign(&(*in)[2], (*out)[0], p.op(), "C");
  const TShape &a = (*in)[0], &b = (*in)[1];
  if (a.empty() || b.empty()) return;
  const TShape o = GemmOutShape(p, a, b);
  if (has_c) ShapeAssign(&(*in)[2], o, p.op(), "C");
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void GemmForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const TShape &as = in[0].shape, &bs = in[1].shape, &os = out[0].shape;
  const int ax = GemmAxis(p, as);
  const AxisMats ma = AxisMatsOf(as, ax), mb = AxisMatsOf(bs, ax), mo = AxisMatsOf(os, ax);
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int64_t K = ta ? ma.rows : ma.cols;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    T *o = out[0].ptr<T>();
    const int64_t n = out[0].Size();
    if (in.size() == 3) {  // out (=|+=) beta C, then the product is added
      const T beta = static_cast<T>(p.Float("beta"));
      const T *c = in[2].ptr<T>();
      for (int64_t i = 0; i < n; ++i) o[i] = req[0] == kAddTo ? o[i] + beta * c[i] : beta * c[i];
    } else if (req[0] != kAddTo) {
      std::fill(o, o + n, T(0));
    }
    const T alpha = static_cast<T>(p.Float("alpha"));
    const T *A = in[0].ptr<T>(), *B = in[1].ptr<T>();
    for (int64_t b = 0; b < mo.count(); ++b)
      Mm<T>(ta, tb, mo.rows, mo.cols, K, alpha, A + ma.Base(b), ma.ld(), B + mb.Base(b), mb.ld(), T(1),
            o + mo.Base(b), mo.ld());
  });
}

void GemmBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)out_data;
  const TShape &as = in_data[0].shape, &bs = in_data[1].shape, &gs = out_grad[0].shape;
  const int ax = GemmAxis(p, as);
  const AxisMats ma = AxisMatsOf(as, ax), mb = AxisMatsOf(bs, ax), mg = AxisMatsOf(gs, ax);
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int64_t M = mg.rows, N = mg.cols, K = ta ? ma.rows : ma.cols;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T alpha = static_cast<T>(p.Float("alpha"));
    const T *A = in_data[0].ptr<T>(), *B = in_data[1].ptr<T>(), *G = out_grad[0].ptr<T>();
    if (req[0] != kNullOp) {
      ZeroIfWrite(in_grad[0], req[0]);
      T *dA = in_grad[0].ptr<T>();
      for (int64_t b = 0; b < mg.count(); ++b) {
        const T *g = G + mg.Base(b), *bb = B + mb.Base(b);
        T *da = dA + ma.Base(b);
        if (!ta) Mm<T>(false, !tb, M, K, N, alpha, g, mg.ld(), bb, mb.ld(), T(1), da, ma.ld());
        else Mm<T>(tb, true, K, M, N, alpha, bb, mb.ld(), g, mg.ld(), T(1), da, ma.ld());
      }
    }
    if (req[1] != kNullOp) {
      ZeroIfWrite(in_grad[1], req[1]);
      T *dB = in_grad[1].ptr<T>();
      for (int64_t b = 0; b < mg.count(); ++b) {
        const T *g = G + mg.Base(b), *aa = A + ma.Base(b);
        T *db = dB + mb.Base(b);
        if (!tb) Mm<T>(!ta, false, K, N, M, alpha, aa, ma.ld(), g, mg.ld(), T(1), db, mb.ld());
        else Mm<T>(true, ta, N, K, M, alpha, g, mg.ld(), aa, ma.ld(), T(1), db, mb.ld());
      }
    }
    if (in_grad.size() == 3 && req[2] != kNullOp) {
      const T beta = static_cast<T>(p.Float("beta"));
      T *dC = in_grad[2].ptr<T>();
      const int64_t n = in_grad[2].Size();
      for (int64_t i = 0; i < n; ++i) Store(dC + i, req[2], beta * G[i]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// trmm / trsm: alpha op(T) B, alpha B op(T) (trmm) and their solutions (trsm), T the lower or upper triangle of A.
// ---------------------------------------------------------------------------------------------------------------
void TriShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0], &b = (*in)[1];
  if (!b.empty()) ShapeAssign(&(*out)[0], b, p.op(), "output");
  if (a.empty() || b.empty()) return;
  NeedMatrix(p, a, "A", true);
  NeedMatrix(p, b, "B", false);
  NeedSameBatch(p, a, "A", b, "B");
  const bool right = p.Bool("rightside");
  if ((right ? Cols(b) : Rows(b)) != Rows(a))
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": the triangular matrices of A ", ShapeStr(a),
          " do not fit B ",
          ShapeStr(b), right ? " from the right (B's columns" : " from the left (B's rows", " must be ", Rows(a), ")");
}

struct TriArgs {
  bool trans, right, lower;
  double alpha;
  int64_t n, m, k;  // A n x n, B m x k
};

TriArgs TriArgsOf(const OpParams &p, const TShape &a, const TShape &b) {
  return {p.Bool("transpose"), p.Bool("rightside"), p.Bool("lower"), p.Float("alpha"), Rows(a), Rows(b), Cols(b)};
}

// op(T) as a full n x n matrix.
Mat OpTri(const Mat &A, const TriArgs &t) {
  Mat T = Triangle(A, t.n, t.lower);
  return t.trans ? Transposed(T, t.n, t.n) : T;
}

void TrmmForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const TriArgs t = TriArgsOf(p, in[0].shape, in[1].shape);
  const int64_t batch = Batch(in[0].shape), sa = t.n * t.n, sb = t.m * t.k;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat Tm = OpTri(Load(in[0].ptr<T>() + b * sa, sa), t), B = Load(in[1].ptr<T>() + b * sb, sb);
      const Mat C = t.right ? Mul(B, false, Tm, false, t.m, t.k, t.n, t.alpha)
                            : Mul(Tm, false, B, false, t.m, t.k, t.n, t.alpha);
      Put(out[0].ptr<T>() + b * sb, C.data(), sb, req[0]);
    }
  });
}

// The gradient of the triangle read from A given the gradient dOpT of op(T).
Mat TriGrad(const Mat &dOpT, const TriArgs &t) {
  return Triangle(t.trans ? Transposed(dOpT, t.n, t.n) : dOpT, t.n, t.lower);
}

void TrmmBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)out_data;
  const TriArgs t = TriArgsOf(p, in_data[0].shape, in_data[1].shape);
  const int64_t batch = Batch(in_data[0].shape), sa = t.n * t.n, sb = t.m * t.k;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat Tm = OpTri(Load(in_data[0].ptr<T>() + b * sa, sa), t), B = Load(in_data[1].ptr<T>() + b * sb, sb);
      const Mat G = Load(out_grad[0].ptr<T>() + b * sb, sb);
      if (req[0] != kNullOp) {
        const Mat d = t.right ? Mul(B, true, G, false, t.n, t.n, t.m, t.alpha)
                              : Mul(G, false, B, true, t.n, t.n, t.k, t.alpha);
        Put(in_grad[0].ptr<T>() + b * sa, TriGrad(d, t).data(), sa, req[0]);
      }
      if (req[1] != kNullOp) {
        const Mat d = t.right ? Mul(G, false, Tm, true, t.m, t.k, t.n, t.alpha)
                              : Mul(Tm, true, G, false, t.m, t.k, t.n, t.alpha);
        Put(in_grad[1].ptr<T>() + b * sb, d.data(), sb, req[1]);
      }
    }
  });
}

void TrsmForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const TriArgs t = TriArgsOf(p, in[0].shape, in[1].shape);
  const int64_t batch = Batch(in[0].shape), sa = t.n * t.n, sb = t.m * t.k;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat A = Load(in[0].ptr<T>() + b * sa, sa);
      Mat X = Load(in[1].ptr<T>() + b * sb, sb);
      for (double &v : X) v *= t.alpha;
      TriSolve(A, t.n, t.lower, t.trans, t.right, &X, t.m, t.k);
      Put(out[0].ptr<T>() + b * sb, X.data(), sb, req[0]);
    }
  });
}

void TrsmBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  const TriArgs t = TriArgsOf(p, in_data[0].shape, in_data[1].shape);
  const int64_t batch = Batch(in_data[0].shape), sa = t.n * t.n, sb = t.m * t.k;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat A = Load(in_data[0].ptr<T>() + b * sa, sa), X = Load(out_data[0].ptr<T>() + b * sb, sb);
      Mat Gb = Load(out_grad[0].ptr<T>() + b * sb, sb);
      TriSolve(A, t.n, t.lower, !t.trans, t.right, &Gb, t.m, t.k);  // op(T)^{-T} G or G op(T)^{-T}
      if (req[0] != kNullOp) {
        Mat d = t.right ? Mul(X, true, Gb, false, t.n, t.n, t.m, -1.0) : Mul(Gb, false, X, true, t.n, t.n, t.k, -1.0);
        Put(in_grad[0].ptr<T>() + b * sa, TriGrad(d, t).data(), sa, req[0]);
      }
      if (req[1] != kNullOp) {
        for (double &v : Gb) v *= t.alpha;
        Put(in_grad[1].ptr<T>() + b * sb, Gb.data(), sb, req[1]);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// syrk: alpha A A^T (or alpha A^T A with transpose).
// ---------------------------------------------------------------------------------------------------------------
void SyrkShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", false);
  TShape o = a;
  const int64_t s = p.Bool("transpose") ? Cols(a) : Rows(a);
  o[o.ndim() - 2] = s;
  o[o.ndim() - 1] = s;
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void SyrkForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const TShape &s = in[0].shape;
  const bool tr = p.Bool("transpose");
  const int64_t batch = Batch(s), m = Rows(s), k = Cols(s), n = tr ? k : m;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T alpha = static_cast<T>(p.Float("alpha"));
    if (req[0] == kNullOp) return;
    ZeroIfWrite(out[0], req[0]);
    for (int64_t b = 0; b < batch; ++b) {
      const T *A = in[0].ptr<T>() + b * m * k;
      T *C = out[0].ptr<T>() + b * n * n;
      if (tr) Mm<T>(true, false, k, k, m, alpha, A, k, A, k, T(1), C, k);
      else Mm<T>(false, true, m, m, k, alpha, A, k, A, k, T(1), C, m);
    }
  });
}

void SyrkBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)out_data;
  if (req[0] == kNullOp) return;
  const TShape &s = in_data[0].shape;
  const bool tr = p.Bool("transpose");
  const int64_t batch = Batch(s), m = Rows(s), k = Cols(s), n = tr ? k : m;
  const double alpha = p.Float("alpha");
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat A = Load(in_data[0].ptr<T>() + b * m * k, m * k), G = Load(out_grad[0].ptr<T>() + b * n * n, n * n);
      Mat Gs(G);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) Gs[i * n + j] += G[j * n + i];
      const Mat d = tr ? Mul(A, false, Gs, false, m, k, k, alpha) : Mul(Gs, false, A, false, m, k, m, alpha);
      Put(in_grad[0].ptr<T>() + b * m * k, d.data(), m * k, req[0]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// One square matrix in, one result per matrix: sumlogdiag, det, slogdet (shape: the batch axes, or (1,)).
// ---------------------------------------------------------------------------------------------------------------
void ReduceMatShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", true);
  for (size_t i = 0; i < out->size(); ++i) ShapeAssign(&(*out)[i], LeadOr1(a, 2), p.op(), "output");
}

void SumLogDiagForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const int64_t n = Rows(in[0].shape), batch = Batch(in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *A = in[0].ptr<T>();
    for (int64_t b = 0; b < batch; ++b) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::log(double(A[b * n * n + i * n + i]));
      if (req[0] != kNullOp) Store(out[0].ptr<T>() + b, req[0], static_cast<T>(s));
    }
  });
}

void SumLogDiagBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)out_data;
  if (req[0] == kNullOp) return;
  const int64_t n = Rows(in_data[0].shape), batch = Batch(in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *A = in_data[0].ptr<T>(), *G = out_grad[0].ptr<T>();
    T *dA = in_grad[0].ptr<T>();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const int64_t k = b * n * n + i * n + j;
          Store(dA + k, req[0], i == j ? static_cast<T>(G[b] / A[k]) : T(0));
        }
  });
}

// det, slogdet forward: LU per matrix.
void DetForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const bool log = out.size() == 2;
  const int64_t n = Rows(in[0].shape), batch = Batch(in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      Mat lu = Load(in[0].ptr<T>() + b * n * n, n * n);
      std::vector<int64_t> piv;
      double sign, logabs = 0, det;
      Lu(&lu, n, &piv, &sign);
      for (int64_t i = 0; i < n; ++i) {
        const double d = lu[i * n + i];
        if (d < 0) sign = -sign;
        logabs += std::log(std::fabs(d));
      }
      det = std::isinf(logabs) && logabs < 0 ? 0.0 : sign * std::exp(logabs);
      if (std::isinf(logabs) && logabs < 0) sign = 0;
      if (!log) {
        if (req[0] != kNullOp) Store(out[0].ptr<T>() + b, req[0], static_cast<T>(det));
      } else {
        if (req[0] != kNullOp) Store(out[0].ptr<T>() + b, req[0], static_cast<T>(sign));
        if (req[1] != kNullOp) Store(out[1].ptr<T>() + b, req[1], static_cast<T>(logabs));
      }
    }
  });
}

// det: dA = g det A^{-T}; slogdet: dA = g_logabsdet A^{-T} (the sign has no gradient).
void DetBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const bool log = out_grad.size() == 2;
  const int64_t n = Rows(in_data[0].shape), batch = Batch(in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      Mat lu = Load(in_data[0].ptr<T>() + b * n * n, n * n);
      std::vector<int64_t> piv;
      double sign;
      Lu(&lu, n, &piv, &sign);
      const Mat inv = LuInverse(lu, n, piv);
      const double f = log ? double(out_grad[1].ptr<T>()[b])
                           : double(out_grad[0].ptr<T>()[b]) * out_data[0].ptr<T>()[b];
      Mat d = Transposed(inv, n, n);
      for (double &v : d) v *= f;
      Put(in_grad[0].ptr<T>() + b * n * n, d.data(), n * n, req[0]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Square matrix in, square matrix out: potrf, potri, inverse.
// ---------------------------------------------------------------------------------------------------------------
void SquareShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", true);
  ShapeAssign(&(*out)[0], a, p.op(), "output");
}

// A per-matrix function f(b, A) -> result over a batch of n x n matrices, stored with req.
template <typename F>
void PerSquare(const TBlob &in, const TBlob &out, OpReq req, F f) {
  if (req == kNullOp) return;
  const int64_t n = Rows(in.shape), batch = Batch(in.shape);
  MXC_REAL_TYPE_SWITCH(in.dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat r = f(b, Load(in.ptr<T>() + b * n * n, n * n), n);
      Put(out.ptr<T>() + b * n * n, r.data(), n * n, req);
    }
  });
}

void PotrfForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  PerSquare(in[0], out[0], req[0], [&](int64_t b, Mat A, int64_t n) {
    if (!Cholesky(&A, n))
      Throw(ErrorKind::kValue, "matrix ", b, " of A ", ShapeStr(in[0].shape),
            " is not positive definite (Cholesky factorization failed)");
    return A;
  });
}

// dA = 0.5 L^{-T} copyltu(L^T dL) L^{-1} (symmetric).
void PotrfBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const int64_t n = Rows(in_grad[0].shape), batch = Batch(in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat L = Load(out_data[0].ptr<T>() + b * n * n, n * n), G = Load(out_grad[0].ptr<T>() + b * n * n, n * n);
      Mat X = CopyLtu(Mul(L, true, G, false, n, n, n), n);
      TriSolve(L, n, true, true, false, &X, n, n);  // L^{-T} X
      TriSolve(L, n, true, false, true, &X, n, n);  // X L^{-1}
      for (double &v : X) v *= 0.5;
      Put(in_grad[0].ptr<T>() + b * n * n, X.data(), n * n, req[0]);
    }
  });
}

// (L L^T)^{-1} from the lower triangle L of A.
Mat PotriOf(const Mat &A, int64_t n) {
  Mat Li(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) Li[i * n + i] = 1;
  TriSolve(A, n, true, false, false, &Li, n, n);
  return Mul(Li, true, Li, false, n, n, n);
}

void PotriForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  PerSquare(in[0], out[0], req[0], [](int64_t, const Mat &A, int64_t n) { return PotriOf(A, n); });
}

// dL = -tril(out (G + G^T) out L).
void PotriBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const int64_t n = Rows(in_grad[0].shape), batch = Batch(in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat L = Triangle(Load(in_data[0].ptr<T>() + b * n * n, n * n), n, true);
      const Mat Y = Load(out_data[0].ptr<T>() + b * n * n, n * n), G = Load(out_grad[0].ptr<T>() + b * n * n, n * n);
      Mat Gs(G);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) Gs[i * n + j] += G[j * n + i];
      const Mat d = Mul(Mul(Mul(Y, false, Gs, false, n, n, n), false, Y, false, n, n, n), false, L, false, n, n, n,
                        -1.0);
      Put(in_grad[0].ptr<T>() + b * n * n, Triangle(d, n, true).data(), n * n, req[0]);
    }
  });
}

void InverseForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  PerSquare(in[0], out[0], req[0], [&](int64_t b, Mat A, int64_t n) {
    std::vector<int64_t> piv;
    double sign;
    if (!Lu(&A, n, &piv, &sign))
      Throw(ErrorKind::kValue, "matrix ", b, " of A ", ShapeStr(in[0].shape), " is singular");
    return LuInverse(A, n, piv);
  });
}

// dA = -Y^T G Y^T with Y = A^{-1}.
void InverseBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)in_data;
  if (req[0] == kNullOp) return;
  const int64_t n = Rows(in_grad[0].shape), batch = Batch(in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat Y = Load(out_data[0].ptr<T>() + b * n * n, n * n), G = Load(out_grad[0].ptr<T>() + b * n * n, n * n);
      const Mat d = Mul(Mul(Y, true, G, false, n, n, n), false, Y, true, n, n, n, -1.0);
      Put(in_grad[0].ptr<T>() + b * n * n, d.data(), n * n, req[0]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// extractdiag / makediag, extracttrian / maketrian (offset; lower).
// ---------------------------------------------------------------------------------------------------------------
// The length of diagonal `off` of an r x c matrix (<= 0: none).
int64_t DiagLen(int64_t r, int64_t c, int64_t off) {
  return off >= 0 ? std::min(r, c - off) : std::min(r + off, c);
}

void ExtractDiagShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", true);
  const int64_t off = p.Int("offset"), len = DiagLen(Rows(a), Cols(a), off);
  if (len <= 0)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": offset ", off, " is out of range for matrices of A ",
          ShapeStr(a));
  TShape o(a.begin(), a.end() - 2);
  o.push_back(len);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void MakeDiagShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  if (a.ndim() < 1)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input 'A' must have at least 1 dimension");
  const int64_t off = p.Int("offset"), n = a[a.ndim() - 1] + (off < 0 ? -off : off);
  TShape o(a.begin(), a.end() - 1);
  o.push_back(n);
  o.push_back(n);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// Calls f(vector index, matrix index) for every element of diagonal `off` of the b-th r x c matrix.
template <typename F>
void ForDiag(int64_t r, int64_t c, int64_t off, int64_t b, F f) {
  const int64_t len = DiagLen(r, c, off);
  for (int64_t i = 0; i < len; ++i) {
    const int64_t row = off >= 0 ? i : i - off, col = off >= 0 ? i + off : i;
    f(b * len + i, b * r * c + row * c + col);
  }
}

// Copies between a batch of matrices and their diagonals: to_vec (extractdiag, makediag's gradient) or back
// (makediag, extractdiag's gradient; elements off the diagonal become zero).
void DiagCopy(const TBlob &mats, const TBlob &vecs, bool to_vec, OpReq req, int64_t off) {
  if (req == kNullOp) return;
  const TShape &s = mats.shape;
  const int64_t r = Rows(s), c = Cols(s), batch = Batch(s);
  MXC_REAL_TYPE_SWITCH(mats.dtype, T, {
    T *m = mats.ptr<T>(), *v = vecs.ptr<T>();
    if (!to_vec) ZeroIfWrite(mats, req);
    for (int64_t b = 0; b < batch; ++b)
      ForDiag(r, c, off, b, [&](int64_t vi, int64_t mi) {
        if (to_vec) Store(v + vi, req, m[mi]);
        else Store(m + mi, req, v[vi]);
      });
  });
}

// Triangle of extracttrian/maketrian: n x n matrices, m = n - |offset| rows in the triangle.
bool TrianLowerForm(const OpParams &p) {
  const int64_t off = p.Int("offset");
  return off < 0 || (off == 0 && p.Bool("lower"));
}

// Calls f(vector index, matrix index) for every element of the triangle of the b-th n x n matrix: the lower form
// row by row, the upper one column by column (MXNet's order).
template <typename F>
void ForTrian(int64_t n, int64_t off, bool lower_form, int64_t b, F f) {
  const int64_t a = off < 0 ? -off : off, m = n - a, len = m * (m + 1) / 2;
  int64_t k = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j <= i; ++j, ++k) {
      const int64_t row = lower_form ? i + a : j, col = lower_form ? j : i + a;
      f(b * len + k, b * n * n + row * n + col);
    }
}

void ExtractTrianShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", true);
  const int64_t off = p.Int("offset"), m = Rows(a) - (off < 0 ? -off : off);
  if (m <= 0)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": offset ", off, " is out of range for matrices of A ",
          ShapeStr(a));
  TShape o(a.begin(), a.end() - 2);
  o.push_back(m * (m + 1) / 2);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void MakeTrianShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  if (a.ndim() < 1)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input 'A' must have at least 1 dimension");
  const int64_t len = a[a.ndim() - 1], off = p.Int("offset");
  const int64_t m = static_cast<int64_t>(std::floor((std::sqrt(8.0 * double(len) + 1) - 1) / 2 + 0.5));
  if (len < 1 || m * (m + 1) / 2 != len)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": the last axis of A ", ShapeStr(a),
          " must have a triangular number of elements m*(m+1)/2 (1, 3, 6, 10, ...), got ", len);
  const int64_t n = m + (off < 0 ? -off : off);
  TShape o(a.begin(), a.end() - 1);
  o.push_back(n);
  o.push_back(n);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void TrianCopy(const OpParams &p, const TBlob &mats, const TBlob &vecs, bool to_vec, OpReq req) {
  if (req == kNullOp) return;
  const int64_t n = Rows(mats.shape), batch = Batch(mats.shape), off = p.Int("offset");
  const bool lf = TrianLowerForm(p);
  MXC_REAL_TYPE_SWITCH(mats.dtype, T, {
    T *m = mats.ptr<T>(), *v = vecs.ptr<T>();
    if (!to_vec) ZeroIfWrite(mats, req);
    for (int64_t b = 0; b < batch; ++b)
      ForTrian(n, off, lf, b, [&](int64_t vi, int64_t mi) {
        if (to_vec) Store(v + vi, req, m[mi]);
        else Store(m + mi, req, v[vi]);
      });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// gelqf: A (m x n, m <= n) = L Q; outputs Q then L.
// ---------------------------------------------------------------------------------------------------------------
void GelqfShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", false);
  if (Rows(a) > Cols(a))
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": matrices of A ", ShapeStr(a),
          " must not have more rows than columns");
  ShapeAssign(&(*out)[0], a, p.op(), "Q");
  TShape l = a;
  l[l.ndim() - 1] = Rows(a);
  ShapeAssign(&(*out)[1], l, p.op(), "L");
}

// Householder LQ of A (m x n, m <= n): *Q (m x n, orthonormal rows) and *L (m x m, lower).
void Lq(const Mat &A, int64_t m, int64_t n, Mat *Q, Mat *L) {
  Mat R(A);
  std::vector<Mat> vs(m);
  std::vector<double> taus(m, 0.0);
  for (int64_t k = 0; k < m; ++k) {
    const double alpha = R[k * n + k];
    double xn = 0;
    for (int64_t j = k + 1; j < n; ++j) xn += R[k * n + j] * R[k * n + j];
    xn = std::sqrt(xn);
    Mat v(n - k, 0.0);
    v[0] = 1;
    if (xn == 0) continue;  // H = I
    const double beta = -std::copysign(std::hypot(alpha, xn), alpha);
    taus[k] = (beta - alpha) / beta;
    for (int64_t j = k + 1; j < n; ++j) v[j - k] = R[k * n + j] / (alpha - beta);
    for (int64_t r = k; r < m; ++r) {  // rows k.. of R times H
      double w = 0;
      for (int64_t j = k; j < n; ++j) w += R[r * n + j] * v[j - k];
      w *= taus[k];
      for (int64_t j = k; j < n; ++j) R[r * n + j] -= w * v[j - k];
    }
    vs[k] = std::move(v);
  }
  L->assign(m * m, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j <= i; ++j) (*L)[i * m + j] = R[i * n + j];
  Q->assign(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i) (*Q)[i * n + i] = 1;
  for (int64_t k = m - 1; k >= 0; --k) {  // Q = [I 0] H_m ... H_1
    if (taus[k] == 0) continue;
    const Mat &v = vs[k];
    for (int64_t r = 0; r < m; ++r) {
      double w = 0;
      for (int64_t j = k; j < n; ++j) w += (*Q)[r * n + j] * v[j - k];
      w *= taus[k];
      for (int64_t j = k; j < n; ++j) (*Q)[r * n + j] -= w * v[j - k];
    }
  }
}

void GelqfForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const TShape &s = in[0].shape;
  const int64_t m = Rows(s), n = Cols(s), batch = Batch(s);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      Mat Q, L;
      Lq(Load(in[0].ptr<T>() + b * m * n, m * n), m, n, &Q, &L);
      Put(out[0].ptr<T>() + b * m * n, Q.data(), m * n, req[0]);
      Put(out[1].ptr<T>() + b * m * m, L.data(), m * m, req[1]);
    }
  });
}

// dA = L^{-T} (dQ + copyltu(M) Q) with M = L^T dL - dQ Q^T.
void GelqfBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)in_data;
  if (req[0] == kNullOp) return;
  const TShape &s = in_grad[0].shape;
  const int64_t m = Rows(s), n = Cols(s), batch = Batch(s);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat Q = Load(out_data[0].ptr<T>() + b * m * n, m * n), L = Load(out_data[1].ptr<T>() + b * m * m, m * m);
      const Mat dQ = Load(out_grad[0].ptr<T>() + b * m * n, m * n);
      const Mat dL = Load(out_grad[1].ptr<T>() + b * m * m, m * m);
      Mat M = Mul(L, true, dL, false, m, m, m);
      const Mat P = Mul(dQ, false, Q, true, m, m, n);
      for (int64_t i = 0; i < m * m; ++i) M[i] -= P[i];
      Mat Z = Mul(CopyLtu(M, m), false, Q, false, m, n, m);
      for (int64_t i = 0; i < m * n; ++i) Z[i] += dQ[i];
      TriSolve(L, m, true, true, false, &Z, m, n);
      Put(in_grad[0].ptr<T>() + b * m * n, Z.data(), m * n, req[0]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// syevd: A (symmetric, its lower triangle read) = U^T diag(L) U; outputs U then L.
// ---------------------------------------------------------------------------------------------------------------
void SyevdShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0];
  if (a.empty()) return;
  NeedMatrix(p, a, "A", true);
  ShapeAssign(&(*out)[0], a, p.op(), "U");
  ShapeAssign(&(*out)[1], TShape(a.begin(), a.end() - 1), p.op(), "L");
}

// Cyclic Jacobi: *U (rows: eigenvectors, largest-magnitude entry positive) and *lam (ascending).
void Jacobi(const Mat &A, int64_t n, Mat *U, Mat *lam) {
  Mat a(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) a[i * n + j] = a[j * n + i] = A[i * n + j];
  Mat V(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) V[i * n + i] = 1;
  double norm = 0;
  for (double x : a) norm += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        if (i != j) off += a[i * n + j] * a[i * n + j];
    if (off <= 1e-30 * norm || off == 0) break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // columns p, q
          const double x = a[k * n + p], y = a[k * n + q];
          a[k * n + p] = c * x - s * y;
          a[k * n + q] = s * x + c * y;
        }
        for (int64_t k = 0; k < n; ++k) {  // rows p, q
          const double x = a[p * n + k], y = a[q * n + k];
          a[p * n + k] = c * x - s * y;
          a[q * n + k] = s * x + c * y;
        }
        for (int64_t k = 0; k < n; ++k) {
          const double x = V[k * n + p], y = V[k * n + q];
          V[k * n + p] = c * x - s * y;
          V[k * n + q] = s * x + c * y;
        }
      }
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return a[x * n + x] < a[y * n + y]; });
  U->assign(n * n, 0.0);
  lam->assign(n, 0.0);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t c = order[r];
    (*lam)[r] = a[c * n + c];
    int64_t big = 0;
    for (int64_t k = 1; k < n; ++k)
      if (std::fabs(V[k * n + c]) > std::fabs(V[big * n + c])) big = k;
    const double sg = V[big * n + c] < 0 ? -1.0 : 1.0;
    for (int64_t k = 0; k < n; ++k) (*U)[r * n + k] = sg * V[k * n + c];
  }
}

void SyevdForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const int64_t n = Rows(in[0].shape), batch = Batch(in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      Mat U, lam;
      Jacobi(Load(in[0].ptr<T>() + b * n * n, n * n), n, &U, &lam);
      Put(out[0].ptr<T>() + b * n * n, U.data(), n * n, req[0]);
      Put(out[1].ptr<T>() + b * n, lam.data(), n, req[1]);
    }
  });
}

// dA = sym(U^T W U), W[i][i] = dL_i, W[j][i] = (dU U^T)[i][j] / (L_i - L_j) (distinct eigenvalues).
void SyevdBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  (void)in_data;
  if (req[0] == kNullOp) return;
  const int64_t n = Rows(in_grad[0].shape), batch = Batch(in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    for (int64_t b = 0; b < batch; ++b) {
      const Mat U = Load(out_data[0].ptr<T>() + b * n * n, n * n), lam = Load(out_data[1].ptr<T>() + b * n, n);
      const Mat dU = Load(out_grad[0].ptr<T>() + b * n * n, n * n), dl = Load(out_grad[1].ptr<T>() + b * n, n);
      const Mat K = Mul(dU, false, U, true, n, n, n);
      Mat W(n * n, 0.0);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) W[j * n + i] = i == j ? dl[i] : K[i * n + j] / (lam[i] - lam[j]);
      const Mat G = Mul(Mul(U, true, W, false, n, n, n), false, U, false, n, n, n);
      Mat d(n * n);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) d[i * n + j] = 0.5 * (G[i * n + j] + G[j * n + i]);
      Put(in_grad[0].ptr<T>() + b * n * n, d.data(), n * n, req[0]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// khatri_rao: column-wise Kronecker product of matrices with the same number of columns; the first input's row
// index varies slowest.
// ---------------------------------------------------------------------------------------------------------------
void KhatriRaoShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  int64_t rows = 1, cols = -1;
  const auto names = p.op()->InputNames(p);
  for (size_t i = 0; i < in->size(); ++i) {
    const TShape &s = (*in)[i];
    if (s.empty()) return;
    if (s.ndim() != 2)
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input '", names[i], "' must be a matrix (2 dimensions), "
            "got shape ", ShapeStr(s));
    if (cols >= 0 && s[1] != cols)
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": all inputs must have the same number of columns; input '",
            names[i], "' has shape ", ShapeStr(s), " but '", names[0], "' has ", cols, " columns");
    cols = s[1];
    rows *= s[0];
  }
  if (cols >= 0) ShapeAssign(&(*out)[0], TShape{rows, cols}, p.op(), "output");
}

void KhatriRaoForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  (void)p;
  if (req[0] == kNullOp) return;
  const int64_t cols = Cols(out[0].shape), rows = Rows(out[0].shape);
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    T *o = out[0].ptr<T>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        int64_t rest = r;
        double v = 1;
        for (size_t i = in.size(); i-- > 0;) {  // the last input's row varies fastest
          const int64_t ri = in[i].shape[0];
          v *= in[i].ptr<T>()[(rest % ri) * cols + c];
          rest /= ri;
        }
        Store(o + r * cols + c, req[0], static_cast<T>(v));
      }
  });
}

Op &LinalgOp(Op &op, const char *alias, const char *doc) {
  return op.add_alias(alias).describe(doc).set_infer_type(FloatOnlyTypeInfer);
}

Op &TriParams(Op &op) {
  return op.add_param("transpose", ParamKind::kBool, "0", "Use transposed of the triangular matrix")
      .add_param("rightside", ParamKind::kBool, "0",
                 "Multiply triangular matrix from the right to non-triangular one.")
      .add_param("lower", ParamKind::kBool, "1",
                 "True if the triangular matrix is lower triangular, false if it is upper triangular.")
      .add_param("alpha", ParamKind::kFloat, "1", "Scalar factor to be applied to the result.");
}

const char *kOffsetDoc = "Offset of the diagonal versus the main diagonal. 0 corresponds to the main diagonal, a "
                         "negative/positive value to diagonals below/above the main diagonal.";
const char *kLowerDoc = "Refer to the lower triangular matrix if lower=true, refer to the upper otherwise. Only "
                        "relevant when offset=0";

}  // namespace

static Op &gemm_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_gemm"), "linalg_gemm",
             "General matrix multiply-add: out = alpha * op(A) * op(B) + beta * C on the last two axes (rows on "
             "`axis`), op(X) = X or its transpose.")
        .set_inputs({"A", "B", "C"})
        .add_param("transpose_a", ParamKind::kBool, "0", "Multiply with transposed of first input (A).")
        .add_param("transpose_b", ParamKind::kBool, "0", "Multiply with transposed of second input (B).")
        .add_param("alpha", ParamKind::kFloat, "1", "Scalar factor multiplied with A*B.")
        .add_param("beta", ParamKind::kFloat, "1", "Scalar factor multiplied with C.")
        .add_param("axis", ParamKind::kInt, "-2", "Axis corresponding to the matrix rows.")
        .set_infer_shape(GemmShape)
        .set_compute(MXC_CPU, GemmForward)
        .set_backward(MXC_CPU, GemmBackward)
        .set_backward_uses(true, false);

static Op &gemm2_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_gemm2"), "linalg_gemm2",
             "General matrix multiply: out = alpha * op(A) * op(B) on the last two axes (rows on `axis`).")
        .set_inputs({"A", "B"})
        .add_param("transpose_a", ParamKind::kBool, "0", "Multiply with transposed of first input (A).")
        .add_param("transpose_b", ParamKind::kBool, "0", "Multiply with transposed of second input (B).")
        .add_param("alpha", ParamKind::kFloat, "1", "Scalar factor multiplied with A*B.")
        .add_param("axis", ParamKind::kInt, "-2", "Axis corresponding to the matrix row indices.")
        .set_infer_shape(GemmShape)
        .set_compute(MXC_CPU, GemmForward)
        .set_backward(MXC_CPU, GemmBackward)
        .set_backward_uses(true, false);

static Op &trmm_reg =
    TriParams(LinalgOp(OpRegistry::Get()->Register("_linalg_trmm"), "linalg_trmm",
                       "Triangular matrix multiply: out = alpha * op(A) * B (or alpha * B * op(A) with rightside), "
                       "A's lower (or upper) triangle."))
        .set_inputs({"A", "B"})
        .set_infer_shape(TriShape)
        .set_compute(MXC_CPU, TrmmForward)
        .set_backward(MXC_CPU, TrmmBackward)
        .set_backward_uses(true, false);

static Op &trsm_reg =
    TriParams(LinalgOp(OpRegistry::Get()->Register("_linalg_trsm"), "linalg_trsm",
                       "Solves op(A) * X = alpha * B (or X * op(A) = alpha * B with rightside) for X, A's lower (or "
                       "upper) triangle."))
        .set_inputs({"A", "B"})
        .set_infer_shape(TriShape)
        .set_compute(MXC_CPU, TrsmForward)
        .set_backward(MXC_CPU, TrsmBackward)
        .set_backward_uses(true, true);

static Op &syrk_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_syrk"), "linalg_syrk",
             "Symmetric rank-k update: out = alpha * A * A^T (or alpha * A^T * A with transpose).")
        .set_inputs({"A"})
        .add_param("transpose", ParamKind::kBool, "0", "Use transpose of input matrix.")
        .add_param("alpha", ParamKind::kFloat, "1", "Scalar factor to be applied to the result.")
        .set_infer_shape(SyrkShape)
        .set_compute(MXC_CPU, SyrkForward)
        .set_backward(MXC_CPU, SyrkBackward)
        .set_backward_uses(true, false);

static Op &sumlogdiag_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_sumlogdiag"), "linalg_sumlogdiag",
             "Sum of the logarithms of the diagonal elements of square matrices.")
        .set_inputs({"A"})
        .set_infer_shape(ReduceMatShape)
        .set_compute(MXC_CPU, SumLogDiagForward)
        .set_backward(MXC_CPU, SumLogDiagBackward)
        .set_backward_uses(true, false);

static Op &extractdiag_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_extractdiag"), "linalg_extractdiag",
             "Extracts a diagonal (offset) of matrices as vectors.")
        .set_inputs({"A"})
        .add_param("offset", ParamKind::kInt, "0", kOffsetDoc)
        .set_infer_shape(ExtractDiagShape)
        .set_compute(MXC_CPU,
                     [](MXC_NN_FORWARD_ARGS) {
                       (void)ctx;
                       DiagCopy(in[0], out[0], true, req[0], p.Int("offset"));
                     })
        .set_backward(MXC_CPU,
                      [](MXC_NN_BACKWARD_ARGS) {
                        (void)ctx;
                        (void)in_data;
                        (void)out_data;
                        DiagCopy(in_grad[0], out_grad[0], false, req[0], p.Int("offset"));
                      })
        .set_backward_uses(false, false);

static Op &makediag_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_makediag"), "linalg_makediag",
             "Square matrices with the given vectors on a diagonal (offset) and zeros elsewhere.")
        .set_inputs({"A"})
        .add_param("offset", ParamKind::kInt, "0", kOffsetDoc)
        .set_infer_shape(MakeDiagShape)
        .set_compute(MXC_CPU,
                     [](MXC_NN_FORWARD_ARGS) {
                       (void)ctx;
                       DiagCopy(out[0], in[0], false, req[0], p.Int("offset"));
                     })
        .set_backward(MXC_CPU,
                      [](MXC_NN_BACKWARD_ARGS) {
                        (void)ctx;
                        (void)in_data;
                        (void)out_data;
                        DiagCopy(out_grad[0], in_grad[0], true, req[0], p.Int("offset"));
                      })
        .set_backward_uses(false, false);

static Op &extracttrian_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_extracttrian"), "linalg_extracttrian",
             "Extracts a triangle (offset, lower) of square matrices as vectors: the lower form row by row, the "
             "upper one column by column.")
        .set_inputs({"A"})
        .add_param("offset", ParamKind::kInt, "0", kOffsetDoc)
        .add_param("lower", ParamKind::kBool, "1", kLowerDoc)
        .set_infer_shape(ExtractTrianShape)
        .set_compute(MXC_CPU,
                     [](MXC_NN_FORWARD_ARGS) {
                       (void)ctx;
                       TrianCopy(p, in[0], out[0], true, req[0]);
                     })
        .set_backward(MXC_CPU,
                      [](MXC_NN_BACKWARD_ARGS) {
                        (void)ctx;
                        (void)in_data;
                        (void)out_data;
                        TrianCopy(p, in_grad[0], out_grad[0], false, req[0]);
                      })
        .set_backward_uses(false, false);

static Op &maketrian_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_maketrian"), "linalg_maketrian",
             "Square matrices with the given vectors as a triangle (offset, lower), zeros elsewhere; the inverse "
             "of extracttrian.")
        .set_inputs({"A"})
        .add_param("offset", ParamKind::kInt, "0", kOffsetDoc)
        .add_param("lower", ParamKind::kBool, "1", kLowerDoc)
        .set_infer_shape(MakeTrianShape)
        .set_compute(MXC_CPU,
                     [](MXC_NN_FORWARD_ARGS) {
                       (void)ctx;
                       TrianCopy(p, out[0], in[0], false, req[0]);
                     })
        .set_backward(MXC_CPU,
                      [](MXC_NN_BACKWARD_ARGS) {
                        (void)ctx;
                        (void)in_data;
                        (void)out_data;
                        TrianCopy(p, out_grad[0], in_grad[0], true, req[0]);
                      })
        .set_backward_uses(false, false);

static Op &potrf_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_potrf"), "linalg_potrf",
             "Cholesky factorization: the lower triangular L with A = L * L^T of symmetric positive-definite "
             "matrices (their lower triangle is read).")
        .set_inputs({"A"})
        .set_infer_shape(SquareShape)
        .set_compute(MXC_CPU, PotrfForward)
        .set_backward(MXC_CPU, PotrfBackward)
        .set_backward_uses(false, true);

static Op &potri_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_potri"), "linalg_potri",
             "Inverse of L * L^T from its Cholesky factor L (the lower triangle of A).")
        .set_inputs({"A"})
        .set_infer_shape(SquareShape)
        .set_compute(MXC_CPU, PotriForward)
        .set_backward(MXC_CPU, PotriBackward)
        .set_backward_uses(true, true);

static Op &inverse_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_inverse"), "linalg_inverse",
             "Inverse of square matrices (LU with partial pivoting); singular matrices are an error.")
        .set_inputs({"A"})
        .set_infer_shape(SquareShape)
        .set_compute(MXC_CPU, InverseForward)
        .set_backward(MXC_CPU, InverseBackward)
        .set_backward_uses(false, true);

static Op &det_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_det"), "linalg_det", "Determinant of square matrices.")
        .set_inputs({"A"})
        .set_output_names([](const OpParams &) { return std::vector<std::string>{"output0"}; })  // as MXNet
        .set_infer_shape(ReduceMatShape)
        .set_compute(MXC_CPU, DetForward)
        .set_backward(MXC_CPU, DetBackward)
        .set_backward_uses(true, true);

static Op &slogdet_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_slogdet"), "linalg_slogdet",
             "Sign and natural logarithm of the absolute value of the determinant of square matrices (two "
             "outputs; a singular matrix gives sign 0 and -inf).")
        .set_inputs({"A"})
        .set_num_outputs(2)
        .set_infer_shape(ReduceMatShape)
        .set_compute(MXC_CPU, DetForward)
        .set_backward(MXC_CPU, DetBackward)
        .set_backward_uses(true, true);

static Op &gelqf_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_gelqf"), "linalg_gelqf",
             "LQ factorization A = L * Q of matrices with no more rows than columns (outputs Q, L).")
        .set_inputs({"A"})
        .set_num_outputs(2)
        .set_infer_shape(GelqfShape)
        .set_compute(MXC_CPU, GelqfForward)
        .set_backward(MXC_CPU, GelqfBackward)
        .set_backward_uses(false, true);

static Op &syevd_reg =
    LinalgOp(OpRegistry::Get()->Register("_linalg_syevd"), "linalg_syevd",
             "Eigendecomposition of symmetric matrices (their lower triangle is read): U * A = diag(L) * U, rows of "
             "U orthonormal eigenvectors, L ascending (outputs U, L).")
        .set_inputs({"A"})
        .set_num_outputs(2)
        .set_infer_shape(SyevdShape)
        .set_compute(MXC_CPU, SyevdForward)
        .set_backward(MXC_CPU, SyevdBackward)
        .set_backward_uses(false, true);

MXC_REGISTER_OP(khatri_rao)
    .describe("Khatri-Rao product: the column-wise Kronecker product of matrices with the same number of columns "
              "(rows: the product of the inputs' row counts, the first input's row index varying slowest).")
    .set_variadic("num_args", "args")
    .add_required_param("num_args", ParamKind::kInt, "Number of input matrices.")
    .set_infer_shape(KhatriRaoShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, KhatriRaoForward);

}  // namespace op
}  // namespace mxc
