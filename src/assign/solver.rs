//! A generalized-assignment solver: greedy regret construction, then local search with
//! shift, swap and ejection-chain moves, with a Lagrangian upper bound to certify it.
//!
//! The solver sees an [`Instance`]: items (leads, jobs), bins (reps, agents) with
//! capacities, each item's candidate bins, and a profit and weight per item × bin, computed
//! on demand so no item × bin table has to exist. Items may stay out at profit 0 unless the
//! instance says every item must be placed (the classic GAP).
//!
//! Parallel but deterministic: each pass evaluates every item's best move in parallel
//! against a frozen solution, then applies the moves one by one in a fixed order (largest
//! gain first, then item index), re-checking each against the updated solution. Restarts
//! run as independent seeded chains in parallel — perturbation + local search, or, when
//! every item must be placed, a tabu search that crosses infeasible ground under an
//! adaptive overload penalty, half the chains starting from the Lagrangian plan. The best
//! chain wins, ties to the lowest chain index. Without a time limit the result depends on
//! the seed only.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Slack allowed when comparing loads with capacities.
pub const CAP_EPS: f64 = 1e-9;
/// Smallest gain worth a move.
const GAIN_EPS: f64 = 1e-9;
/// Bins per item tried for swaps and ejection chains (its most profitable ones).
const DEEP_BINS: usize = 4;
/// Members of a bin tried per item for swaps and ejection chains.
const DEEP_MEMBERS: usize = 24;
/// Most local-search passes.
const MAX_PASSES: usize = 50;

/// A generalized assignment problem, maximising total profit.
pub trait Instance: Sync {
    fn n_items(&self) -> usize;
    fn n_bins(&self) -> usize;
    fn capacity(&self, bin: usize) -> f64;
    /// The bins item `i` may go to, in increasing order.
    fn candidates(&self, i: usize) -> &[u32];
    fn profit(&self, i: usize, bin: usize) -> f64;
    fn weight(&self, i: usize, bin: usize) -> f64;
    /// Every item must be placed (an unplaced item makes the solution infeasible).
    fn must_assign(&self) -> bool {
        false
    }
    /// Fewest items the bin should hold (a fairness floor); met as far as the items allow
    /// by [`fill_floors`], and never undone by the local search.
    fn floor(&self, _bin: usize) -> u32 {
        0
    }
    /// Item `i`'s candidate bins in decreasing order of profit, except for the (up to two)
    /// bins in the second part — `u32::MAX` for none — whose profit may be anywhere; `None`
    /// when the instance cannot say without computing every profit. Scans in this order
    /// stop as soon as no later bin can matter, so a batch of a million leads and a
    /// thousand reps never computes its billion profits.
    fn ordered(&self, _i: usize) -> Option<(&[u32], [u32; 2])> {
        None
    }
    /// With [`Instance::ordered`]: how many distinct orders there are, and which one item `i`
    /// follows (items of one order share its list).
    fn order_lists(&self) -> &[Vec<u32>] {
        &[]
    }
    fn order_of(&self, _i: usize) -> usize {
        0
    }
    /// With [`Instance::ordered`]: an upper bound on item `i`'s profit at position `k` of its
    /// order and every position after it (extras aside), when the order is not one of
    /// falling profits for every item (then scans stop on the bound); `None`: the profit at
    /// `k` is that bound.
    #[inline]
    fn order_bound(&self, _i: usize, _k: usize) -> Option<f64> {
        None
    }
    /// Whether an item weighs the same in every bin (so one weight per item tells all).
    fn weight_per_item(&self) -> bool {
        false
    }
}

/// Item `i`'s best (bin, profit) over its candidates and a value to beat, visiting bins in
/// [`Instance::ordered`] order when known: `visit(bin, profit)` sees the extra bins first,
/// then the ordered ones until `stop(position, bound)` says none of the rest can matter —
/// `bound` being the profit there, or the instance's [`Instance::order_bound`] over the rest.
#[inline]
pub(crate) fn scan_ordered<I: Instance + ?Sized>(
    inst: &I,
    i: usize,
    mut visit: impl FnMut(u32, f64),
    stop: impl Fn(usize, f64) -> bool,
) -> bool {
    let Some((order, extras)) = inst.ordered(i) else { return false };
    let cands = inst.candidates(i);
    for e in extras {
        if e != u32::MAX && cands.binary_search(&e).is_ok() {
            visit(e, inst.profit(i, e as usize));
        }
    }
    for (k, &b) in order.iter().enumerate() {
        if let Some(bound) = inst.order_bound(i, k) {
            if stop(k, bound) {
                break;
            }
            if extras.contains(&b) {
                continue;
            }
            visit(b, inst.profit(i, b as usize));
            continue;
        }
        if extras.contains(&b) {
            continue;
        }
        let p = inst.profit(i, b as usize);
        if stop(k, p) {
            break;
        }
        visit(b, p);
    }
    true
}

/// A (possibly partial) assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub bin: Vec<Option<u32>>,
    pub load: Vec<f64>,
    /// Items in each bin.
    pub count: Vec<u32>,
}

/// Penalty per unplaced item when every item must be placed.
fn unplaced_penalty<I: Instance + ?Sized>(inst: &I) -> f64 {
    if inst.must_assign() { 1e12 } else { 0.0 }
}

impl Solution {
    pub fn empty<I: Instance + ?Sized>(inst: &I) -> Solution {
        Solution { bin: vec![None; inst.n_items()], load: vec![0.0; inst.n_bins()], count: vec![0; inst.n_bins()] }
    }

    /// Total profit of placed items.
    pub fn value<I: Instance + ?Sized>(&self, inst: &I) -> f64 {
        self.bin.iter().enumerate().filter_map(|(i, b)| b.map(|b| inst.profit(i, b as usize))).sum()
    }

    pub fn unplaced(&self) -> usize {
        self.bin.iter().filter(|b| b.is_none()).count()
    }

    /// Profit of item `i` where it is now (0, or a large penalty, when unplaced).
    fn current<I: Instance + ?Sized>(&self, inst: &I, i: usize) -> f64 {
        match self.bin[i] {
            Some(b) => inst.profit(i, b as usize),
            None => -unplaced_penalty(inst),
        }
    }

    pub fn room<I: Instance + ?Sized>(&self, inst: &I, b: usize) -> f64 {
        inst.capacity(b) - self.load[b]
    }

    /// Moves item `i` to `to` (or out), keeping loads and counts in step.
    pub fn place<I: Instance + ?Sized>(&mut self, inst: &I, i: usize, to: Option<u32>) {
        if let Some(b) = self.bin[i] {
            self.load[b as usize] -= inst.weight(i, b as usize);
            self.count[b as usize] -= 1;
        }
        if let Some(b) = to {
            self.load[b as usize] += inst.weight(i, b as usize);
            self.count[b as usize] += 1;
        }
        self.bin[i] = to;
    }

    /// Items short of each bin's floor, in total.
    pub fn floor_shortfall<I: Instance + ?Sized>(&self, inst: &I) -> u64 {
        (0..inst.n_bins()).map(|b| u64::from(inst.floor(b).saturating_sub(self.count[b]))).sum()
    }
}

/// Re-verifies a solution from scratch: every item placed at most once (by construction),
/// only in its candidate bins, loads within capacity (and every item placed when required).
/// Returns the recomputed value.
pub fn verify<I: Instance + ?Sized>(inst: &I, sol: &Solution) -> Result<f64, String> {
    if sol.bin.len() != inst.n_items() {
        return Err(format!("{} decisions for {} items", sol.bin.len(), inst.n_items()));
    }
    let mut load = vec![0.0; inst.n_bins()];
    let mut value = 0.0;
    for (i, b) in sol.bin.iter().enumerate() {
        match b {
            Some(b) => {
                let b = *b as usize;
                if !inst.candidates(i).contains(&(b as u32)) {
                    return Err(format!("item {i} is in bin {b}, which is not one of its candidates"));
                }
                load[b] += inst.weight(i, b);
                value += inst.profit(i, b);
            }
            None if inst.must_assign() => return Err(format!("item {i} is not placed")),
            None => {}
        }
    }
    for (b, l) in load.iter().enumerate() {
        if *l > inst.capacity(b) + 1e-6 * inst.capacity(b).abs().max(1.0) {
            return Err(format!("bin {b} holds {l}, over its capacity {}", inst.capacity(b)));
        }
    }
    Ok(value)
}

/// A float key with an index, ordered by the float, then by *lower* index first (so ties
/// resolve the same way on every run).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Key(pub f64, pub usize);

impl Eq for Key {}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best and second-best of `desire(i, bin)` over the bins with room, and the best bin.
fn best_two_by<I: Instance + ?Sized>(
    inst: &I,
    sol: &Solution,
    i: usize,
    desire: impl Fn(usize, usize) -> f64,
) -> (Option<u32>, f64, f64) {
    let (mut best, mut p1, mut p2) = (None, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &b in inst.candidates(i) {
        let bu = b as usize;
        if inst.weight(i, bu) > sol.room(inst, bu) + CAP_EPS {
            continue;
        }
        let p = desire(i, bu);
        if p > p1 || (p == p1 && best.is_some_and(|x| b < x)) {
            p2 = p1;
            p1 = p;
            best = Some(b);
        } else if p > p2 {
            p2 = p;
        }
    }
    (best, p1, p2)
}

/// Regret of an item: how much is lost if it cannot have its best bin.
fn regret<I: Instance + ?Sized>(inst: &I, p1: f64, p2: f64) -> f64 {
    let fallback = if inst.must_assign() { f64::NEG_INFINITY } else { 0.0 };
    let second = p2.max(fallback);
    if second == f64::NEG_INFINITY { 1e15 } else { p1 - second }
}

/// Greedy regret construction: items whose best bin matters most are placed first. When
/// every item must be placed, a second construction that desires the bins an item uses the
/// smallest share of (Martello and Toth's feasibility rule) is tried too, and the one that
/// places more items (then earns more) is kept.
pub fn greedy<I: Instance + ?Sized>(inst: &I) -> Solution {
    let by_profit = greedy_by(inst, |i, b| inst.profit(i, b));
    if !inst.must_assign() || by_profit.unplaced() == 0 {
        return by_profit;
    }
    let by_room = greedy_by(inst, |i, b| -inst.weight(i, b) / inst.capacity(b).max(1e-12));
    let key = |s: &Solution| (std::cmp::Reverse(s.unplaced()), s.value(inst));
    if key(&by_room).0 > key(&by_profit).0
        || (key(&by_room).0 == key(&by_profit).0 && key(&by_room).1 > key(&by_profit).1)
    {
        by_room
    } else {
        by_profit
    }
}

fn greedy_by<I: Instance + ?Sized>(inst: &I, desire: impl Fn(usize, usize) -> f64 + Copy) -> Solution {
    let mut sol = Solution::empty(inst);
    let mut heap: BinaryHeap<Key> = (0..inst.n_items())
        .filter_map(|i| {
            let (best, p1, p2) = best_two_by(inst, &sol, i, desire);
            best.map(|_| Key(regret(inst, p1, p2), i))
        })
        .collect();
    while let Some(Key(r, i)) = heap.pop() {
        if sol.bin[i].is_some() {
            continue;
        }
        let (best, p1, p2) = best_two_by(inst, &sol, i, desire);
        let Some(b) = best else { continue };
        if !inst.must_assign() && inst.profit(i, b as usize) <= 0.0 {
            continue;
        }
        let now = regret(inst, p1, p2);
        if now < r - 1e-12 * r.abs().max(1.0) {
            heap.push(Key(now, i));
            continue;
        }
        sol.place(inst, i, Some(b));
    }
    sol
}

/// A move: place `item` in `to`, and optionally move `other` to `other_to` (a swap or an
/// ejection).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Move {
    gain: f64,
    item: usize,
    to: Option<u32>,
    other: Option<(usize, Option<u32>)>,
}

/// Items in each bin, kept in step with a solution.
struct Members {
    of: Vec<Vec<u32>>,
}

impl Members {
    fn new(sol: &Solution, n_bins: usize) -> Members {
        let mut of = vec![Vec::new(); n_bins];
        for (i, b) in sol.bin.iter().enumerate() {
            if let Some(b) = b {
                of[*b as usize].push(i as u32);
            }
        }
        Members { of }
    }

    fn moved(&mut self, i: usize, from: Option<u32>, to: Option<u32>) {
        if let Some(f) = from {
            let v = &mut self.of[f as usize];
            if let Some(k) = v.iter().position(|&x| x as usize == i) {
                v.swap_remove(k);
            }
        }
        if let Some(t) = to {
            self.of[t as usize].push(i as u32);
        }
    }
}

/// Gain of a move against `sol`, or `None` if it no longer fits.
fn evaluate<I: Instance + ?Sized>(inst: &I, sol: &Solution, m: &Move) -> Option<f64> {
    let i = m.item;
    let from = sol.bin[i];
    if from == m.to {
        return None;
    }
    let mut load_delta: Vec<(usize, f64)> = Vec::with_capacity(4);
    let mut gain = -sol.current(inst, i);
    if let Some(f) = from {
        load_delta.push((f as usize, -inst.weight(i, f as usize)));
    }
    match m.to {
        Some(t) => {
            load_delta.push((t as usize, inst.weight(i, t as usize)));
            gain += inst.profit(i, t as usize);
        }
        None => gain -= unplaced_penalty(inst),
    }
    if let Some((j, j_to)) = m.other {
        let j_from = sol.bin[j];
        if j_from != m.to || j == i {
            return None;
        }
        gain -= sol.current(inst, j);
        if let Some(f) = j_from {
            load_delta.push((f as usize, -inst.weight(j, f as usize)));
        }
        match j_to {
            Some(t) => {
                load_delta.push((t as usize, inst.weight(j, t as usize)));
                gain += inst.profit(j, t as usize);
            }
            None => gain -= unplaced_penalty(inst),
        }
    }
    for &(b, _) in &load_delta {
        let delta: f64 = load_delta.iter().filter(|(x, _)| *x == b).map(|(_, d)| d).sum();
        if delta > 0.0 && sol.load[b] + delta > inst.capacity(b) + CAP_EPS {
            return None;
        }
    }
    // A bin may not drop below its floor (nor further below it).
    for &(b, _) in &load_delta {
        let moved: i64 = load_delta.iter().filter(|(x, _)| *x == b).map(|(_, d)| if *d < 0.0 { -1 } else { 1 }).sum();
        if moved < 0 && i64::from(sol.count[b]) + moved < i64::from(inst.floor(b)) {
            return None;
        }
    }
    Some(gain)
}

/// The best improving move for item `i`: shift, swap with an item of another bin, or an
/// ejection chain (i takes j's place, j shifts to a bin with room or out).
fn best_move<I: Instance + ?Sized>(inst: &I, sol: &Solution, members: &Members, i: usize, deep: bool) -> Option<Move> {
    let mut best: Option<Move> = None;
    let mut consider = |m: Move| {
        if let Some(g) = evaluate(inst, sol, &m)
            && g > GAIN_EPS
            && best.is_none_or(|b| g > b.gain + GAIN_EPS)
        {
            best = Some(Move { gain: g, ..m });
        }
    };
    let from = sol.bin[i];
    if from.is_some() && !inst.must_assign() {
        consider(Move { gain: 0.0, item: i, to: None, other: None });
    }
    for &b in inst.candidates(i) {
        if Some(b) != from {
            consider(Move { gain: 0.0, item: i, to: Some(b), other: None });
        }
    }
    if !deep {
        return best;
    }
    // Swaps and ejections only into the bins where the item earns most: their cost grows
    // with bin size, and the gain is where the item's profit is.
    let mut top: Vec<u32> = inst.candidates(i).iter().copied().filter(|&b| Some(b) != from).collect();
    top.sort_by(|&a, &b| inst.profit(i, b as usize).total_cmp(&inst.profit(i, a as usize)).then(a.cmp(&b)));
    top.truncate(DEEP_BINS);
    for b in top {
        // In a large bin, a window of its members (placed differently for each item) keeps
        // a pass linear in the number of items.
        let all = &members.of[b as usize];
        let take = all.len().min(DEEP_MEMBERS);
        let offset = if all.is_empty() { 0 } else { i.wrapping_mul(7919) % all.len() };
        for k in 0..take {
            let j = all[(offset + k) % all.len()] as usize;
            // Swap: j goes where i was.
            if from.is_none_or(|f| inst.candidates(j).binary_search(&f).is_ok())
                && (from.is_some() || !inst.must_assign())
            {
                consider(Move { gain: 0.0, item: i, to: Some(b), other: Some((j, from)) });
            }
            // Ejection: j goes to the bin with the most profit that has room for it.
            let mut target: Option<(f64, u32)> = None;
            for &c in inst.candidates(j) {
                if c == b || Some(c) == from {
                    continue;
                }
                let cu = c as usize;
                if inst.weight(j, cu) <= sol.room(inst, cu) + CAP_EPS {
                    let p = inst.profit(j, cu);
                    if target.is_none_or(|(tp, _)| p > tp) {
                        target = Some((p, c));
                    }
                }
            }
            if let Some((_, c)) = target {
                consider(Move { gain: 0.0, item: i, to: Some(b), other: Some((j, Some(c))) });
            }
            if !inst.must_assign() {
                consider(Move { gain: 0.0, item: i, to: Some(b), other: Some((j, None)) });
            }
        }
    }
    best
}

fn apply<I: Instance + ?Sized>(inst: &I, sol: &mut Solution, members: &mut Members, m: &Move) {
    if let Some((j, j_to)) = m.other {
        let j_from = sol.bin[j];
        sol.place(inst, j, None);
        members.moved(j, j_from, None);
        let from = sol.bin[m.item];
        sol.place(inst, m.item, m.to);
        members.moved(m.item, from, m.to);
        sol.place(inst, j, j_to);
        members.moved(j, None, j_to);
    } else {
        let from = sol.bin[m.item];
        sol.place(inst, m.item, m.to);
        members.moved(m.item, from, m.to);
    }
}

/// Brings bins below their floor up to it where the items allow: for each such bin in
/// order, the items it may take are ranked by what moving them costs (unplaced items first,
/// as they gain), and taken while the bin has room and their own bin stays at or above its
/// floor. Returns the items still short of the floors.
pub fn fill_floors<I: Instance + ?Sized>(inst: &I, sol: &mut Solution) -> u64 {
    let m = inst.n_bins();
    if (0..m).all(|b| inst.floor(b) == 0) {
        return 0;
    }
    let mut eligible: Vec<Vec<u32>> = vec![Vec::new(); m];
    for i in 0..inst.n_items() {
        for &b in inst.candidates(i) {
            if inst.floor(b as usize) > 0 {
                eligible[b as usize].push(i as u32);
            }
        }
    }
    for (b, can_take) in eligible.iter().enumerate() {
        if sol.count[b] >= inst.floor(b) {
            continue;
        }
        let mut ranked: Vec<(f64, u32)> = can_take
            .iter()
            .filter(|&&i| sol.bin[i as usize] != Some(b as u32))
            .map(|&i| (sol.current(inst, i as usize) - inst.profit(i as usize, b), i))
            .collect();
        ranked.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (_, i) in ranked {
            if sol.count[b] >= inst.floor(b) {
                break;
            }
            let i = i as usize;
            let from_ok = sol.bin[i].is_none_or(|c| sol.count[c as usize] > inst.floor(c as usize));
            if from_ok && inst.weight(i, b) <= sol.room(inst, b) + CAP_EPS {
                sol.place(inst, i, Some(b as u32));
            }
        }
    }
    sol.floor_shortfall(inst)
}

/// An `f64` ordered by `total_cmp`, for heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrdF64(f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Coverage first: places items left out while a chain of moves can make room for them,
/// each time by the chain that loses least profit (a shortest augmenting path over the bins:
/// the item enters a full bin, one of that bin's items moves on to another, …, until a bin
/// with room). With equal weights this places as many items as any plan can (a maximum
/// b-matching); with unequal weights only single moves whose weights fit are tried. Gives
/// up (returning what it placed) when a search would cost more than `max_work` steps.
/// An item for which `pinned(item, its bin)` holds is never moved.
/// Returns the number of items placed.
///
/// `potential` (per bin and unit of weight; empty for none) guides each search toward bins
/// with room (A*): a bin's price in the plan being repaired is about what freeing a slot in
/// it costs, so bins whose price says no cheap chain passes them are left unexplored. A
/// search that finds no bin with room has explored every bin a chain could reach, so the
/// items placed are as many as without it; the chains may cost a little more.
pub fn cover<I: Instance + ?Sized>(
    inst: &I,
    sol: &mut Solution,
    pinned: &dyn Fn(usize, usize) -> bool,
    max_work: usize,
    potential: &[f64],
) -> usize {
    let (n, m) = (inst.n_items(), inst.n_bins());
    let unit = super::auction::uniform_weight(inst);
    let uniform = unit.is_some();
    let mut placed = 0;
    let mut work = 0usize;
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); m];
    for (i, b) in sol.bin.iter().enumerate() {
        if let Some(b) = b {
            members[*b as usize].push(i as u32);
        }
    }
    let fits = |sol: &Solution, i: usize, b: usize| inst.weight(i, b) <= sol.room(inst, b) + CAP_EPS;
    // Where a chain for item u can end: a bin with room for one more item of the common
    // weight, or (unequal weights, where chains are one bin long) for u itself.
    let ends_for = |sol: &Solution, u: usize, b: usize| match unit {
        Some(w) => w <= sol.room(inst, b) + CAP_EPS,
        None => fits(sol, u, b),
    };
    // The heuristic's part of a bin's key: its potential per item of the common weight.
    let h = |b: usize| potential.get(b).map_or(0.0, |p| if p.is_finite() { p * unit.unwrap_or(1.0) } else { 0.0 });
    // Bins from which no chain reaches a bin with room, as failed searches found them: an
    // item whose candidates all lie there cannot be placed either, and is not searched for.
    // They stay so: a placement moves items only along its chain, whose bins reach room and
    // so are reachable from no such bin, and rooms only shrink. Equal weights only, where
    // whether a chain can end does not depend on the item.
    let mut dead = vec![false; m];
    for u in 0..n {
        if sol.bin[u].is_some() || inst.candidates(u).is_empty() {
            continue;
        }
        if uniform && inst.candidates(u).iter().all(|&b| dead[b as usize]) {
            continue;
        }
        let ends = |sol: &Solution, b: usize| ends_for(sol, u, b);
        // Shortest paths over bins (Dijkstra, each bin settled once: the costs of an
        // ε-optimal plan can be slightly negative, which this tolerates, and it ends):
        // dist[b] = profit lost to get u in with b holding one more item; pred[b] = (the
        // item that moved into b, the bin it left).
        let mut dist = vec![f64::INFINITY; m];
        let mut pred: Vec<Option<(u32, u32)>> = vec![None; m];
        let mut settled = vec![false; m];
        let mut heap = std::collections::BinaryHeap::new();
        let key = |d: f64, b: usize| (std::cmp::Reverse(OrdF64(d)), std::cmp::Reverse(b));
        for &b in inst.candidates(u) {
            let d = -inst.profit(u, b as usize);
            if d < dist[b as usize] {
                dist[b as usize] = d;
                heap.push(key(d + h(b as usize), b as usize));
            }
        }
        let mut first_end = None;
        while let Some((_, std::cmp::Reverse(a))) = heap.pop() {
            if settled[a] {
                continue;
            }
            settled[a] = true;
            // A bin with room ends chains; only a full bin passes an item on, and only
            // along chains of equal weights. The first bin with room settled ends the search:
            // bins are settled cheapest first, so no chain ends cheaper (a search that ran on
            // explored every bin a chain could reach — on a large batch every lead placed).
            if uniform && ends(sol, a) {
                first_end = Some(a);
                break;
            }
            if !uniform {
                continue;
            }
            for &j in &members[a] {
                let j = j as usize;
                if pinned(j, a) {
                    continue;
                }
                let here = inst.profit(j, a);
                for &b in inst.candidates(j) {
                    let b = b as usize;
                    work += 1;
                    let d = dist[a] + here - inst.profit(j, b);
                    if b != a && !settled[b] && d < dist[b] {
                        dist[b] = d;
                        pred[b] = Some((j as u32, a as u32));
                        heap.push(key(d + h(b), b));
                    }
                }
            }
            if work > max_work {
                return placed;
            }
        }
        // The cheapest bin that can take one more item ends the chain.
        let end = first_end.or_else(|| {
            (0..m)
                .filter(|&b| dist[b].is_finite() && ends(sol, b))
                .min_by(|&a, &b| dist[a].total_cmp(&dist[b]).then(a.cmp(&b)))
        });
        let end = match end {
            Some(e) => e,
            None if uniform => {
                for (b, s) in settled.iter().enumerate() {
                    dead[b] |= *s;
                }
                continue;
            }
            None => {
                // Unequal weights: one item of a candidate bin moves to a bin where it fits,
                // if that leaves room for u.
                let mut best: Option<(f64, usize, usize, usize)> = None;
                for &a in inst.candidates(u) {
                    let a = a as usize;
                    for &j in members[a].iter().filter(|&&j| !pinned(j as usize, a)) {
                        let j = j as usize;
                        let room_after = sol.room(inst, a) + inst.weight(j, a);
                        if inst.weight(u, a) > room_after + CAP_EPS {
                            continue;
                        }
                        for &b in inst.candidates(j) {
                            let b = b as usize;
                            if b != a && fits(sol, j, b) {
                                let loss = inst.profit(j, a) - inst.profit(j, b) - inst.profit(u, a);
                                if best.is_none_or(|x| loss < x.0) {
                                    best = Some((loss, a, j, b));
                                }
                            }
                        }
                    }
                }
                if let Some((_, a, j, b)) = best {
                    shift(inst, sol, &mut members, j, b);
                    shift(inst, sol, &mut members, u, a);
                    placed += 1;
                }
                continue;
            }
        };
        // Walk the chain back from its end (predecessors are settled bins, so it is a path),
        // moving each item on, then place u where the chain starts.
        let mut at = end;
        while let Some((j, from)) = pred[at] {
            shift(inst, sol, &mut members, j as usize, at);
            at = from as usize;
        }
        shift(inst, sol, &mut members, u, at);
        placed += 1;
    }
    placed
}

/// Moves (or places) item `i` into bin `to`, keeping the bins' member lists in step.
fn shift<I: Instance + ?Sized>(inst: &I, sol: &mut Solution, members: &mut [Vec<u32>], i: usize, to: usize) {
    if let Some(from) = sol.bin[i] {
        members[from as usize].retain(|&x| x as usize != i);
    }
    sol.place(inst, i, Some(to as u32));
    members[to].push(i as u32);
}

/// Local search to a local optimum: passes of parallel move evaluation and sequential,
/// re-checked application. `deep` adds swaps and ejection chains to shifts.
pub fn local_search<I: Instance + ?Sized>(inst: &I, sol: &mut Solution, deep: bool, deadline: Option<Instant>) {
    let mut members = Members::new(sol, inst.n_bins());
    // Passes stop when a whole pass gains less than a millionth of the objective.
    let scale = sol.value(inst).abs().max(1e-9);
    for _pass in 0..MAX_PASSES {
        let before = sol.value(inst);
        let frozen = &*sol;
        let mut moves: Vec<Move> = (0..inst.n_items())
            .into_par_iter()
            .with_min_len(64)
            .filter_map(|i| best_move(inst, frozen, &members, i, deep))
            .collect();
        if moves.is_empty() {
            break;
        }
        moves.sort_by(|a, b| b.gain.total_cmp(&a.gain).then(a.item.cmp(&b.item)));
        let mut applied = 0;
        for m in &moves {
            if let Some(g) = evaluate(inst, sol, m)
                && g > GAIN_EPS
            {
                apply(inst, sol, &mut members, m);
                applied += 1;
            }
        }
        if applied == 0 || deadline.is_some_and(|d| Instant::now() > d) || sol.value(inst) - before < 1e-6 * scale {
            break;
        }
    }
}

/// Settings of [`solve`].
#[derive(Debug, Clone)]
pub struct SolveSettings {
    pub seed: u64,
    /// Independent perturbation chains, run in parallel.
    pub chains: usize,
    /// Rounds per chain: perturbations, or a thousand tabu-search iterations each.
    pub rounds: usize,
    /// Wall-clock limit; when hit, chains stop early (and the result may depend on timing).
    pub time_limit: Option<f64>,
    /// Use swaps and ejection chains (quadratic in bin size) besides shifts.
    pub deep: bool,
}

impl Default for SolveSettings {
    fn default() -> Self {
        SolveSettings { seed: 1, chains: 4, rounds: 200, time_limit: None, deep: true }
    }
}

/// Greedy, local search, then perturbation chains; the best solution found.
pub fn solve<I: Instance + ?Sized>(inst: &I, s: &SolveSettings) -> Solution {
    let deadline = s.time_limit.map(|t| Instant::now() + std::time::Duration::from_secs_f64(t));
    let mut start = greedy(inst);
    fill_floors(inst, &mut start);
    // Cheap shifts first; swaps and ejections (quadratic in bin size) only then.
    local_search(inst, &mut start, false, deadline);
    if s.deep {
        local_search(inst, &mut start, true, deadline);
    }
    if s.rounds == 0 || s.chains == 0 || inst.n_items() == 0 {
        return start;
    }
    // Floors come before profit: a chain that leaves a bin shorter loses.
    let score = |sol: &Solution| {
        sol.value(inst) - unplaced_penalty(inst) * sol.unplaced() as f64 - 1e12 * sol.floor_shortfall(inst) as f64
    };
    let dual_start = inst.must_assign().then(|| {
        let (_, lambda) = lagrangian_bound(inst, start.value(inst), 300, None);
        let mut sol = Solution::empty(inst);
        for i in 0..inst.n_items() {
            let pick = inst.candidates(i).iter().copied().max_by(|&a, &b| {
                let ra = inst.profit(i, a as usize) - lambda[a as usize] * inst.weight(i, a as usize);
                let rb = inst.profit(i, b as usize) - lambda[b as usize] * inst.weight(i, b as usize);
                ra.total_cmp(&rb).then(b.cmp(&a))
            });
            sol.place(inst, i, pick);
        }
        sol
    });
    let results: Vec<(f64, Solution)> = (0..s.chains)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(s.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ c as u64);
            if inst.must_assign() && start.unplaced() == 0 {
                // Tabu search; even chains start from the Lagrangian plan (every item in its
                // best bin at the multipliers' prices): infeasible, but close to the
                // relaxation's optimum, near which tight instances have their best plans.
                let from = if c % 2 == 0 { dual_start.as_ref().unwrap_or(&start) } else { &start };
                let best = tabu(inst, from, &start, &mut rng, s.rounds * 1000, deadline);
                return (score(&best), best);
            }
            let mut best = start.clone();
            let mut best_score = score(&best);
            let mut cur = start.clone();
            for _ in 0..s.rounds {
                if deadline.is_some_and(|d| Instant::now() > d) {
                    break;
                }
                perturb(inst, &mut cur, &mut rng);
                fill_floors(inst, &mut cur);
                local_search(inst, &mut cur, s.deep, deadline);
                let sc = score(&cur);
                if sc > best_score + GAIN_EPS {
                    best_score = sc;
                    best = cur.clone();
                } else if rng.random::<f64>() < 0.9 {
                    cur = best.clone();
                }
            }
            (best_score, best)
        })
        .collect();
    let mut best = (score(&start), start);
    for r in results {
        if r.0 > best.0 + GAIN_EPS {
            best = r;
        }
    }
    best.1
}

/// Tabu search for instances where every item must be placed: every item always sits in
/// some bin, overloads cost `alpha` per unit (raised while the plan is infeasible, lowered
/// while it is feasible), each iteration makes the best shift (all of them) or swap (a
/// sample) that is not tabu — an item may not return to a bin it just left — unless it
/// gives a new best feasible plan. Returns the best feasible plan seen (at least
/// `feasible`).
fn tabu<I: Instance + ?Sized>(
    inst: &I,
    start: &Solution,
    feasible: &Solution,
    rng: &mut ChaCha8Rng,
    iterations: usize,
    deadline: Option<Instant>,
) -> Solution {
    let n = inst.n_items();
    let m = inst.n_bins();
    if n == 0 || m == 0 {
        return feasible.clone();
    }
    let mut bin: Vec<usize> = start.bin.iter().map(|b| b.map(|b| b as usize).unwrap_or(0)).collect();
    let mut load = start.load.clone();
    let over = |load: f64, b: usize| (load - inst.capacity(b)).max(0.0);
    let mut total_over: f64 = (0..m).map(|b| over(load[b], b)).sum();
    let mut value: f64 = (0..n).map(|i| inst.profit(i, bin[i])).sum();
    let span = {
        let (mut lo, mut hi, mut w) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for i in 0..n {
            for &b in inst.candidates(i) {
                let p = inst.profit(i, b as usize);
                lo = lo.min(p);
                hi = hi.max(p);
                w += inst.weight(i, b as usize);
            }
        }
        ((hi - lo) / (w / (n * m) as f64).max(1e-9)).max(1e-6)
    };
    let mut alpha = span;
    let mut tabu_until = vec![0usize; n * m];
    let mut best = feasible.clone();
    let mut best_value = feasible.value(inst);
    let feasible_eps = CAP_EPS * m as f64;
    for iter in 1..=iterations {
        if iter % 64 == 0 && deadline.is_some_and(|d| Instant::now() > d) {
            break;
        }
        // (score, item, to, other item, its bin)
        let mut pick: Option<(f64, usize, usize, usize, usize)> = None;
        let mut consider = |score: f64, new_value: f64, new_over: f64, tabu: bool, mv: (usize, usize, usize, usize)| {
            let aspire = new_over <= feasible_eps && new_value > best_value + GAIN_EPS;
            if (!tabu || aspire) && pick.is_none_or(|p| score > p.0) {
                pick = Some((score, mv.0, mv.1, mv.2, mv.3));
            }
        };
        for i in 0..n {
            let b = bin[i];
            let wi = inst.weight(i, b);
            let out = over(load[b] - wi, b) - over(load[b], b);
            let pb = inst.profit(i, b);
            for &c in inst.candidates(i) {
                let c = c as usize;
                if c == b {
                    continue;
                }
                let d_over = out + over(load[c] + inst.weight(i, c), c) - over(load[c], c);
                let d_value = inst.profit(i, c) - pb;
                let score = d_value - alpha * d_over;
                consider(
                    score,
                    value + d_value,
                    total_over + d_over,
                    tabu_until[i * m + c] > iter,
                    (i, c, usize::MAX, 0),
                );
            }
        }
        for _ in 0..n.min(400) {
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            let (bi, bj) = (bin[i], bin[j]);
            if bi == bj
                || inst.candidates(i).binary_search(&(bj as u32)).is_err()
                || inst.candidates(j).binary_search(&(bi as u32)).is_err()
            {
                continue;
            }
            let li = load[bi] - inst.weight(i, bi) + inst.weight(j, bi);
            let lj = load[bj] - inst.weight(j, bj) + inst.weight(i, bj);
            let d_over = over(li, bi) + over(lj, bj) - over(load[bi], bi) - over(load[bj], bj);
            let d_value = inst.profit(i, bj) + inst.profit(j, bi) - inst.profit(i, bi) - inst.profit(j, bj);
            let tabu = tabu_until[i * m + bj] > iter || tabu_until[j * m + bi] > iter;
            consider(d_value - alpha * d_over, value + d_value, total_over + d_over, tabu, (i, bj, j, bi));
        }
        let Some((_, i, c, j, cj)) = pick else { continue };
        let tenure = 3 + rng.random_range(0..(m / 2).max(3) + n / 50);
        let mut shift = |i: usize, c: usize, load: &mut Vec<f64>, bin: &mut Vec<usize>| {
            let b = bin[i];
            total_over -= over(load[b], b) + over(load[c], c);
            value += inst.profit(i, c) - inst.profit(i, b);
            load[b] -= inst.weight(i, b);
            load[c] += inst.weight(i, c);
            total_over += over(load[b], b) + over(load[c], c);
            bin[i] = c;
            tabu_until[i * m + b] = iter + tenure;
        };
        shift(i, c, &mut load, &mut bin);
        if j != usize::MAX {
            shift(j, cj, &mut load, &mut bin);
        }
        if total_over <= feasible_eps {
            alpha = (alpha / 1.1).max(span * 1e-3);
            if (0..m).all(|b| load[b] <= inst.capacity(b) + CAP_EPS) && value > best_value + GAIN_EPS {
                best_value = value;
                let mut sol = Solution::empty(inst);
                for (k, &b) in bin.iter().enumerate() {
                    sol.place(inst, k, Some(b as u32));
                }
                best = sol;
            }
        } else {
            alpha = (alpha * 1.1).min(span * 1e3);
        }
    }
    best
}

/// Moves a few random items to random candidate bins with room (or out, when allowed).
fn perturb<I: Instance + ?Sized>(inst: &I, sol: &mut Solution, rng: &mut ChaCha8Rng) {
    let n = inst.n_items();
    let k = (n / 20).clamp(2, 30);
    for _ in 0..k {
        let i = rng.random_range(0..n);
        let cands = inst.candidates(i);
        if cands.is_empty() {
            continue;
        }
        let b = cands[rng.random_range(0..cands.len())];
        let bu = b as usize;
        if Some(b) == sol.bin[i] {
            continue;
        }
        let w = inst.weight(i, bu);
        // Make room by moving out items of b that fit elsewhere, when needed.
        let mut guard = 0;
        while sol.room(inst, bu) + CAP_EPS < w && guard < 4 {
            guard += 1;
            let in_b: Vec<usize> = (0..n).filter(|&j| sol.bin[j] == Some(b)).collect();
            if in_b.is_empty() {
                break;
            }
            let j = in_b[rng.random_range(0..in_b.len())];
            let target = inst
                .candidates(j)
                .iter()
                .copied()
                .find(|&c| c != b && inst.weight(j, c as usize) <= sol.room(inst, c as usize) + CAP_EPS);
            match target {
                Some(c) => sol.place(inst, j, Some(c)),
                None if !inst.must_assign() => sol.place(inst, j, None),
                None => break,
            }
        }
        if sol.room(inst, bu) + CAP_EPS >= w {
            sol.place(inst, i, Some(b));
        }
    }
}

/// The Lagrangian relaxation of the capacities at multipliers `lambda` (one per bin, per
/// unit of weight): every item picks its best bin at the priced profits independently.
/// Returns the bound and the weight each bin then receives. Summed in fixed chunks, in
/// order, so the result does not depend on the thread count.
pub fn lagrangian_value<I: Instance + ?Sized>(inst: &I, lambda: &[f64]) -> (f64, Vec<f64>) {
    const CHUNK: usize = 2048;
    let m = inst.n_bins();
    let n = inst.n_items();
    let nonnegative = lambda.iter().all(|&l| l >= 0.0);
    let parts: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut v = 0.0;
            let mut used = vec![0.0; m];
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                let mut pick: Option<(f64, usize)> = if inst.must_assign() { None } else { Some((0.0, usize::MAX)) };
                let consider = |b: u32, p: f64, pick: &mut Option<(f64, usize)>| {
                    let bu = b as usize;
                    let r = p - lambda[bu] * inst.weight(i, bu);
                    if pick.is_none_or(|(pr, pb)| r > pr || (r == pr && bu < pb)) {
                        *pick = Some((r, bu));
                    }
                };
                // In profit order a bin whose whole profit is below the best net value so far
                // cannot win (multipliers are never negative), nor can any after it.
                let cell = std::cell::Cell::new(pick);
                let ordered = nonnegative
                    && scan_ordered(
                        inst,
                        i,
                        |b, p| {
                            let mut pk = cell.get();
                            consider(b, p, &mut pk);
                            cell.set(pk);
                        },
                        |_, p| cell.get().is_some_and(|(pr, _)| p < pr),
                    );
                pick = cell.get();
                if !ordered {
                    for &b in inst.candidates(i) {
                        consider(b, inst.profit(i, b as usize), &mut pick);
                    }
                }
                if let Some((r, b)) = pick {
                    v += r;
                    if b != usize::MAX {
                        used[b] += inst.weight(i, b);
                    }
                }
            }
            (v, used)
        })
        .collect();
    let mut value = 0.0;
    let mut used = vec![0.0; m];
    for (v, u) in parts {
        value += v;
        for (a, b) in used.iter_mut().zip(u) {
            *a += b;
        }
    }
    (value + (0..m).map(|b| lambda[b] * inst.capacity(b)).sum::<f64>(), used)
}

/// An upper bound on the best total profit: the Lagrangian relaxation of the capacities,
/// minimised over the bins' multipliers by subgradient steps from `start` (zero when
/// `None`). Also returns the multipliers (each bin's shadow price of one more unit of
/// capacity).
pub fn lagrangian_bound<I: Instance + ?Sized>(
    inst: &I,
    lower: f64,
    iterations: usize,
    start: Option<&[f64]>,
) -> (f64, Vec<f64>) {
    let m = inst.n_bins();
    let mut lambda = start.map(<[f64]>::to_vec).unwrap_or_else(|| vec![0.0; m]);
    let mut best = (f64::INFINITY, lambda.clone());
    let mut theta = if start.is_some() { 0.1 } else { 1.0 };
    let mut since_better = 0;
    for _ in 0..iterations.max(1) {
        let (bound, used) = lagrangian_value(inst, &lambda);
        if bound < best.0 - 1e-12 {
            best = (bound, lambda.clone());
            since_better = 0;
        } else {
            since_better += 1;
            if since_better >= 20 {
                theta /= 2.0;
                since_better = 0;
            }
        }
        let g: Vec<f64> = (0..m).map(|b| inst.capacity(b) - used[b]).collect();
        let norm: f64 =
            g.iter().enumerate().map(|(b, gb)| if lambda[b] > 0.0 || *gb < 0.0 { gb * gb } else { 0.0 }).sum();
        if norm < 1e-18 || theta < 1e-6 || (best.0 - lower) <= 1e-9 * best.0.abs().max(1.0) {
            break;
        }
        let step = theta * (bound - lower).max(1e-9 * bound.abs().max(1.0)) / norm;
        for b in 0..m {
            lambda[b] = (lambda[b] - step * g[b]).max(0.0);
        }
    }
    best
}

/// A sparse instance: each item lists its candidate bins with a profit and weight for each.
#[derive(Debug, Clone, Default)]
pub struct Sparse {
    pub capacity: Vec<f64>,
    pub cands: Vec<Vec<u32>>,
    pub profit: Vec<Vec<f64>>,
    pub weight: Vec<Vec<f64>>,
}

impl Sparse {
    fn slot(&self, i: usize, bin: usize) -> usize {
        self.cands[i].iter().position(|&b| b as usize == bin).expect("bin is a candidate of the item")
    }
}

impl Instance for Sparse {
    fn n_items(&self) -> usize {
        self.cands.len()
    }
    fn n_bins(&self) -> usize {
        self.capacity.len()
    }
    fn capacity(&self, bin: usize) -> f64 {
        self.capacity[bin]
    }
    fn candidates(&self, i: usize) -> &[u32] {
        &self.cands[i]
    }
    fn profit(&self, i: usize, bin: usize) -> f64 {
        self.profit[i][self.slot(i, bin)]
    }
    fn weight(&self, i: usize, bin: usize) -> f64 {
        self.weight[i][self.slot(i, bin)]
    }
}

/// A dense instance: every item may go to every bin (the OR-Library GAP layout).
#[derive(Debug, Clone)]
pub struct Dense {
    pub bins: usize,
    pub items: usize,
    /// `profit[b * items + i]`.
    pub profit: Vec<f64>,
    pub weight: Vec<f64>,
    pub capacity: Vec<f64>,
    pub must: bool,
    all: Vec<u32>,
}

impl Dense {
    pub fn new(bins: usize, items: usize, profit: Vec<f64>, weight: Vec<f64>, capacity: Vec<f64>, must: bool) -> Dense {
        Dense { bins, items, profit, weight, capacity, must, all: (0..bins as u32).collect() }
    }
}

impl Instance for Dense {
    fn n_items(&self) -> usize {
        self.items
    }
    fn n_bins(&self) -> usize {
        self.bins
    }
    fn capacity(&self, bin: usize) -> f64 {
        self.capacity[bin]
    }
    fn candidates(&self, _i: usize) -> &[u32] {
        &self.all
    }
    fn profit(&self, i: usize, bin: usize) -> f64 {
        self.profit[bin * self.items + i]
    }
    fn weight(&self, i: usize, bin: usize) -> f64 {
        self.weight[bin * self.items + i]
    }
    fn must_assign(&self) -> bool {
        self.must
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_dense(seed: u64, bins: usize, items: usize, must: bool) -> Dense {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let profit: Vec<f64> = (0..bins * items).map(|_| rng.random_range(10..50) as f64).collect();
        let weight: Vec<f64> = (0..bins * items).map(|_| rng.random_range(5..25) as f64).collect();
        let per_bin = weight.iter().sum::<f64>() / bins as f64 / bins as f64;
        let capacity = vec![(0.8 * per_bin).round(); bins];
        Dense::new(bins, items, profit, weight, capacity, must)
    }

    /// Exhaustive optimum of a tiny instance.
    fn brute(inst: &Dense) -> f64 {
        let n = inst.items;
        let m = inst.bins;
        let mut best = f64::NEG_INFINITY;
        let options = m + usize::from(!inst.must);
        let total = options.pow(n as u32);
        for code in 0..total {
            let mut c = code;
            let mut load = vec![0.0; m];
            let mut v = 0.0;
            for i in 0..n {
                let b = c % options;
                c /= options;
                if b < m {
                    load[b] += inst.weight(i, b);
                    v += inst.profit(i, b);
                }
            }
            if (0..m).all(|b| load[b] <= inst.capacity[b]) {
                best = best.max(v);
            }
        }
        best
    }

    #[test]
    fn solver_is_feasible_near_optimal_and_bounded() {
        for seed in 0..12 {
            let inst = random_dense(seed, 3, 8, false);
            let sol = solve(&inst, &SolveSettings { seed, ..SolveSettings::default() });
            let v = verify(&inst, &sol).unwrap();
            let opt = brute(&inst);
            let (bound, _) = lagrangian_bound(&inst, v, 300, None);
            assert!(v <= opt + 1e-9 && opt <= bound + 1e-6, "seed {seed}: {v} ≤ {opt} ≤ {bound}");
            assert!(v >= 0.97 * opt, "seed {seed}: {v} vs optimum {opt}");
        }
    }

    #[test]
    fn local_search_never_worsens_greedy_and_same_seed_same_result() {
        let inst = random_dense(99, 5, 60, false);
        let g = greedy(&inst);
        let gv = verify(&inst, &g).unwrap();
        let mut l = g.clone();
        local_search(&inst, &mut l, true, None);
        assert!(verify(&inst, &l).unwrap() >= gv - 1e-9);
        let s = SolveSettings { seed: 3, ..SolveSettings::default() };
        assert_eq!(solve(&inst, &s), solve(&inst, &s));
    }

    #[test]
    fn tabu_search_finds_the_optimum_of_small_tight_instances() {
        let mut solved = 0;
        for seed in 0..10 {
            let mut inst = random_dense(seed + 200, 3, 9, true);
            // Tight: 90 % of what the items weigh on average, so few plans fit.
            let mean_w: f64 = inst.weight.iter().sum::<f64>() / 3.0;
            inst.capacity = vec![(0.9 * mean_w / 3.0 * 1.05).round(); 3];
            let opt = brute(&inst);
            if opt == f64::NEG_INFINITY {
                continue;
            }
            let sol = solve(&inst, &SolveSettings { seed, rounds: 4, ..SolveSettings::default() });
            let v = verify(&inst, &sol).unwrap();
            assert!((v - opt).abs() < 1e-9, "seed {seed}: {v} vs optimum {opt}");
            solved += 1;
        }
        assert!(solved >= 5, "only {solved} instances had a feasible plan");
    }

    #[test]
    fn must_assign_places_every_item_when_it_can() {
        for seed in 0..6 {
            let mut inst = random_dense(seed + 50, 4, 10, true);
            inst.capacity = vec![60.0; 4];
            let sol = solve(&inst, &SolveSettings { seed, ..SolveSettings::default() });
            assert_eq!(sol.unplaced(), 0, "seed {seed}");
            verify(&inst, &sol).unwrap();
        }
    }
}
