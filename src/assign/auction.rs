//! An auction for batches where every item weighs the same (unit workloads): the problem is
//! then a transportation problem, and Bertsekas' auction for similar objects solves it to
//! within `ε` per item of the optimum and certifies it.
//!
//! Each bin has `⌊capacity / weight⌋` slots. A free item bids for its best bin at current
//! prices, offering the bin's price plus what it prefers that bin by over its second choice
//! (leaving the batch, worth 0, is always a choice) plus `ε`. A bin with a free slot takes
//! the bid; a full one drops its lowest held bid, whose item bids again. A full bin's price
//! is its lowest held bid, a bin with a free slot costs 0, and prices only rise. At the end
//! every item is within `ε` of its best choice at the final prices (ε-complementary
//! slackness), so the plan is within `n × ε` of the best possible one, and the prices are
//! Lagrange multipliers whose bound proves it.
//!
//! Bids are made one at a time from a queue in item order (Gauss–Seidel), so the result
//! does not depend on the thread count; profits are tabulated in parallel first. Near-equal
//! items can fight a long price war over the last slots; past a budget of bids the auction
//! widens `ε` (the guarantee is then the widest `ε` used, and the bound says so exactly).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rayon::prelude::*;

use super::solver::{CAP_EPS, Instance, Key, Solution};

/// The weight every item has in every candidate bin, if there is one such weight.
pub fn uniform_weight<I: Instance + ?Sized>(inst: &I) -> Option<f64> {
    let mut w: Option<f64> = None;
    for i in 0..inst.n_items() {
        for &b in inst.candidates(i) {
            let x = inst.weight(i, b as usize);
            match w {
                None => w = Some(x),
                Some(w0) if (x - w0).abs() > 1e-12 * w0.abs().max(1.0) => return None,
                _ => {}
            }
        }
    }
    w.filter(|w| *w > 0.0)
}

/// The result of an auction.
#[derive(Debug, Clone)]
pub struct AuctionResult {
    pub solution: Solution,
    /// Final price of each bin per unit of weight (a Lagrange multiplier of its capacity).
    pub lambda: Vec<f64>,
    /// Bids made.
    pub bids: usize,
    /// The widest `ε` used: every item is within it of its best choice at `lambda`.
    pub eps: f64,
}

/// Most profit entries tabulated (8 bytes each); larger batches compute profits on demand.
const MAX_TABLE: usize = 32 << 20;

/// Each item's candidate bins sorted by profit, most profitable first, with the profits —
/// when small enough to tabulate. A bid scans them in that order and stops at the first
/// bin whose whole profit is below the second-best net value found: prices are never
/// negative, so no later bin can matter.
struct Profits {
    start: Vec<usize>,
    /// (bin, profit) pairs, side by side so a scan reads one stream.
    row: Vec<(u32, f32)>,
}

impl Profits {
    /// The table (when small enough) and each item's best profit, in item order.
    fn new<I: Instance + ?Sized>(inst: &I) -> (Profits, Vec<f64>) {
        let n = inst.n_items();
        let mut start = Vec::with_capacity(n + 1);
        start.push(0);
        for i in 0..n {
            start.push(start[i] + inst.candidates(i).len());
        }
        let best_of = |i: usize| inst.candidates(i).iter().map(|&b| inst.profit(i, b as usize)).fold(0.0, f64::max);
        if start[n] > MAX_TABLE {
            let best = (0..n).into_par_iter().with_min_len(256).map(best_of).collect();
            return (Profits { start: Vec::new(), row: Vec::new() }, best);
        }
        let rows: Vec<(Vec<(u32, f32)>, f64)> = (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map(|i| {
                let profits: Vec<(u32, f64)> =
                    inst.candidates(i).iter().map(|&b| (b, inst.profit(i, b as usize))).collect();
                let best = profits.iter().map(|p| p.1).fold(0.0, f64::max);
                let mut row: Vec<(u32, f32)> = profits.into_iter().map(|(b, p)| (b, p as f32)).collect();
                row.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                (row, best)
            })
            .collect();
        let mut row = Vec::with_capacity(start[n]);
        let mut best = Vec::with_capacity(n);
        for (r, b) in rows {
            row.extend(r);
            best.push(b);
        }
        (Profits { start, row }, best)
    }

    /// Item `i`'s candidate bins and profits, most profitable first, when tabulated.
    fn row(&self, i: usize) -> Option<&[(u32, f32)]> {
        if self.start.is_empty() { None } else { Some(&self.row[self.start[i]..self.start[i + 1]]) }
    }

    /// Reads the head of item `i`'s row so that it is in cache when the item bids: bids
    /// jump between items, and waiting on memory is most of their cost.
    fn warm(&self, i: usize) {
        if let Some(&(b, _)) = self.start.get(i).and_then(|&s| self.row.get(s)) {
            std::hint::black_box(b);
        }
    }
}

/// Over `(bin, profit)` pairs, at `price`: the best bin with its net value and the
/// second-best net value (at least 0, the value of leaving). The best value is −∞ without
/// bins; ties go to the first bin. With `sorted` (profits in decreasing order) the scan
/// stops once a profit cannot beat the second-best net value, as prices are never negative.
#[inline]
fn best_two(pairs: impl Iterator<Item = (u32, f64)>, price: &[f64], sorted: bool) -> (u32, f64, f64) {
    let (mut best, mut v1, mut v2) = (u32::MAX, f64::NEG_INFINITY, 0.0f64);
    for (b, p) in pairs {
        if sorted && p <= v2 {
            break;
        }
        let v = p - price[b as usize];
        if v > v1 {
            v2 = v2.max(v1);
            v1 = v;
            best = b;
        } else if v > v2 {
            v2 = v;
        }
    }
    (best, v1, v2)
}

/// Bids per item after which `ε` widens fourfold (and again after as many more bids).
const BID_BUDGET: usize = 100;

/// How many bids ahead an item's row is brought into cache.
const WARM_AHEAD: usize = 6;

/// The auction proper. Returns each item's bin, the bids made and the widest `ε` used.
fn bid_all<I: Instance + ?Sized>(
    inst: &I,
    table: &Profits,
    slots: &[usize],
    price: &mut [f64],
    mut eps: f64,
) -> (Vec<Option<u32>>, usize, f64) {
    let n = inst.n_items();
    // Held bids as (amount, item): the lowest on top.
    let mut held: Vec<BinaryHeap<Reverse<Key>>> = slots.iter().map(|_| BinaryHeap::new()).collect();
    let mut bin: Vec<Option<u32>> = vec![None; n];
    let mut free: VecDeque<u32> = (0..n as u32).collect();
    let budget = BID_BUDGET * n.max(1);
    let mut bids = 0;
    let mut until_wider = budget;
    while let Some(i) = free.pop_front() {
        if let Some(&ahead) = free.get(WARM_AHEAD) {
            table.warm(ahead as usize);
        }
        bids += 1;
        until_wider -= 1;
        if until_wider == 0 {
            eps *= 4.0;
            until_wider = budget;
        }
        let cands = inst.candidates(i as usize);
        let (b, v1, v2) = match table.row(i as usize) {
            Some(row) => best_two(row.iter().map(|&(b, p)| (b, f64::from(p))), price, true),
            None => best_two(cands.iter().map(|&b| (b, inst.profit(i as usize, b as usize))), price, false),
        };
        // Leaving is worth 0; an item whose best bin is worth no more stays out for good,
        // since prices only rise.
        if v1 <= 0.0 {
            continue;
        }
        let amount = price[b as usize] + (v1 - v2) + eps;
        let bu = b as usize;
        let heap = &mut held[bu];
        if heap.len() >= slots[bu] {
            let Reverse(Key(_, out)) = heap.pop().expect("a full bin holds bids");
            bin[out] = None;
            free.push_back(out as u32);
        }
        heap.push(Reverse(Key(amount, i as usize)));
        bin[i as usize] = Some(b);
        if heap.len() == slots[bu] {
            price[bu] = heap.peek().map_or(price[bu], |Reverse(low)| low.0);
        }
    }
    (bin, bids, eps)
}

/// Runs the auction with `ε = eps_rel ×` the mean best profit of an item; with `warm =
/// Some(k)`, after a coarse one at `k × ε` whose prices start it. `None` when the instance
/// is not one the auction solves: items weigh differently, or every item must be placed.
pub fn auction<I: Instance + ?Sized>(inst: &I, eps_rel: f64, warm: Option<f64>) -> Option<AuctionResult> {
    if inst.must_assign() {
        return None;
    }
    let n = inst.n_items();
    let m = inst.n_bins();
    let w = match uniform_weight(inst) {
        Some(w) => w,
        None if n == 0 || (0..n).all(|i| inst.candidates(i).is_empty()) => 1.0,
        None => return None,
    };
    let slots: Vec<usize> = (0..m).map(|b| ((inst.capacity(b) + CAP_EPS) / w).floor().max(0.0) as usize).collect();
    // Every profit is computed once, for the table; the best ones set ε, summed in item
    // order so that ε does not depend on the thread count.
    let (table, best) = Profits::new(inst);
    let best_profit: f64 = best.iter().sum();
    let eps = (eps_rel * best_profit / n.max(1) as f64).max(1e-12);
    let zero: Vec<f64> = slots.iter().map(|&k| if k == 0 { f64::INFINITY } else { 0.0 }).collect();
    let (bin, bids, eps, price) = match warm {
        Some(factor) => {
            // A coarse auction first; its prices, lowered by twice its ε, are the reserves
            // of the fine one, which then has far fewer price wars to fight. A rep left
            // with room at a positive reserve weakens the certificate, which says so.
            let mut coarse = zero.clone();
            let (_, b1, e1) = bid_all(inst, &table, &slots, &mut coarse, eps * factor);
            let mut price: Vec<f64> =
                coarse.iter().map(|&p| if p.is_finite() { (p - 2.0 * e1).max(0.0) } else { p }).collect();
            let (bin, b2, e2) = bid_all(inst, &table, &slots, &mut price, eps);
            (bin, b1 + b2, e2, price)
        }
        None => {
            let mut price = zero.clone();
            let (bin, bids, eps) = bid_all(inst, &table, &slots, &mut price, eps);
            (bin, bids, eps, price)
        }
    };
    let mut solution = Solution::empty(inst);
    for (i, b) in bin.iter().enumerate() {
        if b.is_some() {
            solution.place(inst, i, *b);
        }
    }
    // A warm start's reserve prices can turn an item away from a bin that still has room;
    // such an item takes the most profitable bin with room (every placement earns).
    for i in 0..n {
        if solution.bin[i].is_none() {
            let room = inst
                .candidates(i)
                .iter()
                .copied()
                .filter(|&b| (solution.count[b as usize] as usize) < slots[b as usize])
                .max_by(|&a, &b| inst.profit(i, a as usize).total_cmp(&inst.profit(i, b as usize)).then(b.cmp(&a)));
            if let Some(b) = room.filter(|&b| inst.profit(i, b as usize) > 0.0) {
                solution.place(inst, i, Some(b));
            }
        }
    }
    // A bin without a slot is priced above anything an item could earn in it.
    let mut top = vec![0.0f64; m];
    for i in 0..n {
        for &b in inst.candidates(i) {
            if slots[b as usize] == 0 {
                top[b as usize] = top[b as usize].max(inst.profit(i, b as usize));
            }
        }
    }
    let lambda = (0..m).map(|b| if price[b].is_finite() { price[b] / w } else { top[b] / w }).collect();
    Some(AuctionResult { solution, lambda, bids, eps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::solver::{Sparse, lagrangian_value, verify};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(seed: u64, items: usize, bins: usize, cap: f64) -> Sparse {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut inst = Sparse { capacity: vec![cap; bins], ..Sparse::default() };
        for _ in 0..items {
            let cands: Vec<u32> = (0..bins as u32).filter(|_| rng.random::<f64>() < 0.7).collect();
            inst.profit.push(cands.iter().map(|_| rng.random_range(1.0..10.0)).collect());
            inst.weight.push(vec![1.0; cands.len()]);
            inst.cands.push(cands);
        }
        inst
    }

    #[test]
    fn auction_is_feasible_and_within_n_eps_of_its_bound() {
        for seed in 0..20 {
            let inst = random(seed, 60, 5, 9.0);
            let eps_rel = 1e-4;
            let r = auction(&inst, eps_rel, None).unwrap();
            let v = verify(&inst, &r.solution).unwrap();
            let (bound, _) = lagrangian_value(&inst, &r.lambda);
            let total_best: f64 = (0..60).map(|i| inst.profit[i].iter().fold(0.0f64, |a, &b| a.max(b))).sum::<f64>();
            assert!(v <= bound + 1e-9, "seed {seed}: {v} > bound {bound}");
            assert!(bound - v <= eps_rel * total_best + 1e-9, "seed {seed}: gap {} too wide", bound - v);
        }
    }

    #[test]
    fn auction_declines_non_uniform_weights() {
        let mut inst = random(1, 10, 3, 4.0);
        inst.weight[3] = vec![2.0; inst.cands[3].len()];
        if !inst.cands[3].is_empty() {
            assert!(auction(&inst, 1e-4, None).is_none());
        }
    }
}
