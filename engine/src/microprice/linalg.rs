//! A small dense matrix and a linear solve with partial pivoting (the state space is
//! `n_imb·n_spread`, tens of states).

/// A dense row-major matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

/// The matrix is singular: no usable pivot in this column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Singular {
    /// The column (unknown) without a pivot.
    pub column: usize,
}

impl Matrix {
    /// A `rows × cols` zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// The `n × n` identity.
    pub fn identity(n: usize) -> Self {
        let mut m = Self::zeros(n, n);
        for i in 0..n {
            m[(i, i)] = 1.0;
        }
        m
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The rows as nested vectors (for JSON).
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        (0..self.rows).map(|r| self.row(r).to_vec()).collect()
    }

    /// `self · v`.
    ///
    /// # Panics
    /// If `v.len() != cols`.
    pub fn mul_vec(&self, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.cols, "matrix-vector shape mismatch");
        (0..self.rows)
            .map(|r| self.row(r).iter().zip(v).map(|(a, b)| a * b).sum())
            .collect()
    }
}

impl std::ops::Index<(usize, usize)> for Matrix {
    type Output = f64;
    fn index(&self, (r, c): (usize, usize)) -> &f64 {
        &self.data[r * self.cols + c]
    }
}

impl std::ops::IndexMut<(usize, usize)> for Matrix {
    fn index_mut(&mut self, (r, c): (usize, usize)) -> &mut f64 {
        &mut self.data[r * self.cols + c]
    }
}

/// Solves `A X = B` for square `A` by Gaussian elimination with partial pivoting.
///
/// A pivot smaller than `n·ε·max|A|` counts as zero: the system is singular and the column
/// without a pivot is reported.
///
/// # Errors
/// [`Singular`] if `A` is (numerically) singular.
///
/// # Panics
/// If `A` is not square or `B` has a different number of rows.
pub fn solve(a: &Matrix, b: &Matrix) -> Result<Matrix, Singular> {
    let n = a.rows;
    assert_eq!(a.cols, n, "solve needs a square matrix");
    assert_eq!(b.rows, n, "right-hand side has the wrong number of rows");
    let mut a = a.clone();
    let mut x = b.clone();
    let scale = a.data.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let tol = (n as f64) * f64::EPSILON * scale;
    for col in 0..n {
        let (pivot_row, pivot) =
            (col..n)
                .map(|r| (r, a[(r, col)].abs()))
                .fold(
                    (col, -1.0),
                    |best, cur| if cur.1 > best.1 { cur } else { best },
                );
        if pivot.is_nan() || pivot <= tol {
            return Err(Singular { column: col });
        }
        if pivot_row != col {
            for c in 0..n {
                a.data.swap(col * n + c, pivot_row * n + c);
            }
            for c in 0..x.cols {
                x.data.swap(col * x.cols + c, pivot_row * x.cols + c);
            }
        }
        for r in col + 1..n {
            let f = a[(r, col)] / a[(col, col)];
            if f == 0.0 {
                continue;
            }
            for c in col..n {
                a[(r, c)] -= f * a[(col, c)];
            }
            for c in 0..x.cols {
                x[(r, c)] -= f * x[(col, c)];
            }
        }
    }
    for col in (0..n).rev() {
        for c in 0..x.cols {
            let mut v = x[(col, c)];
            for k in col + 1..n {
                v -= a[(col, k)] * x[(k, c)];
            }
            x[(col, c)] = v / a[(col, col)];
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: &[&[f64]]) -> Matrix {
        let mut out = Matrix::zeros(rows.len(), rows[0].len());
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                out[(r, c)] = *v;
            }
        }
        out
    }

    #[test]
    fn solve_handcheck_inverse_is_50_20_over_21() {
        let a = m(&[&[0.5, -0.2], &[-0.2, 0.5]]);
        let inv = solve(&a, &Matrix::identity(2)).expect("regular");
        for (got, want) in inv.data.iter().zip([50.0, 20.0, 20.0, 50.0]) {
            assert!((got - want / 21.0).abs() < 1e-14);
        }
    }

    #[test]
    fn solve_needs_pivoting_for_zero_leading_entry() {
        let a = m(&[&[0.0, 1.0], &[2.0, 0.0]]);
        let x = solve(&a, &m(&[&[3.0], &[4.0]])).expect("regular");
        assert_eq!(x.to_rows(), vec![vec![2.0], vec![3.0]]);
    }

    #[test]
    fn solve_singular_names_the_column() {
        let a = m(&[&[1.0, 2.0], &[2.0, 4.0]]);
        assert_eq!(solve(&a, &Matrix::identity(2)), Err(Singular { column: 1 }));
        assert_eq!(
            solve(&Matrix::zeros(2, 2), &Matrix::identity(2)),
            Err(Singular { column: 0 })
        );
    }

    #[test]
    fn mul_vec_works() {
        let a = m(&[&[1.0, 2.0], &[3.0, 4.0]]);
        assert_eq!(a.mul_vec(&[1.0, 1.0]), vec![3.0, 7.0]);
    }
}
