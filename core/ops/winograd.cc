// Winograd F(2x2, 3x3) convolution; see winograd.h. Transforms (with B^T, G and A^T of F(2, 3)):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],  A^T = [1 1 1 0; 0 1 -1 -1].
#include "winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "nn_util.h"

namespace mxc {
namespace op {

bool WinogradApplies(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph, int64_t pw,
                     int64_t Cg, int64_t Fg, int64_t N, int64_t Ho, int64_t Wo) {
  if (kh != 3 || kw != 3 || sh != 1 || sw != 1 || dh != 1 || dw != 1 || ph > 2 || pw > 2 || ph < 0 || pw < 0)
    return false;
  const char *env = std::getenv("MXC_CONV_WINOGRAD");
  if (env != nullptr && std::strcmp(env, "0") == 0) return false;
  if (env != nullptr && std::strcmp(env, "1") == 0) return true;  // whatever the sizes (tests, benchmarks)
  return Cg >= 8 && Fg >= 8 && N * ((Ho + 1) / 2) * ((Wo + 1) / 2) >= 1024;
}

namespace {

// U[xi, f, c] = (G w[f, c] G^T)[xi] for xi in 0..15 (row-major 4x4); with flip, w[f, c] is the transposed
// convolution's kernel: the stored weight's (c, f) kernel rotated by 180 degrees.
void TransformWeights(const float *w, bool flip, int64_t Fg, int64_t Cg, float *U) {
  const int64_t FC = Fg * Cg;
  ParallelForWork(Fg, Cg * 40, [&](int64_t f) {
    for (int64_t c = 0; c < Cg; ++c) {
      float k[3][3];
      const float *src = flip ? w + (c * Fg + f) * 9 : w + (f * Cg + c) * 9;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) k[i][j] = flip ? src[(2 - i) * 3 + (2 - j)] : src[i * 3 + j];
      float t[4][3];  // G k
      for (int j = 0; j < 3; ++j) {
        t[0][j] = k[0][j];
        t[1][j] = 0.5f * (k[0][j] + k[1][j] + k[2][j]);
        t[2][j] = 0.5f * (k[0][j] - k[1][j] + k[2][j]);
        t[3][j] = k[2][j];
      }
      for (int i = 0; i < 4; ++i) {  // (G k) G^T
        float *u = U + (i * 4) * FC + f * Cg + c;
        u[0] = t[i][0];
        u[FC] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[2 * FC] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[3 * FC] = t[i][2];
      }
    }
  });
}

// V[xi, c, t] = (B^T d B)[xi] for the 4x4 input tile d at rows 2 ty - ph.., columns 2 tx - pw.. (zero outside) of
// sample n0 + n, channel c0 + c, with t = n * th * tw + ty * tw + tx. A row of tiles at a time, so that every loop
// runs along contiguous memory: B^T d over whole (zero-padded) rows, then d B and the stores along the tiles.
void TransformInput(const float *x, int64_t n0, int64_t nb, int64_t C, int64_t c0, int64_t Cg, int64_t H, int64_t W,
                    int64_t ph, int64_t pw, int64_t th, int64_t tw, float *V) {
  const int64_t T = nb * th * tw, CT = Cg * T, Wp = 2 * tw + 2;
  ParallelForWork(nb * Cg, th * tw * 48, [&](int64_t job) {
    const int64_t n = job / Cg, c = job % Cg;
    const float *xp = x + ((n0 + n) * C + c0 + c) * H * W;
    thread_local std::vector<float> buf;  // the job's rows, reused by the thread's next jobs
    buf.assign(static_cast<size_t>(8 * Wp), 0.0f);
    float *d[4] = {buf.data(), buf.data() + Wp, buf.data() + 2 * Wp, buf.data() + 3 * Wp};
    float *sr[4] = {buf.data() + 4 * Wp, buf.data() + 5 * Wp, buf.data() + 6 * Wp, buf.data() + 7 * Wp};
    // Input columns [q_lo, q_hi) of a padded row hold data; the rest stays zero.
    const int64_t q_lo = std::min(Wp, pw), q_hi = std::max(q_lo, std::min(Wp, W + pw));
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int i = 0; i < 4; ++i) {
        const int64_t r = 2 * ty - ph + i;
        if (r < 0 || r >= H) {
          std::fill(d[i], d[i] + Wp, 0.0f);
        } else {
          std::memcpy(d[i] + q_lo, xp + r * W + q_lo - pw, sizeof(float) * (q_hi - q_lo));
        }
      }
      for (int64_t q = 0; q < Wp; ++q) {  // B^T d
        sr[0][q] = d[0][q] - d[2][q];
        sr[1][q] = d[1][q] + d[2][q];
        sr[2][q] = d[2][q] - d[1][q];
        sr[3][q] = d[1][q] - d[3][q];
      }
      const int64_t t0 = c * T + n * th * tw + ty * tw;
      for (int i = 0; i < 4; ++i) {  // (B^T d) B
        const float *si = sr[i];
        float *v0 = V + (i * 4) * CT + t0, *v1 = v0 + CT, *v2 = v1 + CT, *v3 = v2 + CT;
        for (int64_t tx = 0; tx < tw; ++tx) {
          const float a = si[2 * tx], b = si[2 * tx + 1], cc = si[2 * tx + 2], e = si[2 * tx + 3];
          v0[tx] = a - cc;
          v1[tx] = b + cc;
          v2[tx] = cc - b;
          v3[tx] = b - e;
        }
      }
    }
  });
}

// y[n0 + n, f0 + f] (+)= A^T M A for every tile, clipped at the output's edge; a row of tiles at a time.
void TransformOutput(const float *M, int64_t nb, int64_t n0, int64_t F, int64_t f0, int64_t Fg, int64_t Ho,
                     int64_t Wo, int64_t th, int64_t tw, float beta, float *y) {
  const int64_t T = nb * th * tw, FT = Fg * T;
  ParallelForWork(nb * Fg, th * tw * 40, [&](int64_t job) {
    const int64_t n = job / Fg, f = job % Fg;
    float *yp = y + ((n0 + n) * F + f0 + f) * Ho * Wo;
    thread_local std::vector<float> buf;  // reused by the thread's next jobs
    buf.resize(static_cast<size_t>(12 * tw));
    float *s0[4], *s1[4];
    for (int j = 0; j < 4; ++j) s0[j] = buf.data() + j * tw, s1[j] = buf.data() + (4 + j) * tw;
    float *o[4] = {buf.data() + 8 * tw, buf.data() + 9 * tw, buf.data() + 10 * tw, buf.data() + 11 * tw};
    for (int64_t ty = 0; ty < th; ++ty) {
      const float *m = M + f * T + n * th * tw + ty * tw;
      for (int j = 0; j < 4; ++j) {  // A^T m
        const float *m0 = m + j * FT, *m1 = m + (4 + j) * FT, *m2 = m + (8 + j) * FT, *m3 = m + (12 + j) * FT;
        for (int64_t tx = 0; tx < tw; ++tx) {
          s0[j][tx] = m0[tx] + m1[tx] + m2[tx];
          s1[j][tx] = m1[tx] - m2[tx] - m3[tx];
        }
      }
      for (int64_t tx = 0; tx < tw; ++tx) {  // (A^T m) A
        o[0][tx] = s0[0][tx] + s0[1][tx] + s0[2][tx];
        o[1][tx] = s0[1][tx] - s0[2][tx] - s0[3][tx];
        o[2][tx] = s1[0][tx] + s1[1][tx] + s1[2][tx];
        o[3][tx] = s1[1][tx] - s1[2][tx] - s1[3][tx];
      }
      for (int i = 0; i < 2; ++i) {
        const int64_t r = 2 * ty + i;
        if (r >= Ho) break;
        float *row = yp + r * Wo;
        const float *even = o[2 * i], *odd = o[2 * i + 1];
        const int64_t pairs = Wo / 2;
        if (beta != 0.0f) {
          for (int64_t tx = 0; tx < pairs; ++tx) row[2 * tx] += even[tx], row[2 * tx + 1] += odd[tx];
          if (Wo % 2) row[Wo - 1] += even[pairs];
        } else {
          for (int64_t tx = 0; tx < pairs; ++tx) row[2 * tx] = even[tx], row[2 * tx + 1] = odd[tx];
          if (Wo % 2) row[Wo - 1] = even[pairs];
        }
      }
    }
  });
}

}  // namespace

void WinogradConv3x3(const float *x, const float *w, bool flip, float beta, float *y, int64_t N, int64_t C,
                     int64_t H, int64_t W, int64_t F, int64_t G, int64_t ph, int64_t pw, int64_t Ho, int64_t Wo) {
  const int64_t Cg = C / G, Fg = F / G, th = (Ho + 1) / 2, tw = (Wo + 1) / 2, tiles = th * tw;
  // Samples per chunk: the transformed inputs and products (16 (Cg + Fg) values per tile) stay under about 8M floats.
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(N, (int64_t(1) << 23) / (16 * (Cg + Fg) * tiles)));
  thread_local std::vector<float> ubuf, vbuf, mbuf;
  ubuf.resize(static_cast<size_t>(16 * Fg * Cg));
  vbuf.resize(static_cast<size_t>(16 * Cg * chunk * tiles));
  mbuf.resize(static_cast<size_t>(16 * Fg * chunk * tiles));
  for (int64_t gi = 0; gi < G; ++gi) {
    // Group gi's weights: (Fg, Cg, 3, 3) at gi * Fg * Cg * 9 (flip: the (Cg_t, Fg_t) layout of the same block).
    TransformWeights(w + gi * Fg * Cg * 9, flip, Fg, Cg, ubuf.data());
    for (int64_t n0 = 0; n0 < N; n0 += chunk) {
      const int64_t nb = std::min(chunk, N - n0), T = nb * tiles;
      TransformInput(x, n0, nb, C, gi * Cg, Cg, H, W, ph, pw, th, tw, vbuf.data());
      for (int xi = 0; xi < 16; ++xi)
        Gemm(false, false, Fg, T, Cg, 1.0f, ubuf.data() + xi * Fg * Cg, Cg, vbuf.data() + xi * Cg * T, T, 0.0f,
             mbuf.data() + xi * Fg * T, T);
      TransformOutput(mbuf.data(), nb, n0, F, gi * Fg, Fg, Ho, Wo, th, tw, beta, y);
    }
  }
}

}  // namespace op
}  // namespace mxc
