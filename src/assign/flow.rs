//! The exact optimum of a unit-workload batch by min-cost flow, as a yardstick for the
//! auction and for routing benchmarks.
//!
//! source → item (1 unit) → candidate bin (profit as negative cost) → sink (the bin's slots),
//! plus item → sink at cost 0 for leaving the item out. Successive shortest paths with
//! Johnson potentials (Dijkstra on reduced costs) push one unit per item. Exact, and
//! O(n × E log V): for tests and benchmarks of thousands of items, not for production
//! batches (the auction is for those).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::auction::uniform_weight;
use super::solver::{CAP_EPS, Instance, Key, Solution};

struct Edge {
    to: usize,
    cap: i64,
    cost: f64,
}

struct Graph {
    edges: Vec<Edge>,
    out: Vec<Vec<usize>>,
}

impl Graph {
    fn add(&mut self, from: usize, to: usize, cap: i64, cost: f64) -> usize {
        let e = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.out[from].push(e);
        self.edges.push(Edge { to: from, cap: 0, cost: -cost });
        self.out[to].push(e + 1);
        e
    }
}

/// The best plan of an instance whose items all weigh the same and may stay out; `None`
/// for any other instance.
pub fn exact_unit<I: Instance + ?Sized>(inst: &I) -> Option<Solution> {
    if inst.must_assign() {
        return None;
    }
    let n = inst.n_items();
    let m = inst.n_bins();
    let w = uniform_weight(inst).unwrap_or(1.0);
    let (source, sink) = (n + m, n + m + 1);
    let mut g = Graph { edges: Vec::new(), out: vec![Vec::new(); n + m + 2] };
    let mut item_edges: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
    for (i, edges) in item_edges.iter_mut().enumerate() {
        g.add(source, i, 1, 0.0);
        g.add(i, sink, 1, 0.0);
        for &b in inst.candidates(i) {
            let e = g.add(i, n + b as usize, 1, -inst.profit(i, b as usize));
            edges.push((e, b));
        }
    }
    for b in 0..m {
        let slots = ((inst.capacity(b) + CAP_EPS) / w).floor().max(0.0) as i64;
        g.add(n + b, sink, slots, 0.0);
    }
    // Potentials: shortest distances from the source in the initial (acyclic) graph.
    let mut pot = vec![0.0f64; n + m + 2];
    for edges in &item_edges {
        for &(e, b) in edges {
            let bin = n + b as usize;
            pot[bin] = pot[bin].min(g.edges[e].cost);
        }
    }
    pot[sink] = pot[n..n + m].iter().copied().fold(0.0, f64::min);
    let nodes = n + m + 2;
    for _ in 0..n {
        let mut dist = vec![f64::INFINITY; nodes];
        let mut via = vec![usize::MAX; nodes];
        dist[source] = 0.0;
        let mut heap = BinaryHeap::new();
        heap.push(Reverse(Key(0.0, source)));
        while let Some(Reverse(Key(d, u))) = heap.pop() {
            if d > dist[u] {
                continue;
            }
            for &e in &g.out[u] {
                let edge = &g.edges[e];
                if edge.cap <= 0 {
                    continue;
                }
                // Reduced costs are ≥ 0 up to rounding; clamp the rounding away.
                let nd = d + (edge.cost + pot[u] - pot[edge.to]).max(0.0);
                if nd < dist[edge.to] - 1e-12 {
                    dist[edge.to] = nd;
                    via[edge.to] = e;
                    heap.push(Reverse(Key(nd, edge.to)));
                }
            }
        }
        if !dist[sink].is_finite() {
            break;
        }
        for v in 0..nodes {
            if dist[v].is_finite() {
                pot[v] += dist[v];
            }
        }
        let mut v = sink;
        while v != source {
            let e = via[v];
            g.edges[e].cap -= 1;
            g.edges[e ^ 1].cap += 1;
            v = g.edges[e ^ 1].to;
        }
    }
    let mut sol = Solution::empty(inst);
    for (i, edges) in item_edges.iter().enumerate() {
        for &(e, b) in edges {
            if g.edges[e].cap == 0 {
                sol.place(inst, i, Some(b));
            }
        }
    }
    Some(sol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::auction::auction;
    use crate::assign::solver::{Sparse, lagrangian_value, verify};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(seed: u64, items: usize, bins: usize) -> Sparse {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut inst = Sparse { ..Sparse::default() };
        inst.capacity = (0..bins).map(|_| rng.random_range(0..(2 * items / bins).max(2)) as f64).collect();
        for _ in 0..items {
            let cands: Vec<u32> = (0..bins as u32).filter(|_| rng.random::<f64>() < 0.6).collect();
            // Near-equal profits make price wars and ties likely.
            inst.profit.push(cands.iter().map(|_| (rng.random_range(10..14) as f64) / 10.0).collect());
            inst.weight.push(vec![1.0; cands.len()]);
            inst.cands.push(cands);
        }
        inst
    }

    /// Exhaustive optimum of a tiny instance.
    fn brute(inst: &Sparse) -> f64 {
        fn go(inst: &Sparse, i: usize, room: &mut Vec<f64>) -> f64 {
            if i == inst.cands.len() {
                return 0.0;
            }
            let mut best = go(inst, i + 1, room);
            for (k, &b) in inst.cands[i].iter().enumerate() {
                if room[b as usize] >= 1.0 {
                    room[b as usize] -= 1.0;
                    best = best.max(inst.profit[i][k] + go(inst, i + 1, room));
                    room[b as usize] += 1.0;
                }
            }
            best
        }
        go(inst, 0, &mut inst.capacity.clone())
    }

    #[test]
    fn flow_matches_exhaustive_search() {
        for seed in 0..30 {
            let inst = random(seed, 7, 3);
            let sol = exact_unit(&inst).unwrap();
            let v = verify(&inst, &sol).unwrap();
            let opt = brute(&inst);
            assert!((v - opt).abs() < 1e-9, "seed {seed}: flow {v}, exhaustive {opt}");
        }
    }

    #[test]
    fn auction_is_within_its_guarantee_of_the_exact_optimum() {
        for seed in 0..10 {
            let inst = random(100 + seed, 300, 12);
            let opt = verify(&inst, &exact_unit(&inst).unwrap()).unwrap();
            let eps_rel = 1e-3;
            let a = auction(&inst, eps_rel, None).unwrap();
            let v = verify(&inst, &a.solution).unwrap();
            let (bound, _) = lagrangian_value(&inst, &a.lambda);
            // The bound is a bound, the auction is within n·ε of the optimum.
            let n_eps = 300.0 * a.eps;
            assert!(opt <= bound + 1e-6, "seed {seed}: optimum {opt} above bound {bound}");
            assert!(v >= opt - n_eps - 1e-6, "seed {seed}: auction {v}, optimum {opt}, n·ε {n_eps}");
            assert!(bound - v <= n_eps + 1e-6, "seed {seed}: certificate gap {} over n·ε {n_eps}", bound - v);
            // Warm-started: still a feasible plan and a valid bound around the optimum.
            let w = auction(&inst, eps_rel, Some(8.0)).unwrap();
            let wv = verify(&inst, &w.solution).unwrap();
            let (wb, _) = lagrangian_value(&inst, &w.lambda);
            assert!(wv <= opt + 1e-9 && opt <= wb + 1e-6, "seed {seed}: warm {wv} ≤ {opt} ≤ {wb}");
            // Nothing is left out while one of its bins has room.
            for (plan, name) in [(&w.solution, "warm"), (&a.solution, "cold")] {
                for i in 0..300 {
                    if plan.bin[i].is_none() {
                        for &b in &inst.cands[i] {
                            assert!(
                                plan.load[b as usize] + 1.0 > inst.capacity[b as usize],
                                "seed {seed} {name}: item {i} out, bin {b} has room"
                            );
                        }
                    }
                }
            }
        }
    }
}
