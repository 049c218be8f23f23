//! Eligibility rules: which reps may take which leads.
//!
//! A rule pairs a lead column with a rep column holding a list (`;` or `,`, spaces
//! ignored: `NA; EMEA`, `NA, EMEA`); the lead's
//! value must be in the rep's list (case and surrounding spaces ignored; an empty list or
//! `*` admits anything). All rules must hold. Leads with the same values in the rule columns
//! form one *class* and share one list of eligible reps, so eligibility is computed once per
//! class, not once per lead × rep.

use std::collections::{HashMap, HashSet};

use anyhow::Result;

use crate::config::Config;
use crate::data::{Leads, Reps, find_column};
use crate::error::InputError;
use crate::io::Table;

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    lead_col: usize,
    lead_header: String,
    rep_header: String,
    /// Per rep: `None` admits any value, else the admitted values, normalised.
    admits: Vec<Option<HashSet<String>>>,
}

/// The compiled rules and the classes of the batch.
#[derive(Debug, Clone)]
pub struct Eligibility {
    rules: Vec<Rule>,
    /// Class of each lead.
    class_of: Vec<u32>,
    /// Per class: the lead values in the rule columns (as first seen) and the eligible reps
    /// (active or not), in rep order.
    classes: Vec<Class>,
}

#[derive(Debug, Clone)]
pub struct Class {
    pub values: Vec<String>,
    pub reps: Vec<usize>,
    /// Reps the rules admit but the lead may not go to, and why (time, an SLA), in rep order.
    pub barred: Vec<(usize, Bar)>,
}

/// Why a rep the rules admit may not take a lead, in words for a person ("R007 is away
/// until Wed 16 Dec …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bar {
    /// The rep cannot start on the lead within the planning horizon.
    Time(String),
    /// The rep owned the lead and missed its SLA.
    Sla(String),
}

impl Bar {
    pub fn words(&self) -> &str {
        match self {
            Bar::Time(s) | Bar::Sla(s) => s,
        }
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Eligibility {
    /// Compiles the config's rules against the two files and classifies the batch.
    pub fn new(cfg: &Config, leads: &Leads, reps: &Reps) -> Result<Eligibility> {
        let mut rules = Vec::with_capacity(cfg.eligibility.len());
        for (i, r) in cfg.eligibility.iter().enumerate() {
            let lead_col = leads
                .table
                .column(&r.lead)
                .ok_or_else(|| missing(cfg, i, "lead", &r.lead, leads.table.path(), "leads"))?;
            let rep_col =
                reps.table.column(&r.rep).ok_or_else(|| missing(cfg, i, "rep", &r.rep, reps.table.path(), "reps"))?;
            let admits = (0..reps.len())
                .map(|row| {
                    let list: HashSet<String> =
                        reps.table.cell(row, rep_col).split([';', ',']).map(norm).filter(|v| !v.is_empty()).collect();
                    if list.is_empty() || list.contains("*") { None } else { Some(list) }
                })
                .collect();
            rules.push(Rule {
                lead_col,
                lead_header: leads.table.headers()[lead_col].clone(),
                rep_header: reps.table.headers()[rep_col].clone(),
                admits,
            });
        }

        let mut class_of = Vec::with_capacity(leads.len());
        let mut classes: Vec<Class> = Vec::new();
        let mut by_key: HashMap<Vec<String>, u32> = HashMap::new();
        for lead in 0..leads.len() {
            let closed = leads.closed[lead];
            let mut key: Vec<String> = rules.iter().map(|r| norm(leads.table.cell(lead, r.lead_col))).collect();
            // A closed deal goes to nobody: a class of its own, with no rep.
            key.push(if closed { "closed" } else { "" }.to_string());
            let next = classes.len() as u32;
            let class = *by_key.entry(key.clone()).or_insert(next);
            if class == next {
                let reps_ok = (0..reps.len())
                    .filter(|&rep| !closed && rules.iter().zip(&key).all(|(r, v)| admits(r, rep, v)))
                    .collect();
                let values = rules.iter().map(|r| leads.table.cell(lead, r.lead_col).trim().to_string()).collect();
                classes.push(Class { values, reps: reps_ok, barred: Vec::new() });
            }
            class_of.push(class);
        }
        Ok(Eligibility { rules, class_of, classes })
    }

    /// The reps row `row` of `table` may go to, the rules compiled for a leads table with
    /// the same columns (a stream of leads compiles them once, on its header). `n_reps`:
    /// the reps file's length.
    pub fn reps_for_row(&self, table: &Table, row: usize, n_reps: usize) -> Vec<usize> {
        self.reps_for_key(&self.row_key(table, row), n_reps)
    }

    /// Row `row`'s values of the rule columns, normalised: rows with the same key have the
    /// same eligible reps.
    pub fn row_key(&self, table: &Table, row: usize) -> Vec<String> {
        self.rules.iter().map(|r| norm(table.cell(row, r.lead_col))).collect()
    }

    /// The reps a row with this [`Eligibility::row_key`] may go to.
    pub fn reps_for_key(&self, key: &[String], n_reps: usize) -> Vec<usize> {
        (0..n_reps).filter(|&rep| self.rules.iter().zip(key).all(|(r, v)| admits(r, rep, v))).collect()
    }

    /// Row `row`'s values of the rule columns, as [`Eligibility::describe`] words them.
    pub fn describe_row(&self, table: &Table, row: usize) -> String {
        self.rules
            .iter()
            .map(|r| {
                let v = table.cell(row, r.lead_col).trim();
                if v.is_empty() { format!("{} (empty)", r.lead_header) } else { format!("{}={v}", r.lead_header) }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }

    /// Index of the class of `lead` (leads of one class have the same eligible reps).
    pub fn class_id(&self, lead: usize) -> usize {
        self.class_of[lead] as usize
    }

    /// Every class of the batch, by index.
    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    /// The class of `lead`.
    pub fn class(&self, lead: usize) -> &Class {
        &self.classes[self.class_of[lead] as usize]
    }

    /// Every rep (active or not) the rules allow for `lead`, in rep order.
    pub fn reps_for(&self, lead: usize) -> &[usize] {
        &self.class(lead).reps
    }

    /// Whether `rep` may take `lead`.
    pub fn allows(&self, lead: usize, rep: usize) -> bool {
        self.reps_for(lead).binary_search(&rep).is_ok()
    }

    /// Narrows the leads' reps further: leads fall into groups (`group_of`, per lead), and
    /// `barred(group, rep)` says why a rep the rules admit may not take a lead of that group
    /// (away for the whole horizon, an SLA missed). Leads of one class and group form a class.
    pub fn restrict(&mut self, group_of: &[u32], barred: impl Fn(u32, usize) -> Option<Bar>) {
        let mut by_key: HashMap<(u32, u32), u32> = HashMap::new();
        let mut classes: Vec<Class> = Vec::new();
        for (lead, class) in self.class_of.iter_mut().enumerate() {
            let key = (*class, group_of[lead]);
            let next = classes.len() as u32;
            let id = *by_key.entry(key).or_insert(next);
            if id == next {
                let old = &self.classes[key.0 as usize];
                let mut reps = Vec::with_capacity(old.reps.len());
                let mut bars = old.barred.clone();
                for &r in &old.reps {
                    match barred(key.1, r) {
                        Some(b) => bars.push((r, b)),
                        None => reps.push(r),
                    }
                }
                bars.sort_by_key(|b| b.0);
                classes.push(Class { values: old.values.clone(), reps, barred: bars });
            }
            *class = id;
        }
        self.classes = classes;
    }

    /// Why `rep` is barred from `lead` though the rules admit it, if it is.
    pub fn bar(&self, lead: usize, rep: usize) -> Option<&Bar> {
        let b = &self.class(lead).barred;
        b.binary_search_by_key(&rep, |x| x.0).ok().map(|i| &b[i].1)
    }

    /// Every rep the rules admit for `lead`, barred or not, in rep order.
    pub fn admitted(&self, lead: usize) -> Vec<usize> {
        let class = self.class(lead);
        let mut all: Vec<usize> = class.reps.iter().copied().chain(class.barred.iter().map(|b| b.0)).collect();
        all.sort_unstable();
        all
    }

    /// The first rule that keeps `rep` from `lead`, described for a person, if any (a bar
    /// of time or an SLA first).
    pub fn blocking_rule(&self, lead: usize, rep: usize) -> Option<String> {
        if let Some(b) = self.bar(lead, rep) {
            return Some(b.words().to_string());
        }
        let class = self.class(lead);
        self.rules
            .iter()
            .zip(&class.values)
            .find(|(r, v)| !admits(r, rep, &norm(v)))
            .map(|(r, v)| format!("{} {v:?} is not in the rep's {} list", r.lead_header, r.rep_header))
    }

    /// "Region=EMEA, Product=core" for the lead's rule columns; empty without rules.
    pub fn describe(&self, lead: usize) -> String {
        let class = self.class(lead);
        self.rules
            .iter()
            .zip(&class.values)
            .map(
                |(r, v)| {
                    if v.is_empty() { format!("{} (empty)", r.lead_header) } else { format!("{}={v}", r.lead_header) }
                },
            )
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Eligibility {
    /// Values the rules cannot match, with counts: a rep list value that no lead of the
    /// batch (nor of `history`, when it has the column) carries — a typo, or a territory
    /// without leads today — and lead values that no rep's list holds.
    pub fn unmatched_warnings(&self, leads: &Leads, reps: &Reps, history: Option<&Table>) -> Vec<String> {
        let mut out = Vec::new();
        let mut size = vec![0usize; self.classes.len()];
        self.class_of.iter().for_each(|&k| size[k as usize] += 1);
        for (i, r) in self.rules.iter().enumerate() {
            let mut seen: HashSet<String> = self.classes.iter().map(|c| norm(&c.values[i])).collect();
            if let Some(h) = history
                && let Some(c) = h.column(&r.lead_header)
            {
                seen.extend((0..h.len()).map(|row| norm(h.cell(row, c))));
            }
            let mut unknown: Vec<(&String, Vec<&str>)> = Vec::new();
            for (rep, list) in r.admits.iter().enumerate() {
                for v in list.iter().flatten().filter(|v| !seen.contains(*v)) {
                    match unknown.iter_mut().find(|(u, _)| *u == v) {
                        Some((_, who)) => who.push(&reps.id[rep]),
                        None => unknown.push((v, vec![&reps.id[rep]])),
                    }
                }
            }
            unknown.sort();
            if !unknown.is_empty() {
                let shown: Vec<String> = unknown
                    .iter()
                    .take(5)
                    .map(|(v, who)| {
                        format!(
                            "{v:?} ({}{})",
                            who[..who.len().min(3)].join(", "),
                            if who.len() > 3 { ", …" } else { "" }
                        )
                    })
                    .collect();
                out.push(format!(
                    "{}: {} {} values match no lead's {}{}: {}{}",
                    reps.table.path().display(),
                    unknown.len(),
                    r.rep_header,
                    r.lead_header,
                    if history.is_some() { " in the batch or the history" } else { " in the batch" },
                    shown.join(", "),
                    if unknown.len() > 5 { ", …" } else { "" }
                ));
            }
            let mut stray: Vec<(&str, usize)> = Vec::new();
            for (class, c) in self.classes.iter().enumerate() {
                let v = norm(&c.values[i]);
                if v.is_empty() || (0..reps.len()).any(|rep| admits(r, rep, &v)) {
                    continue;
                }
                let n = size[class];
                match stray.iter_mut().find(|(s, _)| norm(s) == v) {
                    Some((_, k)) => *k += n,
                    None => stray.push((&c.values[i], n)),
                }
            }
            if !stray.is_empty() {
                stray.sort();
                let total: usize = stray.iter().map(|(_, n)| n).sum();
                let shown: Vec<String> = stray.iter().take(5).map(|(v, n)| format!("{v:?} ({n})")).collect();
                out.push(format!(
                    "{}: {total} leads have a {} that no rep's {} lists ({}{}); they get no_eligible_rep",
                    leads.table.path().display(),
                    r.lead_header,
                    r.rep_header,
                    shown.join(", "),
                    if stray.len() > 5 { ", …" } else { "" }
                ));
            }
        }
        out
    }
}

/// Without a config: reps columns whose values are those of a lead column (say
/// `territories` and `region`), each a rule that is not set, with the config lines that
/// would set it.
pub fn suggested_rules(cfg: &Config, leads: &Leads, reps: &Reps) -> Vec<String> {
    const SAMPLE: usize = 100_000;
    // Codes, not numbers or ids: a column of numbers, or one the config names (ids,
    // capacity, owners), holds no territory.
    let is_code = |v: &String| !v.is_empty() && crate::parse::number(v).is_none();
    let lead_skip: Vec<usize> = ["lead_id", "rep_id", "value", "workload", "created_at", "outcome", "closed_at"]
        .iter()
        .filter_map(|n| find_column(&leads.table, cfg, n))
        .collect();
    let rep_skip: Vec<usize> = ["rep_id", "capacity", "open_leads", "active", "weight", "min_leads"]
        .iter()
        .filter_map(|n| find_column(&reps.table, cfg, n))
        .collect();
    let lead_values: Vec<(usize, HashSet<String>)> = (0..leads.table.headers().len())
        .filter(|c| !lead_skip.contains(c))
        .filter_map(|c| {
            let set: HashSet<String> =
                (0..leads.len().min(SAMPLE)).map(|r| norm(leads.table.cell(r, c))).filter(is_code).collect();
            (set.len() >= 2 && set.len() <= 200).then_some((c, set))
        })
        .collect();
    let mut out = Vec::new();
    for (rc, header) in reps.table.headers().iter().enumerate().filter(|(c, _)| !rep_skip.contains(c)) {
        let rep_values: HashSet<String> = (0..reps.len())
            .flat_map(|r| reps.table.cell(r, rc).split([';', ',']).map(norm).collect::<Vec<_>>())
            .filter(|v| is_code(v) && v != "*")
            .collect();
        if rep_values.len() < 2 {
            continue;
        }
        let best = lead_values
            .iter()
            .map(|(lc, set)| (lc, rep_values.intersection(set).count()))
            .filter(|&(_, shared)| shared * 2 >= rep_values.len() && shared >= 2)
            .max_by_key(|&(lc, shared)| (shared, std::cmp::Reverse(*lc)));
        if let Some((&lc, shared)) = best {
            let lead_header = &leads.table.headers()[lc];
            out.push(format!(
                "no eligibility rule is set (no --config), but {}'s {header:?} holds values of {}'s {lead_header:?} ({shared} \
                 shared); if reps may only take leads whose {lead_header} they list, put this in a config and pass it \
                 with --config:\n[[eligibility]]\nlead = {lead_header:?}\nrep = {header:?}",
                reps.table.path().display(),
                leads.table.path().display(),
            ));
        }
    }
    out
}

fn admits(rule: &Rule, rep: usize, value: &str) -> bool {
    match &rule.admits[rep] {
        None => true,
        Some(list) => list.contains(value),
    }
}

fn missing(cfg: &Config, i: usize, side: &str, col: &str, file: &std::path::Path, what: &str) -> anyhow::Error {
    InputError::at(
        file,
        Some(1),
        format!(
            "eligibility rule {} in {} reads the {what} column {col:?} (`{side} = {col:?}`), which this file does not have",
            i + 1,
            cfg.describe()
        ),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn t(name: &str, headers: &[&str], rows: &[&[&str]]) -> Table {
        Table::from_rows(
            Path::new(name),
            headers.iter().map(|s| s.to_string()).collect(),
            rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
        )
    }

    #[test]
    fn lists_stars_and_case() {
        let cfg = Config::parse("[[eligibility]]\nlead = \"Region\"\nrep = \"Territories\"\n", Path::new("c")).unwrap();
        let leads = Leads::from_table(
            t("l", &["lead_id", "Region"], &[&["a", "NA"], &["b", "emea "], &["c", ""], &["d", "NA"]]),
            &cfg,
        )
        .unwrap();
        let reps = Reps::from_table(
            t(
                "r",
                &["rep_id", "capacity", "Territories"],
                &[&["r1", "1", "NA; EMEA"], &["r2", "1", "*"], &["r3", "1", ""], &["r4", "1", "APAC"]],
            ),
            &cfg,
        )
        .unwrap();
        let e = Eligibility::new(&cfg, &leads, &reps).unwrap();
        assert_eq!(e.reps_for(0), &[0, 1, 2]);
        assert_eq!(e.reps_for(1), &[0, 1, 2]);
        assert_eq!(e.reps_for(2), &[1, 2]);
        assert!(!e.allows(0, 3));
        assert!(e.blocking_rule(0, 3).unwrap().contains("Territories"));
        assert_eq!(e.describe(0), "Region=NA");
        assert_eq!(e.class_of[0], e.class_of[3]);
    }

    #[test]
    fn rule_on_missing_column_is_an_error() {
        let cfg = Config::parse("[[eligibility]]\nlead = \"Region\"\nrep = \"Territories\"\n", Path::new("c")).unwrap();
        let leads = Leads::from_table(t("leads.csv", &["lead_id"], &[&["a"]]), &cfg).unwrap();
        let reps =
            Reps::from_table(t("reps.csv", &["rep_id", "capacity", "Territories"], &[&["r1", "1", ""]]), &cfg).unwrap();
        let err = Eligibility::new(&cfg, &leads, &reps).unwrap_err();
        assert!(err.to_string().starts_with("leads.csv"), "{err}");
        assert!(err.to_string().contains("\"Region\""), "{err}");
    }
}
