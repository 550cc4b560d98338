// SPDX-License-Identifier: MIT
// Example with known ground truth: a C++ method whose hot loop runs an always-inline helper.

/*
 * Ground truth:
 *   cumulative  geo::Matrix::multiply(...) ~100 % (called from main), geo::dot [inline] ~all of it:
 *               dot is inlined into multiply, so only debug info (DW_TAG_inlined_subroutine)
 *               can show it as a frame of its own
 *   self        multiply's machine code ~100 %, most of it on the line inside geo::dot (HOT)
 * Usage: cpp_inline [ROUNDS]  -- number of matrix products (default 500, ~1 s here).
 */
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace geo {

// Serial dot product of row a (stride 1) with column b (stride `stride`). Without -ffast-math
// the compiler keeps the additions in order, so the loop cannot be vectorized away.
__attribute__((always_inline)) inline double dot(const double *a, const double *b, std::size_t n,
                                                 std::size_t stride)
{
    double sum = 0.0;
    for (std::size_t k = 0; k < n; k++)
        sum += a[k] * b[k * stride]; /* HOT */
    return sum;
}

class Matrix {
public:
    explicit Matrix(std::size_t n) : n_(n), v_(n * n) {}

    std::size_t size() const { return n_; }
    double &at(std::size_t i, std::size_t j) { return v_[i * n_ + j]; }
    double at(std::size_t i, std::size_t j) const { return v_[i * n_ + j]; }

    Matrix multiply(const Matrix &other) const;

private:
    std::size_t n_;
    std::vector<double> v_;
};

// Out of line and never inlined, so it is a real frame between main and the inline dot.
__attribute__((noinline)) Matrix Matrix::multiply(const Matrix &other) const
{
    Matrix out(n_);
    for (std::size_t i = 0; i < n_; i++)
        for (std::size_t j = 0; j < n_; j++)
            out.v_[i * n_ + j] = dot(&v_[i * n_], &other.v_[j], n_, n_);
    return out;
}

} // namespace geo

int main(int argc, char **argv)
{
    long rounds = 500;
    if (argc > 1) {
        char *end;
        rounds = std::strtol(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0' || rounds <= 0 || rounds > 100000) {
            std::fprintf(stderr, "usage: %s [ROUNDS]  (1..100000)\n", argv[0]);
            return 2;
        }
    }
    const std::size_t n = 160;
    geo::Matrix a(n), b(n);
    for (std::size_t i = 0; i < n; i++)
        for (std::size_t j = 0; j < n; j++) {
            a.at(i, j) = 1.0 / double(i + j + 1);
            b.at(i, j) = (i == j) ? 1.0 : 1e-3 * double((i * 7 + j * 3) % 11);
        }
    // Each product feeds the next, so no round can be skipped; the trace is printed.
    double trace = 0.0;
    for (long r = 0; r < rounds; r++) {
        geo::Matrix c = a.multiply(b);
        double t = 0.0;
        for (std::size_t i = 0; i < n; i++)
            t += c.at(i, i);
        trace += t;
        // Keep the values bounded: rescale row 0 by the new trace instead of replacing a.
        a.at(0, 0) = 1.0 + t * 1e-9;
    }
    std::printf("cpp_inline: n=%zu rounds=%ld trace=%.9g\n", n, rounds, trace);
    return 0;
}
