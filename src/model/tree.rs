//! A regression tree compiled from smartcore's fitted tree into flat arrays over feature bins.
//!
//! smartcore keeps its tree structure private and predicts row by row through a generic
//! matrix. Its serde form exposes the nodes, so each fitted tree is read once into this
//! form: splits on `u8` bins, children as indices, and every node's value (the weighted mean
//! of its rows), which also gives path attributions — the change in value along a lead's
//! path, credited to the feature that split (Saabas).

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};

/// A tree: node 0 is the root; a node with `left == 0` is a leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub feature: Vec<u16>,
    /// Rows whose bin is ≤ threshold go left.
    pub threshold: Vec<u8>,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    pub value: Vec<f64>,
}

impl Tree {
    /// Fits a weighted regression tree with smartcore and compiles it. `depth` counts split
    /// levels (smartcore counts the root as one more).
    pub fn fit(x: &DenseMatrix<f64>, z: &[f64], w: &[f64], depth: u16, min_leaf: usize) -> Result<Tree> {
        let params = DecisionTreeRegressorParameters::default()
            .with_max_depth(depth + 1)
            .with_min_samples_leaf(min_leaf)
            .with_min_samples_split(2 * min_leaf);
        let z = z.to_vec();
        let fitted = DecisionTreeRegressor::fit_with_weights(x, &z, w, params)
            .map_err(|e| anyhow!("fitting a tree failed: {e}"))?;
        Tree::compile(&fitted)
    }

    fn compile(fitted: &DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>) -> Result<Tree> {
        #[derive(Deserialize)]
        struct Node {
            output: f64,
            split_feature: usize,
            split_value: Option<f64>,
            true_child: Option<usize>,
            false_child: Option<usize>,
        }
        let v = serde_json::to_value(fitted).context("reading the fitted tree")?;
        let nodes: Vec<Node> = serde_json::from_value(v["tree_regressor"]["nodes"].clone())
            .context("unexpected tree layout from smartcore")?;
        let n = nodes.len();
        let mut t = Tree {
            feature: Vec::with_capacity(n),
            threshold: Vec::with_capacity(n),
            left: Vec::with_capacity(n),
            right: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
        };
        for node in &nodes {
            let (left, right) = match (node.true_child, node.false_child, node.split_value) {
                (Some(l), Some(r), Some(_)) => (l as u32, r as u32),
                _ => (0, 0),
            };
            // Bins are whole numbers: bin ≤ 3.5 is bin ≤ 3.
            let th = node.split_value.unwrap_or(0.0).floor().clamp(0.0, 255.0) as u8;
            t.feature.push(node.split_feature as u16);
            t.threshold.push(th);
            t.left.push(left);
            t.right.push(right);
            t.value.push(node.output);
        }
        if n == 0 {
            t.feature.push(0);
            t.threshold.push(0);
            t.left.push(0);
            t.right.push(0);
            t.value.push(0.0);
        }
        Ok(t)
    }

    /// The leaf value for one row of bins.
    #[inline]
    pub fn predict(&self, row: &[u8]) -> f64 {
        let mut i = 0usize;
        loop {
            let l = self.left[i];
            if l == 0 {
                return self.value[i];
            }
            i = if row[self.feature[i] as usize] <= self.threshold[i] { l as usize } else { self.right[i] as usize };
        }
    }

    /// Adds `scale ×` each split's change in value to its feature's entry of `contrib`;
    /// returns `scale ×` the root value. Root value + contributions = leaf value (× scale).
    pub fn attribute(&self, row: &[u8], scale: f64, contrib: &mut [f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let l = self.left[i];
            if l == 0 {
                return scale * self.value[0];
            }
            let next =
                if row[self.feature[i] as usize] <= self.threshold[i] { l as usize } else { self.right[i] as usize };
            contrib[self.feature[i] as usize] += scale * (self.value[next] - self.value[i]);
            i = next;
        }
    }

    pub fn nodes(&self) -> usize {
        self.value.len()
    }

    /// The same tree with each node in one small record, for fast batch prediction.
    pub fn packed(&self) -> PackedTree {
        let nodes: Vec<PackedNode> = (0..self.nodes())
            .map(|i| {
                // A leaf points to itself, so rows can step down a fixed number of levels.
                let leaf = self.left[i] == 0;
                PackedNode {
                    left: if leaf { i as u32 } else { self.left[i] },
                    right: if leaf { i as u32 } else { self.right[i] },
                    value: self.value[i],
                    feature: if leaf { 0 } else { self.feature[i] },
                    threshold: if leaf { u8::MAX } else { self.threshold[i] },
                }
            })
            .collect();
        let mut depth = vec![0u8; nodes.len()];
        for i in 0..nodes.len() {
            if self.left[i] != 0 {
                depth[self.left[i] as usize] = depth[i] + 1;
                depth[self.right[i] as usize] = depth[i] + 1;
            }
        }
        PackedTree { nodes, depth: depth.into_iter().max().unwrap_or(0) }
    }
}

/// A node of an [`AttributionTree`]: each way down with what it adds to the split
/// feature's contribution.
#[derive(Debug, Clone, Copy)]
pub struct AttributionNode {
    next: [u32; 2],
    delta: [f64; 2],
    value: f64,
    feature: u16,
    threshold: u8,
}

/// A packed tree with each split's change in value (times a scale) precomputed, for
/// attributing many rows at once. A leaf points to itself and adds nothing.
#[derive(Debug, Clone)]
pub struct AttributionTree {
    nodes: Vec<AttributionNode>,
    depth: u8,
}

impl AttributionTree {
    /// [`PackedTree::attribute`] (at this tree's scale) for each of `rows` (row-major bins,
    /// `nf` per row), into `contrib` (`nf` entries per row), and the leaf value added to
    /// `leaf_sum` (one per row, as [`PackedTree::add_to`]): eight rows step down together
    /// without branches on the data; the same sums as one row at a time.
    pub fn attribute_many(&self, bins: &[u8], nf: usize, contrib: &mut [f64], leaf_sum: &mut [f64]) {
        walk_in_lanes(
            bins.len() / nf.max(1),
            self.depth,
            |row, at| {
                let node = &self.nodes[at as usize];
                let f = node.feature as usize;
                let right = usize::from(bins[row * nf + f] > node.threshold);
                contrib[row * nf + f] += node.delta[right];
                node.next[right]
            },
            |row, leaf| leaf_sum[row] += self.nodes[leaf as usize].value,
        );
    }
}

/// Walks rows `0..n` down a tree of `depth` levels, eight rows stepping together so the
/// steps of different rows overlap (no branch on the data): `step(row, node)` gives the
/// row's next node (a leaf points to itself), `leaf(row, node)` receives where it ends.
#[inline(always)]
fn walk_in_lanes(n: usize, depth: u8, mut step: impl FnMut(usize, u32) -> u32, mut leaf: impl FnMut(usize, u32)) {
    const LANES: usize = 8;
    let mut start = 0;
    while start < n {
        let k = LANES.min(n - start);
        let mut idx = [0u32; LANES];
        for _ in 0..depth {
            for (lane, at) in idx.iter_mut().enumerate().take(k) {
                *at = step(start + lane, *at);
            }
        }
        for (lane, &at) in idx.iter().enumerate().take(k) {
            leaf(start + lane, at);
        }
        start += k;
    }
}

/// One node of a packed tree.
#[derive(Debug, Clone, Copy)]
pub struct PackedNode {
    left: u32,
    right: u32,
    value: f64,
    feature: u16,
    threshold: u8,
}

/// A tree laid out for batch prediction: leaves point to themselves.
#[derive(Debug, Clone)]
pub struct PackedTree {
    nodes: Vec<PackedNode>,
    depth: u8,
}

impl PackedTree {
    /// Adds `scale ×` each split's change in value along `row`'s path to the splitting
    /// feature's entry of `contrib` (as [`Tree::attribute`]; the tests' reference for
    /// [`AttributionTree::attribute_many`]).
    #[cfg(test)]
    pub fn attribute(&self, row: &[u8], scale: f64, contrib: &mut [f64]) {
        let mut i = 0usize;
        for _ in 0..self.depth {
            let node = &self.nodes[i];
            let next = if row[node.feature as usize] <= node.threshold { node.left } else { node.right } as usize;
            if next == i {
                break;
            }
            contrib[node.feature as usize] += scale * (self.nodes[next].value - node.value);
            i = next;
        }
    }

    /// The tree laid out for [`AttributionTree::attribute_many`], with `scale` applied.
    pub fn for_attribution(&self, scale: f64) -> AttributionTree {
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let delta = |next: u32| {
                    if next as usize == i { 0.0 } else { scale * (self.nodes[next as usize].value - n.value) }
                };
                AttributionNode {
                    next: [n.left, n.right],
                    delta: [delta(n.left), delta(n.right)],
                    value: n.value,
                    feature: n.feature,
                    threshold: n.threshold,
                }
            })
            .collect();
        AttributionTree { nodes, depth: self.depth }
    }

    /// Adds this tree's leaf value for each of `rows` (row-major bins, `nf` per row) to `out`.
    /// Eight rows step down together, level by level, without branches on the data.
    pub fn add_to(&self, bins: &[u8], nf: usize, out: &mut [f64]) {
        walk_in_lanes(
            out.len(),
            self.depth,
            |row, at| {
                let node = &self.nodes[at as usize];
                if bins[row * nf + node.feature as usize] <= node.threshold { node.left } else { node.right }
            },
            |row, leaf| out[row] += self.nodes[leaf as usize].value,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_tree_predicts_like_smartcore_and_attributions_add_up() {
        // y depends on feature 0 (bins 1..=4) and feature 1 (0/1).
        let rows: Vec<[f64; 2]> = (0..400).map(|i| [(1 + i % 4) as f64, (i % 2) as f64]).collect();
        let y: Vec<f64> = rows.iter().map(|r| r[0] * 2.0 + r[1] * 5.0).collect();
        let x = DenseMatrix::from_2d_vec(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap();
        let w = vec![1.0; rows.len()];
        let params = DecisionTreeRegressorParameters::default().with_max_depth(4).with_min_samples_leaf(5);
        let fitted = DecisionTreeRegressor::fit_with_weights(&x, &y, &w, params).unwrap();
        let expected = fitted.predict(&x).unwrap();
        let t = Tree::compile(&fitted).unwrap();
        for (i, r) in rows.iter().enumerate() {
            let bins = [r[0] as u8, r[1] as u8];
            assert!((t.predict(&bins) - expected[i]).abs() < 1e-9);
            let mut c = [0.0; 2];
            let base = t.attribute(&bins, 1.0, &mut c);
            assert!((base + c[0] + c[1] - expected[i]).abs() < 1e-9);
        }
        // The packed form attributes the same.
        for r in &rows {
            let bins = [r[0] as u8, r[1] as u8];
            let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
            t.attribute(&bins, 1.0, &mut a);
            t.packed().attribute(&bins, 1.0, &mut b);
            assert_eq!(a, b);
        }
        // ... and so does it eight rows at a time.
        let all: Vec<u8> = rows.iter().flat_map(|r| [r[0] as u8, r[1] as u8]).collect();
        let mut many = vec![0.0; all.len()];
        let mut leaf_sum = vec![0.0; rows.len()];
        t.packed().for_attribution(1.0).attribute_many(&all, 2, &mut many, &mut leaf_sum);
        for (i, s) in leaf_sum.iter().enumerate() {
            assert!((s - expected[i]).abs() < 1e-9);
        }
        for (i, r) in rows.iter().enumerate() {
            let mut one = [0.0; 2];
            t.packed().attribute(&[r[0] as u8, r[1] as u8], 1.0, &mut one);
            assert_eq!(&many[2 * i..2 * i + 2], &one, "row {i}");
        }
        // The packed form predicts the same, eight rows at a time.
        let bins: Vec<u8> = rows.iter().flat_map(|r| [r[0] as u8, r[1] as u8]).collect();
        let mut out = vec![0.0; rows.len()];
        t.packed().add_to(&bins, 2, &mut out);
        for (i, o) in out.iter().enumerate() {
            assert!((o - expected[i]).abs() < 1e-9);
        }
        // Feature 1 (worth 5) gets the larger attribution spread.
        let mut hi = [0.0; 2];
        t.attribute(&[1, 1], 1.0, &mut hi);
        assert!(hi[1] > 0.0);
    }
}
