//! `--policy optimize`: the batch as one assignment problem.
//!
//! p_win(lead, rep) = sigmoid(lead score log-odds + the rep's learned effect for the lead's
//! segment values). The rep effect depends only on the lead's segment values, so it is
//! tabulated per distinct combination of them ("signature") × rep, and p_win is computed
//! when the solver asks — no lead × rep table is built. The solver maximises Σ value ×
//! p_win (or Σ p_win) under capacity, eligibility and `active`; the Lagrangian bound says
//! how far from the best possible plan the result can be.

use std::collections::HashMap;

use rayon::prelude::*;

use super::auction;
use super::solver::{self, Instance, Solution, SolveSettings};
use super::{Decision, EPS, Plan, Policy, blocked_reason, rules::unassigned};
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::fmt::{Pw, amount, fmt_num};
use crate::model::metrics::sigmoid;
use crate::skill::Skill;
use crate::timing::Decay;
use std::sync::Arc;

/// What the plan maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Σ deal value × p_win.
    Value,
    /// Σ p_win.
    Wins,
}

impl Objective {
    pub fn name(self) -> &'static str {
        match self {
            Objective::Value => "value",
            Objective::Wins => "wins",
        }
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The auction's ε, relative to the mean best profit of a lead: a cold auction's plan is then
/// within 0.03 % of the best possible one; a warm one is checked against its bound (exact)
/// and backed by a cold one when that is more than 0.1 %. Smaller is slower: bids grow about
/// as ε^-0.6.
const AUCTION_EPS: f64 = 3e-4;

/// Settings of the optimizer.
#[derive(Debug, Clone)]
pub struct OptimizeSettings {
    pub objective: Objective,
    /// A lead's current owner keeps it when eligible, active and with room.
    pub keep_owners: bool,
    /// Move a lead away from its current owner only when that gains more than this, in the
    /// objective's units (expected value, or expected wins).
    pub move_penalty: Option<f64>,
    /// A plan to stay close to (per lead, its rep there): each lead gets a tie-breaking bonus,
    /// of the order of the auction's ε, for that rep, so a re-plan after a small change
    /// (a what-if) moves only the leads the change makes worth moving, not the ones that
    /// were merely tied.
    pub anchor: Option<Vec<Option<usize>>>,
    pub solve: SolveSettings,
    /// Subgradient iterations of the bound.
    pub bound_iterations: usize,
}

/// The plan and what it is worth.
#[derive(Debug, Clone)]
pub struct Optimized {
    pub plan: Plan,
    /// p_win of each lead with its chosen rep.
    pub p_win: Vec<Option<f64>>,
    /// The best other eligible active rep and its p_win.
    pub runner_up: Vec<Option<(usize, f64)>>,
    pub objective_value: f64,
    /// The objective of the plan the bound certifies: before coverage first placed more
    /// leads (its price is in `coverage`).
    pub certified_value: f64,
    /// Leads coverage first placed by moving others, and what that cost in the objective's
    /// units (expected value or wins).
    pub coverage: Option<(usize, f64)>,
    pub bound: f64,
    /// Each rep's shadow price: what one more unit of its capacity is worth (bound multiplier).
    pub shadow_price: Vec<f64>,
    /// How the plan was found, in a few words.
    pub method: String,
    /// Active reps given fewer leads than their `min_leads`, with what they were given.
    pub short_of_floor: Vec<(usize, u32)>,
    /// p_win of any lead with any rep, for comparing other plans of the same batch.
    pub p_win_of: PWin,
    /// How coverage, owners and equal skill shaped the plan, and what that cost.
    pub notes: Vec<String>,
}

/// p_win(lead, rep) = sigmoid(lead log-odds + the rep's effect for the lead's segment values),
/// × the speed-to-lead decay of the wait for the rep when routing is time-aware.
#[derive(Debug, Clone)]
pub struct PWin {
    z: Vec<f64>,
    sig: Vec<u32>,
    effect: Vec<f64>,
    n_reps: usize,
    decay: Option<Arc<Decay>>,
}

impl PWin {
    pub fn p(&self, lead: usize, rep: usize) -> f64 {
        let p = self.p_now(lead, rep);
        match &self.decay {
            Some(d) => p * d.factor(lead, rep),
            None => p,
        }
    }

    /// p_win were the rep to start on the lead at once (no decay).
    pub fn p_now(&self, lead: usize, rep: usize) -> f64 {
        sigmoid(self.z[lead] + self.effect(self.sig[lead], rep))
    }

    /// The decay of p_win with waiting, when routing is time-aware.
    pub fn decay(&self) -> Option<&Decay> {
        self.decay.as_deref()
    }

    /// The most p_win of `lead` can be with a rep whose effect plus log wait factor is at most
    /// the key whose e^(−key) is given and whose wait factor is at most 1/`inv_wait`: its age
    /// factor / (1/W + e^(−z−key)).
    fn bound(&self, lead: usize, (exp_neg_key, inv_wait): (f64, f64)) -> f64 {
        self.decay.as_ref().map_or(1.0, |d| d.age(lead)) / (inv_wait + (-self.z[lead]).exp() * exp_neg_key)
    }

    /// Every rep is as good as any other for every lead: no skill effects, and no rep a lead
    /// waits longer for than another.
    pub fn equal_worth(&self) -> bool {
        all_zero(&self.effect) && self.decay.as_ref().is_none_or(|d| d.uniform())
    }

    /// The lead's score log-odds (before any rep's effect).
    pub fn logit(&self, lead: usize) -> f64 {
        self.z[lead]
    }

    /// The rep's effect for leads of segment signature `sig`.
    fn effect(&self, sig: u32, rep: usize) -> f64 {
        self.effect[sig as usize * self.n_reps + rep]
    }
}

struct LeadProblem<'a> {
    leads: &'a Leads,
    /// Items are these leads.
    items: Vec<usize>,
    pw: PWin,
    capacity: Vec<f64>,
    floor: Vec<u32>,
    cands: Vec<Vec<u32>>,
    cand_of: Vec<u32>,
    /// Each (signature, class)'s candidates by decreasing p_win, and each item's order.
    orders: Vec<Vec<u32>>,
    order_of: Vec<u32>,
    /// Per item, the anchor plan's rep (`u32::MAX` for none) and its tie-breaking bonus;
    /// empty without an anchor plan.
    anchor: Vec<(u32, f64)>,
    /// Per item what a profit needs, side by side (one cache line: the auction's bids jump
    /// between a million items).
    fast: Vec<Fast>,
    /// e^(−effect) of every (signature, rep): with the item's e^(−z), p_win = 1 / (1 + both),
    /// no exponential per profit (the auction computes millions of them).
    exp_neg_effect: Vec<f64>,
    /// Time-aware: per order, per position, e^(−key), the key being the rep's effect plus the
    /// log of its wait factor (the order's sort key; empty otherwise).
    order_key: Vec<Vec<(f64, f64)>>,
    /// Each item's wait factor by rep, when routing is time-aware.
    wait: Wait<'a>,
}

/// How a profit gets its wait factor: none, from the decay's class × rep table (the item's
/// `toff` is its class's row), or computed (`toff` is its class).
#[derive(Clone, Copy)]
enum Wait<'a> {
    None,
    Table(&'a [f64]),
    Lazy(&'a Decay),
}

/// An item's e^(−score log-odds), weight in the objective, offset of its signature's row of
/// rep effects, and its current owner (`u32::MAX` for none) with the bonus for staying
/// there (the move penalty, or the noise of the skill estimates).
#[derive(Debug, Clone, Copy)]
struct Fast {
    exp_neg_z: f64,
    /// The lead's weight, × its age factor when routing is time-aware.
    w: f64,
    offset: u32,
    owner: u32,
    bonus: f64,
    /// The row of its time class in the wait table (or the class, computed lazily).
    toff: u32,
}

impl Instance for LeadProblem<'_> {
    fn n_items(&self) -> usize {
        self.items.len()
    }
    fn n_bins(&self) -> usize {
        self.pw.n_reps
    }
    fn capacity(&self, bin: usize) -> f64 {
        self.capacity[bin]
    }
    fn candidates(&self, i: usize) -> &[u32] {
        &self.cands[self.cand_of[i] as usize]
    }
    #[inline]
    fn profit(&self, i: usize, bin: usize) -> f64 {
        let f = &self.fast[i];
        let mut p = f.w / (1.0 + f.exp_neg_z * self.exp_neg_effect[f.offset as usize + bin]);
        match self.wait {
            Wait::None => {}
            Wait::Table(t) => p *= t[f.toff as usize + bin],
            Wait::Lazy(d) => p *= d.wait_factor(f.toff as usize, bin),
        }
        if f.owner == bin as u32 {
            p += f.bonus;
        }
        match self.anchor.get(i) {
            Some(&(r, bonus)) if r == bin as u32 => p + bonus,
            _ => p,
        }
    }
    fn weight(&self, i: usize, _bin: usize) -> f64 {
        self.leads.workload[self.items[i]]
    }
    fn floor(&self, bin: usize) -> u32 {
        self.floor[bin]
    }
    fn ordered(&self, i: usize) -> Option<(&[u32], [u32; 2])> {
        if self.orders.is_empty() {
            return None;
        }
        let f = &self.fast[i];
        let owner = if f.bonus > 0.0 { f.owner } else { u32::MAX };
        let anchor = match self.anchor.get(i) {
            Some(&(r, bonus)) if bonus > 0.0 => r,
            _ => u32::MAX,
        };
        Some((&self.orders[self.order_of[i] as usize], [owner, anchor]))
    }
    fn weight_per_item(&self) -> bool {
        true
    }
    fn order_lists(&self) -> &[Vec<u32>] {
        &self.orders
    }
    fn order_of(&self, i: usize) -> usize {
        self.order_of[i] as usize
    }
    #[inline]
    fn order_bound(&self, i: usize, k: usize) -> Option<f64> {
        // With a rep's effect e and wait factor w, and key κ = e + ln w (the order falls in κ):
        // w·σ(z + e) = 1 / (1/w + e^(−z−κ)) ≤ 1 / (1 + e^(−z−κ)) = σ(z + κ), as w ≤ 1. So
        // σ(z + κ) at position k bounds every rep from k on — tight where p_win is small.
        let key = self.order_key.get(self.order_of[i] as usize)?;
        let f = &self.fast[i];
        // Tighter still: no rep from k on waits less than the least wait among them (1/W).
        let (exp_neg_key, inv_wait) = key[k];
        Some(f.w / (inv_wait + f.exp_neg_z * exp_neg_key))
    }
}

/// Signature id of every lead, and each signature's segment values.
fn signatures(leads: &Leads, skill: &Skill) -> (Vec<u32>, Vec<Vec<String>>) {
    let cols: Vec<Option<usize>> = skill.segments.iter().map(|s| leads.table.column(s)).collect();
    let mut ids: HashMap<Vec<String>, u32> = HashMap::new();
    let mut values = Vec::new();
    let sig = (0..leads.len())
        .map(|l| {
            let key: Vec<String> = cols
                .iter()
                .map(|c| c.map(|c| leads.table.cell(l, c).trim().to_lowercase()).unwrap_or_default())
                .collect();
            let next = ids.len() as u32;
            *ids.entry(key.clone()).or_insert_with(|| {
                values.push(key);
                next
            })
        })
        .collect();
    (sig, values)
}

/// What every step of [`optimize`] reads: the inputs, and what is derived from them once.
struct Context<'a> {
    leads: &'a Leads,
    reps: &'a Reps,
    elig: &'a Eligibility,
    /// Each lead's calibrated score log-odds.
    z: &'a [f64],
    skill: &'a Skill,
    s: &'a OptimizeSettings,
    /// Mean deal value of the batch (for the sliver that keeps zero-value leads worth placing).
    mean_value: f64,
    /// Leads their current owner keeps before optimising (`keep_owners`), with that owner.
    kept: Vec<Option<usize>>,
    /// Each lead's current owner among the reps, looked up once.
    owner_rep: Vec<Option<usize>>,
    /// The decay of p_win with waiting, when routing is time-aware.
    decay: Option<&'a Arc<Decay>>,
}

impl Context<'_> {
    /// A lead's weight in the objective.
    fn weight(&self, l: usize) -> f64 {
        match self.s.objective {
            // A sliver of p_win keeps zero-value leads worth placing.
            Objective::Value => self.leads.value[l] + 1e-6 * self.mean_value.max(1.0),
            Objective::Wins => 1.0,
        }
    }

    /// A lead's worth in the objective's units, per unit of p_win.
    fn in_units(&self, l: usize) -> f64 {
        match self.s.objective {
            Objective::Value => self.leads.value[l],
            Objective::Wins => 1.0,
        }
    }

    fn unit(&self) -> &'static str {
        match self.s.objective {
            Objective::Value => "expected value",
            Objective::Wins => "expected wins",
        }
    }

    fn owner(&self, l: usize) -> Option<usize> {
        self.owner_rep[l]
    }

    /// No active rep has a fairness floor.
    fn no_floors(&self) -> bool {
        self.reps.min_leads.iter().all(|&m| m == 0)
    }
}

/// Each lead's segment signature, and every (signature, rep)'s learned effect, a row per
/// signature.
struct Effects {
    sig_of_lead: Vec<u32>,
    sig_values: Vec<Vec<String>>,
    effect: Vec<f64>,
}

impl Effects {
    fn new(leads: &Leads, reps: &Reps, skill: &Skill) -> Effects {
        let n_reps = reps.len();
        let (sig_of_lead, sig_values) = signatures(leads, skill);
        let mut effect = vec![0.0; sig_values.len() * n_reps];
        for (g, values) in sig_values.iter().enumerate() {
            let v: Vec<&str> = values.iter().map(String::as_str).collect();
            for r in 0..n_reps {
                effect[g * n_reps + r] = skill.effect(&reps.id[r], &v).0;
            }
        }
        Effects { sig_of_lead, sig_values, effect }
    }
}

/// Every rep's effect is zero for every lead: every rep is equally good.
fn all_zero(effect: &[f64]) -> bool {
    effect.iter().all(|&e| e == 0.0)
}

/// Candidates: the active reps of a lead's eligibility class. Within a class, leads of one
/// segment signature rank the reps the same way (p_win rises with the rep's effect), so one
/// order per (signature, class) serves every lead and no lead × rep table is built. With
/// time, leads of one time class wait the same for each rep: the order is per (signature,
/// class, time class), by the rep's effect plus the log of its wait factor — not quite the
/// order of p_win for every lead, but one whose key bounds p_win from any position on (see
/// `order_bound`), so scans still stop early.
struct Candidates {
    lists: Vec<Vec<u32>>,
    of_lead: Vec<u32>,
    /// Each order's candidates and each lead's order; no orders when there would be too many
    /// to keep (then every scan looks at every candidate).
    orders: Vec<Vec<u32>>,
    /// Time-aware: each order's e^(−key) by position, and 1 / the largest wait factor from
    /// that position on.
    keys: Vec<Vec<(f64, f64)>>,
    order_of_lead: Vec<u32>,
}

/// An order's reps, and time-aware its (e^(−key), 1 / largest wait from there) by position.
type Order = (Vec<u32>, Vec<(f64, f64)>);

/// Most entries the orders may hold in all.
const MAX_ORDER_ENTRIES: usize = 64 << 20;

impl Candidates {
    fn new(ctx: &Context, eff: &Effects) -> Candidates {
        let (leads, reps, elig) = (ctx.leads, ctx.reps, ctx.elig);
        let n_reps = reps.len();
        let mut cand_index: HashMap<usize, u32> = HashMap::new();
        let mut lists: Vec<Vec<u32>> = Vec::new();
        let of_lead: Vec<u32> = (0..leads.len())
            .map(|l| {
                let next = cand_index.len() as u32;
                *cand_index.entry(elig.class_id(l)).or_insert_with(|| {
                    lists
                        .push(elig.reps_for(l).iter().copied().filter(|&r| reps.active[r]).map(|r| r as u32).collect());
                    next
                })
            })
            .collect();
        let decay = ctx.decay.filter(|d| !d.uniform());
        let tclass = |l: usize| decay.map_or(0, |d| d.timing().class_of(l) as u32);
        let mut order_index: HashMap<(u32, u32, u32), u32> = HashMap::new();
        let mut keys: Vec<(u32, u32, u32)> = Vec::new();
        let order_of_lead: Vec<u32> = (0..leads.len())
            .map(|l| {
                let key = (eff.sig_of_lead[l], of_lead[l], tclass(l));
                let next = keys.len() as u32;
                *order_index.entry(key).or_insert_with(|| {
                    keys.push(key);
                    next
                })
            })
            .collect();
        let entries: usize = keys.iter().map(|k| lists[k.1 as usize].len()).sum();
        if entries > MAX_ORDER_ENTRIES {
            return Candidates { lists, of_lead, orders: Vec::new(), keys: Vec::new(), order_of_lead };
        }
        let built: Vec<Order> = keys
            .par_iter()
            .map(|&(sig, cand, tc)| {
                let mut list = lists[cand as usize].clone();
                let e = |r: u32| eff.effect[sig as usize * n_reps + r as usize];
                match decay {
                    None => {
                        list.sort_by(|&a, &b| e(b).total_cmp(&e(a)).then(a.cmp(&b)));
                        (list, Vec::new())
                    }
                    Some(d) => {
                        // Every candidate can start within the horizon: its wait factor is > 0.
                        let key = |r: u32| e(r) + d.wait_factor(tc as usize, r as usize).ln();
                        list.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(e(b).total_cmp(&e(a))).then(a.cmp(&b)));
                        let mut most = 0.0f64;
                        let mut out = vec![(0.0, 0.0); list.len()];
                        for (k, &r) in list.iter().enumerate().rev() {
                            most = most.max(d.wait_factor(tc as usize, r as usize));
                            out[k] = ((-key(r)).exp(), 1.0 / most);
                        }
                        (list, out)
                    }
                }
            })
            .collect();
        let mut orders = Vec::with_capacity(built.len());
        let mut keys = Vec::with_capacity(built.len());
        for (o, k) in built {
            orders.push(o);
            keys.push(k);
        }
        let keys = if decay.is_some() { keys } else { Vec::new() };
        Candidates { lists, of_lead, orders, keys, order_of_lead }
    }
}

/// What keeps owned leads with their owners: per item its [`Fast`] terms, and the posterior
/// sd of each (signature, owner)'s effect.
struct Stay {
    fast: Vec<Fast>,
    owner_sd: HashMap<(u32, usize), f64>,
    /// Twice the auction's ε in the objective's units: enough to break ties, too little to
    /// matter otherwise.
    tie_bonus: f64,
}

impl Stay {
    fn new(ctx: &Context, items: &[usize], eff: &Effects, cands: &Candidates) -> Stay {
        let (z, n_reps) = (ctx.z, ctx.reps.len());
        let no_effects = all_zero(&eff.effect);
        let equal_worth = no_effects && ctx.decay.is_none_or(|d| d.uniform());
        let factor = |l: usize, r: usize| ctx.decay.map_or(1.0, |d| d.factor(l, r));
        // What keeps an owned lead with its owner when no move penalty is given: the lead's
        // weight × the change in p_win that one standard deviation of the difference between
        // two reps' estimated effects makes (√2 × the owner's posterior sd), plus a tie-breaker.
        let tie_bonus = 2.0 * AUCTION_EPS * items.iter().map(|&l| ctx.weight(l) * sigmoid(z[l])).sum::<f64>()
            / items.len().max(1) as f64;
        // With every rep equally good no move gains anything: an owned lead outranks any other
        // lead at its owner (twice the largest lead weight), and leaves only for coverage.
        // Time-aware, twice the largest a profit can be: a lead's weight × its age factor ×
        // its p_win with its best rep at once (a weekend's leads are worth a fraction of their
        // weight, and a bonus out of scale with them would swamp the plan's certificate).
        let owner_first = match ctx.decay {
            None => 2.0 * items.iter().map(|&l| ctx.weight(l)).fold(0.0, f64::max),
            Some(d) => {
                let top: Vec<f64> = eff
                    .effect
                    .chunks(n_reps.max(1))
                    .map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                    .collect();
                2.0 * items
                    .iter()
                    .map(|&l| ctx.weight(l) * d.age(l) * sigmoid(z[l] + top[eff.sig_of_lead[l] as usize]))
                    .fold(0.0, f64::max)
            }
        };
        // The posterior sd of each owner's effect, once per (signature, owner).
        let mut owner_sd: HashMap<(u32, usize), f64> = HashMap::new();
        if !no_effects {
            for &l in items {
                if let Some(r) = ctx.owner(l) {
                    owner_sd.entry((eff.sig_of_lead[l], r)).or_insert_with(|| {
                        let values: Vec<&str> =
                            eff.sig_values[eff.sig_of_lead[l] as usize].iter().map(String::as_str).collect();
                        ctx.skill.effect(&ctx.reps.id[r], &values).1
                    });
                }
            }
        }
        // An owned lead for which no eligible rep beats its owner beyond the noise is as good
        // with its owner as anywhere: it outranks every other lead at its owner (as with equal
        // skill), so another lead's gain — itself mostly within the noise — cannot push it out,
        // and it leaves only for coverage. One that some rep beats beyond the noise gets the
        // noise margin as a bonus and goes where the plan is worth most. A wait is no noise:
        // a rep who can start sooner beats the owner by what the wait costs.
        let noise_bonus = |l: usize, r: usize| -> f64 {
            if equal_worth {
                return owner_first;
            }
            let sig = eff.sig_of_lead[l];
            let p = |b: usize| sigmoid(z[l] + eff.effect[sig as usize * n_reps + b]) * factor(l, b);
            let (f, p_own) = (factor(l, r), sigmoid(z[l] + eff.effect[sig as usize * n_reps + r]));
            let margin = noise_margin(p_own, owner_sd.get(&(sig, r)).copied().unwrap_or(0.0)) * f;
            let (age, exp_neg_z) = (ctx.decay.map_or(1.0, |d| d.age(l)), (-z[l]).exp());
            let best_other = best_except(
                &cands.orders,
                &cands.keys,
                Some(cands.order_of_lead[l]),
                &cands.lists[cands.of_lead[l] as usize],
                Some(r),
                p,
                |(exp_neg_key, inv_wait)| age / (inv_wait + exp_neg_z * exp_neg_key),
            )
            .map_or(0.0, |(_, pb)| pb);
            if best_other - p_own * f <= margin { owner_first } else { ctx.weight(l) * margin + tie_bonus }
        };
        let toff = |l: usize| -> u32 {
            match ctx.decay {
                Some(d) if d.has_table() => (d.timing().class_of(l) * n_reps) as u32,
                Some(d) => d.timing().class_of(l) as u32,
                None => 0,
            }
        };
        let fast: Vec<Fast> = items
            .iter()
            .map(|&l| {
                // Without a move penalty, a lead leaves its owner only for a rep better by more
                // than the noise of the skill estimates.
                let (owner, bonus) = ctx
                    .owner(l)
                    .map_or((u32::MAX, 0.0), |r| (r as u32, ctx.s.move_penalty.unwrap_or_else(|| noise_bonus(l, r))));
                Fast {
                    exp_neg_z: (-z[l]).exp(),
                    w: ctx.weight(l) * ctx.decay.map_or(1.0, |d| d.age(l)),
                    offset: eff.sig_of_lead[l] * n_reps as u32,
                    owner,
                    bonus,
                    toff: toff(l),
                }
            })
            .collect();
        Stay { fast, owner_sd, tie_bonus }
    }
}

/// The lead's best rep by `p` other than `except`, with its p: the first such rep of its
/// order (p falls along it) — or, time-aware, the best until `bound(e^(−key))` says no rep
/// from there on can beat it; every candidate when there is no order. Ties go to the rep
/// earlier in the order, then the lower rep.
#[allow(clippy::too_many_arguments)]
fn best_except(
    orders: &[Vec<u32>],
    keys: &[Vec<(f64, f64)>],
    order: Option<u32>,
    cands: &[u32],
    except: Option<usize>,
    p: impl Fn(usize) -> f64,
    bound: impl Fn((f64, f64)) -> f64,
) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    match order.filter(|_| !orders.is_empty()) {
        Some(o) => {
            let key = keys.get(o as usize);
            for (k, &r) in orders[o as usize].iter().enumerate() {
                if let (Some(key), Some((_, pb))) = (key, best)
                    && bound(key[k]) <= pb
                {
                    break;
                }
                let r = r as usize;
                if Some(r) == except {
                    continue;
                }
                let c = (r, p(r));
                if best.is_none_or(|(_, pb)| c.1 > pb) {
                    best = Some(c);
                }
                if key.is_none() {
                    break;
                }
            }
        }
        None => {
            let mut all: Vec<usize> = cands.iter().map(|&r| r as usize).filter(|&r| Some(r) != except).collect();
            all.sort_unstable();
            for r in all {
                let c = (r, p(r));
                if best.is_none_or(|(_, pb)| c.1 > pb) {
                    best = Some(c);
                }
            }
        }
    }
    best
}

/// The problem the solver sees (the leads no owner keeps), with what the decisions need
/// besides: each lead's order of reps and candidate list, and the noise of its owner's effect.
type Built<'a> = (LeadProblem<'a>, Vec<u32>, Vec<u32>, HashMap<(u32, usize), f64>);

fn build<'a>(ctx: &Context<'a>, capacity: Vec<f64>) -> Built<'a> {
    let (leads, reps) = (ctx.leads, ctx.reps);
    let eff = Effects::new(leads, reps, ctx.skill);
    // Fairness floors of active reps, less the leads they keep.
    let mut floor: Vec<u32> = (0..reps.len()).map(|r| if reps.active[r] { reps.min_leads[r] } else { 0 }).collect();
    for r in ctx.kept.iter().flatten() {
        floor[*r] = floor[*r].saturating_sub(1);
    }
    let items: Vec<usize> = (0..leads.len()).filter(|&l| ctx.kept[l].is_none()).collect();
    let cands = Candidates::new(ctx, &eff);
    let stay = Stay::new(ctx, &items, &eff, &cands);
    let problem = LeadProblem {
        fast: stay.fast,
        exp_neg_effect: eff.effect.iter().map(|e| (-e).exp()).collect(),
        leads,
        capacity,
        floor,
        anchor: match &ctx.s.anchor {
            Some(a) => items
                .iter()
                .map(|&l| a.get(l).copied().flatten().map_or((u32::MAX, 0.0), |r| (r as u32, stay.tie_bonus)))
                .collect(),
            None => Vec::new(),
        },
        cand_of: items.iter().map(|&l| cands.of_lead[l]).collect(),
        order_of: items.iter().map(|&l| cands.order_of_lead[l]).collect(),
        items,
        cands: cands.lists,
        orders: cands.orders,
        order_key: cands.keys,
        wait: match ctx.decay {
            None => Wait::None,
            Some(d) => match d.wait_table() {
                Some(t) => Wait::Table(t),
                None => Wait::Lazy(d),
            },
        },
        pw: PWin {
            z: ctx.z.to_vec(),
            sig: eff.sig_of_lead,
            effect: eff.effect,
            n_reps: reps.len(),
            decay: ctx.decay.cloned(),
        },
    };
    (problem, cands.order_of_lead, cands.of_lead, stay.owner_sd)
}

/// Routes the batch by optimisation. `z` is each lead's calibrated score log-odds.
pub fn optimize(
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    z: &[f64],
    skill: &Skill,
    s: &OptimizeSettings,
) -> Optimized {
    optimize_timed(leads, reps, elig, z, skill, s, None)
}

/// [`optimize`], with p_win decaying with each rep's wait (`decay`, time-aware routing).
pub fn optimize_timed(
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    z: &[f64],
    skill: &Skill,
    s: &OptimizeSettings,
    decay: Option<&Arc<Decay>>,
) -> Optimized {
    // Time-aware: the scores with the history's own waits undone, before each wait's decay.
    let shifted: Vec<f64>;
    let z = match decay.map(|d| d.shift).filter(|&c| c != 0.0) {
        Some(c) => {
            shifted = z.iter().map(|v| v + c).collect();
            &shifted
        }
        None => z,
    };
    // Current owners keep their leads first, in arrival order, under --lock.
    let (kept, capacity) = if s.keep_owners {
        super::keep_owners(leads, reps, elig)
    } else {
        (
            vec![None; leads.len()],
            (0..reps.len()).map(|r| if reps.active[r] { reps.capacity[r] } else { 0.0 }).collect(),
        )
    };
    let ctx = Context {
        leads,
        reps,
        elig,
        z,
        skill,
        s,
        mean_value: leads.value.iter().sum::<f64>() / leads.len().max(1) as f64,
        kept,
        owner_rep: leads.owner.iter().map(|o| o.as_deref().and_then(|o| reps.find(o))).collect(),
        decay,
    };
    let (problem, order_of_lead, cand_of_lead, owner_sd) = build(&ctx, capacity);
    let equal_skill = problem.pw.equal_worth();
    let Solved { mut sol, value: solved_value, bound, lambda: shadow_price, mut method } = solve(&problem, s);
    let mut notes = Vec::new();
    let coverage = cover_first(&ctx, &problem, &mut sol, &shadow_price, &mut method, &mut notes);
    let kept_value: f64 =
        (0..leads.len()).filter_map(|l| ctx.kept[l].map(|r| ctx.weight(l) * problem.pw.p(l, r))).sum();

    let mut chosen: Vec<Option<usize>> = ctx.kept.clone();
    for (i, b) in sol.bin.iter().enumerate() {
        if let Some(b) = b {
            chosen[problem.items[i]] = Some(*b as usize);
        }
    }
    let by_rule = if equal_skill && ctx.no_floors() {
        as_equals(&ctx, &problem, &mut sol, &mut chosen, &mut method, &mut notes)
    } else {
        None
    };
    // In the optimizer's own terms (with the stay bonuses), as its bound is.
    let objective_value: f64 = kept_value
        + problem.items.iter().enumerate().filter_map(|(i, &l)| chosen[l].map(|r| problem.profit(i, r))).sum::<f64>();
    let mut remaining = reps.capacity.clone();
    let mut given = vec![0u32; reps.len()];
    for (l, c) in chosen.iter().enumerate() {
        if let Some(r) = c {
            remaining[*r] -= leads.workload[l];
            given[*r] += 1;
        }
    }
    let short_of_floor: Vec<(usize, u32)> =
        (0..reps.len()).filter(|&r| reps.active[r] && given[r] < reps.min_leads[r]).map(|r| (r, given[r])).collect();
    let outcome = Outcome { chosen: &chosen, remaining: &remaining, given: &given, by_rule: by_rule.as_ref() };
    let per_lead = decide_each(&ctx, &problem, (&order_of_lead, &cand_of_lead), &owner_sd, &outcome);
    let mut decisions = Vec::with_capacity(leads.len());
    let mut runner_up = Vec::with_capacity(leads.len());
    let mut p_win = Vec::with_capacity(leads.len());
    let mut stayed = (0usize, 0.0f64);
    for d in per_lead {
        decisions.push(d.decision);
        runner_up.push(d.runner_up);
        p_win.push(d.p_win);
        if let Some(f) = d.forgone {
            stayed.0 += 1;
            stayed.1 += f;
        }
    }
    if stayed.0 > 0 {
        notes.push(format!(
            "Owners first: {} owned leads stay with their current owner although another rep's estimate is higher, by \
             less than the noise of the skill estimates; that forgoes at most {} {} (if those reps had room).",
            stayed.0,
            amount(stayed.1),
            ctx.unit()
        ));
    }
    Optimized {
        plan: Plan {
            policy: Policy::Optimize,
            decisions,
            runner_up: runner_up.iter().map(|ru| ru.map(|(r, _)| r)).collect(),
        },
        p_win,
        runner_up,
        objective_value,
        certified_value: kept_value + solved_value,
        coverage,
        bound: bound + kept_value,
        shadow_price,
        method,
        short_of_floor,
        p_win_of: problem.pw,
        notes,
    }
}

/// Coverage first: a lead the plan left out while moving others makes room is placed.
/// A lead with its owner under an explicit move penalty stays put.
/// Returns how many leads it placed and what that cost in the objective's units.
fn cover_first(
    ctx: &Context,
    problem: &LeadProblem,
    sol: &mut Solution,
    prices: &[f64],
    method: &mut String,
    notes: &mut Vec<String>,
) -> Option<(usize, f64)> {
    let pinned = |i: usize, b: usize| ctx.s.move_penalty.is_some() && ctx.owner(problem.items[i]) == Some(b);
    // What coverage costs, in expected value or wins (the solver's objective also holds the
    // bonuses that keep owned leads with their owners, which are not worth anything).
    let plain = |sol: &Solution| -> f64 {
        sol.bin
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| (problem.items[i], b as usize)))
            .map(|(l, r)| ctx.in_units(l) * problem.pw.p(l, r))
            .sum()
    };
    let before = plain(sol);
    let covered = solver::cover(problem, sol, &pinned, COVER_WORK, prices);
    if covered > 0 {
        let cost = before - plain(sol);
        let unit = ctx.unit();
        let what = if cost >= 0.0 {
            format!("for {} {unit} less", amount(cost))
        } else {
            format!("which adds {} {unit}", amount(-cost))
        };
        notes.push(format!(
            "Coverage first: {covered} leads that the plan of highest {unit} would have left out are placed by moving \
             other leads to reps with room, {what}."
        ));
        method.push_str(&format!(", {covered} more leads placed by moving others (coverage first)"));
        return Some((covered, cost));
    }
    None
}

/// Every rep equally good for every lead (no skill, or skill judged not worth using), and no
/// fairness floors: the plan's worth does not depend on who gets which lead, so current
/// owners keep their leads and the rest go to the least loaded eligible rep — when that
/// places as many leads for as much expected value (the rule's plan is returned). When
/// capacity is short somewhere so the rule cannot, the optimizer's choice of leads is kept
/// and the loads are levelled among equals.
fn as_equals(
    ctx: &Context,
    problem: &LeadProblem,
    sol: &mut Solution,
    chosen: &mut Vec<Option<usize>>,
    method: &mut String,
    notes: &mut Vec<String>,
) -> Option<Plan> {
    let (leads, reps, unit) = (ctx.leads, ctx.reps, ctx.unit());
    let rule =
        super::rules::route_by_rule_keeping(super::Rule::LeastLoaded, leads, reps, ctx.elig, ctx.s.solve.seed, true);
    let worth = |rep_of: &dyn Fn(usize) -> Option<usize>| -> (usize, f64) {
        (0..leads.len())
            .filter_map(|l| rep_of(l).map(|r| (l, r)))
            .fold((0, 0.0), |(n, v), (l, r)| (n + 1, v + ctx.weight(l) * problem.pw.p(l, r)))
    };
    let (n_opt, v_opt) = worth(&|l| chosen[l]);
    let (n_rule, v_rule) = worth(&|l| rule.decisions[l].rep);
    if n_rule >= n_opt && v_rule >= v_opt - 1e-9 * v_opt.abs() {
        *chosen = rule.decisions.iter().map(|d| d.rep).collect();
        *method = "every rep counts as equally good, so owners keep their leads and the rest go to the least \
                   loaded eligible rep (as much expected value as the optimizer's plan)"
            .into();
        notes.push(format!(
            "Every rep counts as equally good for these leads, so current owners keep their leads and the rest go \
             to the least loaded eligible rep: the same {unit} as any other plan that places them."
        ));
        return Some(rule);
    }
    let owner: Vec<Option<u32>> = problem.items.iter().map(|&l| ctx.owner(l).map(|r| r as u32)).collect();
    let mut base: Vec<f64> = reps.open_leads.clone();
    for (l, k) in ctx.kept.iter().enumerate() {
        if let Some(r) = k {
            base[*r] += leads.workload[l];
        }
    }
    if let Some(moved) = level_loads(problem, &base, sol, &owner)
        && moved > 0
    {
        for (i, b) in sol.bin.iter().enumerate() {
            chosen[problem.items[i]] = b.map(|b| b as usize);
        }
        method.push_str(&format!(", {moved} leads moved to level the loads (every rep equally good)"));
        notes.push(format!(
            "Every rep counts as equally good for these leads; capacity decides which leads are placed, and \
                 among reps with room the lighter load takes them ({moved} leads moved to level the loads, \
                 none from its owner), for the same {unit}."
        ));
    }
    None
}

/// The plan as decided: each lead's rep, what each rep has left and was given, and the rule's
/// plan when every rep counted as equally good.
struct Outcome<'a> {
    chosen: &'a [Option<usize>],
    remaining: &'a [f64],
    given: &'a [u32],
    by_rule: Option<&'a Plan>,
}

/// One lead's decision, runner-up and p_win, and for an owned lead kept although another
/// rep's estimate is higher (within the noise), what that forgoes at most.
struct LeadDecision {
    decision: Decision,
    runner_up: Option<(usize, f64)>,
    p_win: Option<f64>,
    forgone: Option<f64>,
}

/// Every lead's [`LeadDecision`], independently (in parallel).
fn decide_each(
    ctx: &Context,
    problem: &LeadProblem,
    (order_of_lead, cand_of_lead): (&[u32], &[u32]),
    owner_sd: &HashMap<(u32, usize), f64>,
    out: &Outcome,
) -> Vec<LeadDecision> {
    let (leads, reps, elig) = (ctx.leads, ctx.reps, ctx.elig);
    let pw = &problem.pw;
    let p = |l: usize, r: usize| pw.p(l, r);
    let equal_skill = pw.equal_worth();
    let excluded_best = excluded_best(ctx, pw);
    let best_now = best_at_once(ctx, pw);
    let chosen = out.chosen;
    // Worth is compared per unit of workload when workloads differ (decided once, not per lead).
    let varied = leads.workload.iter().any(|&w| (w - leads.workload[0]).abs() > EPS);
    let per = if varied { " per unit of workload" } else { "" };
    // Per rep, the lead it was given that is worth least to the plan per unit of workload.
    let mut weakest: Vec<Option<(usize, f64)>> = vec![None; reps.len()];
    for (l, r) in chosen.iter().enumerate() {
        if let Some(r) = *r {
            let v = ctx.in_units(l) * p(l, r) / leads.workload[l].max(EPS);
            if weakest[r].is_none_or(|(_, w)| v < w) {
                weakest[r] = Some((l, v));
            }
        }
    }
    (0..leads.len())
        .into_par_iter()
        .map(|l| {
            if let Some(rule) = out.by_rule {
                let mut d = rule.decisions[l].clone();
                if d.rep.is_some() && !d.explanation.starts_with("Kept") {
                    d.explanation = format!("Every rep is taken as equally good for this lead: {}", d.explanation);
                }
                let runner_up = rule.runner_up[l].map(|r| (r, p(l, r)));
                return LeadDecision { decision: d, runner_up, p_win: chosen[l].map(|r| p(l, r)), forgone: None };
            }
            // The best other rep by p_win.
            let runner_up = best_except(
                &problem.orders,
                &problem.order_key,
                Some(order_of_lead[l]),
                &problem.cands[cand_of_lead[l] as usize],
                chosen[l],
                |r| p(l, r),
                |key| pw.bound(l, key),
            );
            let Some(r) = chosen[l] else {
                let reason = blocked_reason(l, leads, reps, elig, out.remaining)
                    .unwrap_or(super::Reason::AllEligibleAtCapacity);
                let mut decision = unassigned(reason, l, leads, reps, elig);
                if reason == super::Reason::AllEligibleAtCapacity {
                    decision.explanation = crowded_out(ctx, l, &weakest, per, |r| p(l, r));
                }
                return LeadDecision { decision, runner_up, p_win: None, forgone: None };
            };
            let kept = ctx.kept[l].is_some();
            let at_floor = reps.min_leads[r] > 0 && out.given[r] <= reps.min_leads[r];
            let stays = !kept && ctx.owner(l) == Some(r);
            // Stays although the runner-up's estimate is higher: within the noise, or
            // beyond it (then the runner-up had no room for it).
            let within_noise = stays
                && (equal_skill
                    || runner_up.is_none_or(|(_, p2)| {
                        let sd = owner_sd.get(&(pw.sig[l], r)).copied().unwrap_or(0.0);
                        p2 - p(l, r) <= noise_margin(pw.p_now(l, r), sd) * (p(l, r) / pw.p_now(l, r).max(1e-300))
                    }));
            let forgone =
                runner_up.filter(|&(_, p2)| within_noise && p2 > p(l, r)).map(|(_, p2)| ctx.in_units(l) * (p2 - p(l, r)));
            let mut explanation = if equal_skill && !kept && !stays {
                format!(
                    "Every rep is taken as equally good for this lead: {} (p_win {}) takes it, among the eligible reps with room, to keep the loads level.",
                    reps.id[r],
                    Pw(p(l, r))
                )
            } else {
                let why = Why { kept, stays, within_noise, at_floor };
                let mut e = explain(l, r, why, p(l, r), runner_up, out.remaining, leads, reps, ctx.skill);
                if let Some(d) = pw.decay() {
                    e.pop();
                    let best = best_now.get(&(pw.sig[l], elig.class_id(l))).copied().flatten();
                    e.push_str(&time_clause(ctx, pw, d, l, r, best));
                    e.push('.');
                }
                e
            };
            // A better rep the rules exclude: say which and why.
            if let Some(x) = excluded_best.get(&(pw.sig[l], elig.class_id(l))).copied().flatten() {
                let px = p(l, x);
                if px > p(l, r) + 0.005
                    && let Some(rule) = elig.blocking_rule(l, x) {
                        explanation.pop();
                        explanation.push_str(&format!("; {} would do better (p_win {}) but {rule}.", reps.id[x], Pw(px)));
                    }
            }
            let decision = Decision { rep: Some(r), reason: None, explanation };
            LeadDecision { decision, runner_up, p_win: Some(p(l, r)), forgone }
        })
        .collect()
}

/// What time did for a lead's choice: when its rep can start ("R012 can call from Mon 30 Nov
/// 09:00 New York time, 14.5 h after it came in"), and the rep who would have been better
/// had it been free at once but waits longer or is away ("R007, 0.39 were it free now, is
/// away until Wed 2 Dec 09:00 London time").
fn time_clause(ctx: &Context, pw: &PWin, decay: &Decay, l: usize, r: usize, best_now: Option<usize>) -> String {
    let t = decay.timing();
    let Some(at) = t.available_at(l, r) else { return String::new() };
    let start = t.start(l);
    let came = t.born(l);
    let mut out = if at == start {
        format!("; {} can call at once", ctx.reps.id[r])
    } else {
        format!("; {} can call from {}", ctx.reps.id[r], t.available_at_local(l, r).unwrap_or_default())
    };
    if at > came + 60 && decay.factor(l, r) < 1.0 {
        out.push_str(&format!(
            " ({} after it came in: × {:.2} for the wait)",
            crate::calendar::fmt_delay(at - came),
            decay.factor(l, r)
        ));
    }
    // The rep best for the lead were every rep free at once, when time kept it from the lead.
    let time_kept_it =
        |x: usize| x != r && pw.p_now(l, x) > pw.p_now(l, r) + 0.005 && decay.factor(l, x) < decay.factor(l, r);
    if let Some(x) = best_now.filter(|&x| time_kept_it(x)) {
        let when = match (t.available_at_local(l, x), t.away_until(l, x)) {
            (Some(ax), Some(_)) => format!("is away until {ax}"),
            (Some(ax), None) => format!("can only call from {ax}"),
            (None, Some(back)) => format!("is away until {back}"),
            (None, None) => "cannot start within the horizon".to_string(),
        };
        out.push_str(&format!(
            "; {} ({} were it free at once, {} after its wait) {when}",
            ctx.reps.id[x],
            Pw(pw.p_now(l, x)),
            Pw(pw.p(l, x))
        ));
    }
    out
}

/// Per (signature, eligibility class) of the leads, time-aware: the active rep the rules admit
/// with the largest effect — the best for the lead were every rep free at once, as p_win rises
/// with the effect.
fn best_at_once(ctx: &Context, pw: &PWin) -> HashMap<(u32, usize), Option<usize>> {
    let mut best = HashMap::new();
    if pw.decay.is_none() {
        return best;
    }
    for l in 0..ctx.leads.len() {
        best.entry((pw.sig[l], ctx.elig.class_id(l))).or_insert_with(|| {
            ctx.elig
                .admitted(l)
                .into_iter()
                .filter(|&x| ctx.reps.active[x])
                .max_by(|&a, &b| pw.effect(pw.sig[l], a).total_cmp(&pw.effect(pw.sig[l], b)).then(b.cmp(&a)))
        });
    }
    best
}

/// Why the optimizer left out a lead whose eligible reps are all full: which reps could have
/// taken it, and what they took instead (the lead each was given that is worth least to the
/// plan, against this one's worth with that rep; `per` says "per unit of workload" when
/// workloads differ).
fn crowded_out(
    ctx: &Context,
    l: usize,
    weakest: &[Option<(usize, f64)>],
    per: &str,
    p: impl Fn(usize) -> f64,
) -> String {
    let (leads, reps) = (ctx.leads, ctx.reps);
    let mut could: Vec<usize> = ctx.elig.reps_for(l).iter().copied().filter(|&r| reps.active[r]).collect();
    could.sort_by(|&a, &b| p(b).total_cmp(&p(a)).then(a.cmp(&b)));
    let worth = |v: f64| match ctx.s.objective {
        Objective::Value => crate::fmt::amount(v),
        Objective::Wins => format!("{v:.2}"),
    };
    let shown: Vec<String> = could
        .iter()
        .take(3)
        .map(|&r| {
            let mine = ctx.in_units(l) * p(r) / leads.workload[l].max(EPS);
            match weakest[r] {
                Some((w, v)) => format!(
                    "{} would win it at {} ({} {}{per}) and {} {} instead ({}{per})",
                    reps.id[r],
                    Pw(p(r)),
                    worth(mine),
                    ctx.unit(),
                    if ctx.owner(w) == Some(r) { "kept its own lead" } else { "took" },
                    leads.id[w],
                    worth(v)
                ),
                None => format!("{} would win it at {} but had no room for it", reps.id[r], Pw(p(r))),
            }
        })
        .collect();
    let more = if could.len() > 3 { format!("; {} more likewise", could.len() - 3) } else { String::new() };
    let w = leads.workload[l];
    format!(
        "Not assigned: {} full (it needs {} unit{}); the least worth of what they took instead: {}{more}.",
        match could.len() {
            1 => "its one eligible active rep is".to_string(),
            n => format!("all {n} eligible active reps are"),
        },
        fmt_num(w),
        if (w - 1.0).abs() < EPS { "" } else { "s" },
        shown.join("; ")
    )
}

/// The active rep a rule keeps from the lead with the best p_win: p_win rises with the rep's
/// effect, so per (signature, eligibility class) it is the excluded rep with the largest
/// effect. Empty without eligibility rules.
fn excluded_best(ctx: &Context, pw: &PWin) -> HashMap<(u32, usize), Option<usize>> {
    let (reps, elig) = (ctx.reps, ctx.elig);
    let mut best: HashMap<(u32, usize), Option<usize>> = HashMap::new();
    if elig.has_rules() {
        for (l, &sig) in pw.sig.iter().enumerate() {
            best.entry((sig, elig.class_id(l))).or_insert_with(|| {
                (0..reps.len())
                    .filter(|&r| reps.active[r] && !elig.allows(l, r))
                    .max_by(|&a, &b| pw.effect(sig, a).total_cmp(&pw.effect(sig, b)).then(b.cmp(&a)))
            });
        }
    }
    best
}

/// How many standard deviations of the difference between two reps' estimated effects a
/// rep must be better by to take a lead from its current owner: one, "beyond the noise".
const OWNER_NOISE: f64 = 1.0;

/// The change in p_win (at `p`) that [`OWNER_NOISE`] standard deviations of the difference
/// between two reps' estimated effects make, the owner's effect having posterior sd `sd`
/// (the difference's sd taken as √2 × that).
fn noise_margin(p: f64, sd: f64) -> f64 {
    p * (1.0 - p) * OWNER_NOISE * std::f64::consts::SQRT_2 * sd
}

/// Steps the coverage repair may take (a step is one candidate of one lead looked at).
const COVER_WORK: usize = 400_000_000;

/// Relative distance to the bound below which a plan is not worked on further.
const CLOSE_ENOUGH: f64 = 1e-3;

/// Largest batch on which a loose warm certificate is retried with a cold auction.
const COLD_RETRY_MAX: usize = 300_000;

/// The warm auction's coarse ε, as a multiple of the final one.
const WARM_START: f64 = 8.0;

/// Candidate looks the load levelling may take per pass.
const LEVEL_WORK: usize = 50_000_000;

/// Every rep equally good: moves leads one at a time to an eligible rep with room whose load
/// (`base` — open leads and leads kept — plus this plan's) is lighter by more than the lead's
/// workload, in passes until no move levels further. Leads with their current owner stay.
/// `None` when a pass would look at more candidates than [`LEVEL_WORK`].
fn level_loads(problem: &LeadProblem, base: &[f64], sol: &mut Solution, owner: &[Option<u32>]) -> Option<usize> {
    let n = problem.n_items();
    if (0..n).map(|i| problem.candidates(i).len()).sum::<usize>() > LEVEL_WORK {
        return None;
    }
    let key = |sol: &Solution, b: usize| base[b] + sol.load[b];
    let mut moved = 0;
    for _pass in 0..50 {
        let mut moves = 0;
        for (i, &own) in owner.iter().enumerate() {
            let Some(a) = sol.bin[i] else { continue };
            if own == Some(a) {
                continue;
            }
            let w = problem.weight(i, a as usize);
            let best = problem
                .candidates(i)
                .iter()
                .map(|&b| b as usize)
                .filter(|&b| b != a as usize && w <= sol.room(problem, b) + solver::CAP_EPS)
                .min_by(|&x, &y| key(sol, x).total_cmp(&key(sol, y)).then(x.cmp(&y)));
            if let Some(b) = best.filter(|&b| key(sol, b) + w < key(sol, a as usize) - 1e-9) {
                sol.place(problem, i, Some(b as u32));
                moves += 1;
            }
        }
        moved += moves;
        if moves == 0 {
            break;
        }
    }
    Some(moved)
}

/// The best plan found, its value, the bound and the multipliers behind the bound.
struct Solved {
    sol: Solution,
    value: f64,
    bound: f64,
    /// The bound's multipliers: each rep's shadow price.
    lambda: Vec<f64>,
    /// How the plan was found, in a few words.
    method: String,
}

fn solve(problem: &LeadProblem, s: &OptimizeSettings) -> Solved {
    let gap = |value: f64, bound: f64| bound - value > CLOSE_ENOUGH * bound.abs();
    // Equal workloads: the auction solves the batch to within a hair of the optimum. Warm
    // (a coarse auction's prices first) is faster; when its certificate is not tight enough,
    // a cold auction (valid by construction) runs too and the better plan and bound are kept.
    if let Some(a) = auction::auction(problem, AUCTION_EPS, Some(WARM_START)) {
        let mut sol = a.solution;
        let mut value = solver::verify(problem, &sol).unwrap_or(f64::NAN);
        let (mut bound, _) = solver::lagrangian_value(problem, &a.lambda);
        let mut lambda = a.lambda;
        let mut method = format!("auction ({} bids, ε {:.3e})", a.bids, a.eps);
        // A warm start can leave a rep with room at a positive reserve price, which a cold
        // auction would price at 0; the bound at those prices zeroed is valid too and often
        // tighter.
        let unit = problem.leads.workload.iter().copied().fold(f64::INFINITY, f64::min);
        let zeroed: Vec<f64> = (0..problem.n_bins())
            .map(|b| if problem.capacity(b) - sol.load[b] + 1e-9 >= unit { 0.0 } else { lambda[b] })
            .collect();
        if zeroed != lambda {
            let (b2, _) = solver::lagrangian_value(problem, &zeroed);
            if b2 < bound {
                (bound, lambda) = (b2, zeroed);
            }
        }
        // A cold auction costs far more than the warm one; on a large batch the certificate
        // of the warm one is reported as it is.
        if gap(value, bound) && problem.n_items() <= COLD_RETRY_MAX {
            let cold = auction::auction(problem, AUCTION_EPS, None).expect("the warm auction ran");
            let cold_value = solver::verify(problem, &cold.solution).unwrap_or(f64::NAN);
            let (cold_bound, _) = solver::lagrangian_value(problem, &cold.lambda);
            method.push_str(&format!(", then cold ({} bids)", cold.bids));
            if cold_value > value {
                (sol, value) = (cold.solution, cold_value);
            }
            if cold_bound < bound {
                (bound, lambda) = (cold_bound, cold.lambda);
            }
        }
        if sol.floor_shortfall(problem) > 0 {
            solver::fill_floors(problem, &mut sol);
            solver::local_search(problem, &mut sol, false, None);
            value = solver::verify(problem, &sol).unwrap_or(f64::NAN);
            method.push_str(", fairness floors filled, then shifts");
        }
        return Solved { sol, value, bound, lambda, method };
    }
    // Greedy and local search first; perturbation chains only while the bound says the plan
    // may be more than 0.5 % from the best possible one.
    let mut method = "greedy regret, local search".to_string();
    let mut sol = solver::solve(problem, &SolveSettings { rounds: 0, ..s.solve.clone() });
    let mut value = solver::verify(problem, &sol).unwrap_or(f64::NAN);
    let (mut bound, mut lambda) = solver::lagrangian_bound(problem, value, s.bound_iterations, None);
    // Chains re-run the local search from scratch each round: affordable on small batches only.
    if bound - value > 5e-3 * bound.abs() && s.solve.rounds > 0 && problem.n_items() <= 5_000 {
        let better = solver::solve(problem, &s.solve);
        let better_value = solver::verify(problem, &better).unwrap_or(f64::NAN);
        if better_value > value {
            (sol, value) = (better, better_value);
            method.push_str(&format!(", {} perturbation chains", s.solve.chains));
            (bound, lambda) = solver::lagrangian_bound(problem, value, s.bound_iterations, Some(&lambda));
        }
    }
    Solved { sol, value, bound, lambda, method }
}

/// Why a lead is with its rep: kept by its owner before optimising, stays with its owner
/// (and whether the runner-up is better only within the noise), or fills the rep's floor.
struct Why {
    kept: bool,
    stays: bool,
    within_noise: bool,
    at_floor: bool,
}

#[allow(clippy::too_many_arguments)]
fn explain(
    lead: usize,
    rep: usize,
    why: Why,
    p: f64,
    runner_up: Option<(usize, f64)>,
    remaining: &[f64],
    leads: &Leads,
    reps: &Reps,
    skill: &Skill,
) -> String {
    let Why { kept, stays, within_noise, at_floor } = why;
    let id = &reps.id[rep];
    // The segment where this rep's record matters most for this lead.
    let strongest = skill
        .segments
        .iter()
        .filter_map(|s| {
            let col = leads.table.column(s)?;
            let value = leads.table.cell(lead, col).trim();
            skill.segment_effect(id, s, value).map(|e| (s, value, e))
        })
        .max_by(|a, b| a.2.effect.abs().total_cmp(&b.2.effect.abs()));
    let evidence = match strongest {
        Some((s, v, e)) if e.effect.abs() >= 0.05 => {
            let (lo, hi) = e.interval();
            format!(
                "; in {s}={v} {id} won {} of {} deals, skill {:+.2} (90 % interval {lo:+.2} to {hi:+.2})",
                e.wins, e.deals, e.effect
            )
        }
        _ => String::new(),
    };
    let pw = Pw(p);
    let runner_up = runner_up.map(|(r, x)| (r, x, Pw(x)));
    if kept {
        return format!("Kept with its current owner {id} (p_win {pw}){evidence}.");
    }
    match runner_up {
        None => format!("{id} is the only eligible active rep (p_win {pw}){evidence}."),
        Some((r2, p2, p2s)) if stays && within_noise && p2 > p + 1e-12 => format!(
            "Stays with its current owner {id} (p_win {pw}): {} ({p2s}) is not better by more than the noise of the skill estimates{evidence}.",
            reps.id[r2]
        ),
        Some((r2, p2, p2s)) if p2 <= p + 1e-12 => {
            format!("{id} has the best chance to win it (p_win {pw}; runner-up {} {p2s}){evidence}.", reps.id[r2])
        }
        Some((r2, _, p2s)) => {
            let why = if at_floor {
                format!(
                    "{id} needs it to reach its floor of {} leads; {} (p_win {p2s}) does not",
                    reps.min_leads[rep], reps.id[r2]
                )
            } else if remaining[r2] + EPS < leads.workload[lead] {
                format!("{} (p_win {p2s}) is at capacity ({} units)", reps.id[r2], fmt_num(reps.capacity[r2]))
            } else {
                format!("{} (p_win {p2s}) gains more on other leads", reps.id[r2])
            };
            if stays {
                format!("Stays with its current owner {id} (p_win {pw}): {why}{evidence}.")
            } else {
                format!("{id} (p_win {pw}) because {why}{evidence}.")
            }
        }
    }
}
