//! The HTML report (`--html`): one self-contained file — inline CSS, charts as inline SVG,
//! no scripts, no external assets — readable on a phone and on paper. Rendered with maud,
//! which escapes every interpolated value, so nothing from the input can become markup.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::assign::Plan;
use crate::data::{Leads, Reps};
use crate::fmt::{fmt_num, grouped, pct, thousands};
use crate::report::{LeadDetail, Summary, effect_label};
use crate::skill::Skill;

const CSS: &str = r#"
:root { --ink:#1d2733; --muted:#5b6675; --line:#d9dee5; --accent:#2f6db5; --good:#2e8b57; --bad:#c0392b; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 16px; }
h1 { font-size: 1.6em; margin: .2em 0 .6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 1.45em; font-weight: 600; } .card .k { color: var(--muted); font-size: .85em; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f4f6f9; position: sticky; top: 0; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.warn { border-left: 4px solid var(--bad); background: #fdf3f2; padding: 6px 12px; margin: 12px 0; }
.notes { border-left: 4px solid #2f6db5; background: #f2f6fb; padding: 6px 12px; margin: 12px 0; }
.muted { color: var(--muted); } .tag { display:inline-block; padding: 0 6px; border-radius: 4px; background:#eef2f7; font-size:.85em; }
.tA { background:#d8efe0; } .tB { background:#e6f0d8; } .tC { background:#f6eed5; } .tD { background:#f5dedb; }
.chart { overflow-x: auto; } .chart svg { width: 100%; min-width: 460px; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
details { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
@media print { details { border: none; } th { position: static; } body { max-width: none; } .chart svg { min-width: 0; } tr { break-inside: avoid; } }
"#;

fn card(value: String, label: &str) -> Markup {
    html! { div.card { div.v { (value) } div.k { (label) } } }
}

/// Horizontal bars: `(label, value, outline)` — the outline (e.g. capacity) drawn as an empty
/// bar behind — each with the text shown after it.
fn bars(rows: &[(String, f64, Option<f64>)], texts: &[String]) -> Markup {
    let top = rows.iter().map(|r| r.1.max(r.2.unwrap_or(0.0))).fold(0.0f64, f64::max).max(1e-12);
    let (label_w, bar_w, row_h) = (110.0, 380.0, 22.0);
    let height = row_h * rows.len() as f64 + 10.0;
    let width = label_w + bar_w + 270.0;
    html! {
        svg viewBox=(format!("0 0 {width} {height}")) style=(format!("max-width:{width}px")) role="img" {
            @for (k, (label, v, outline)) in rows.iter().enumerate() {
                @let y = 5.0 + k as f64 * row_h;
                text x=(label_w - 6.0) y=(y + 15.0) text-anchor="end" { (label) }
                @if let Some(o) = outline {
                    rect x=(label_w) y=(y + 3.0) width=(bar_w * o / top) height=(row_h - 6.0) fill="none" stroke="#9aa5b1" {}
                }
                rect x=(label_w) y=(y + 3.0) width=(bar_w * v / top) height=(row_h - 6.0) fill="#2f6db5" {}
                text x=(label_w + bar_w * v.max(outline.unwrap_or(0.0)) / top + 6.0) y=(y + 15.0) {
                    (texts.get(k).map(String::as_str).unwrap_or(""))
                }
            }
        }
    }
}

/// Above this many active reps the load chart is a histogram of utilisation instead of a
/// bar per rep (a 200-bar chart is a scroll, not a picture).
const MAX_BAR_REPS: usize = 40;

/// A histogram of values in [0, 1]; `what` names the things counted, `percent` labels the
/// axis in percent instead of probabilities.
fn histogram(values: &[f64], bins: usize, what: &str, percent: bool) -> Markup {
    let label = |x: f64| if percent { format!("{:.0} %", 100.0 * x) } else { format!("{x:.2}") };
    let mut counts = vec![0usize; bins];
    for &v in values {
        counts[((v * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, pad) = (560.0, 170.0, 28.0);
    let bw = (w - 2.0 * pad) / bins as f64;
    html! {
        svg viewBox=(format!("0 0 {w} {}", h + 24.0)) style=(format!("max-width:{w}px")) role="img" {
            @for (k, c) in counts.iter().enumerate() {
                @let bh = (h - pad) * *c as f64 / top;
                rect x=(pad + k as f64 * bw + 1.0) y=(h - bh) width=(bw - 2.0) height=(bh) fill="#2f6db5" {
                    title { (format!("{}–{}: {c} {what}", label(k as f64 / bins as f64), label((k + 1) as f64 / bins as f64))) }
                }
                @if *c > 0 {
                    text x=(pad + (k as f64 + 0.5) * bw) y=(h - bh - 4.0) text-anchor="middle" { (c) }
                }
            }
            line x1=(pad) y1=(h) x2=(w - pad) y2=(h) stroke="#9aa5b1" {}
            @for t in 0..=4 {
                text x=(pad + (w - 2.0 * pad) * t as f64 / 4.0) y=(h + 16.0) text-anchor="middle" { (label(t as f64 / 4.0)) }
            }
        }
    }
}

/// Rep × segment-value heat map of learned skill effects (log-odds; green better than the
/// lead model expects, red worse), with deals and wins in each cell's tooltip.
fn heat_map(skill: &Skill, segment: &str, reps: &Reps) -> Option<Markup> {
    let mut values: Vec<&str> =
        skill.by_segment.keys().filter(|(_, s, _)| s == segment).map(|(_, _, v)| v.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    if values.is_empty() {
        return None;
    }
    let rows: Vec<usize> = (0..reps.len()).filter(|&r| reps.active[r]).collect();
    let (lw, cw, ch, head) = (110.0, 74.0, 22.0, 26.0);
    let width = lw + cw * values.len() as f64;
    let height = head + ch * rows.len() as f64;
    let color = |e: f64| {
        let t = (e / 0.8).clamp(-1.0, 1.0);
        if t >= 0.0 {
            format!("rgb({},{},{})", (255.0 - 150.0 * t) as u8, (255.0 - 60.0 * t) as u8, (255.0 - 150.0 * t) as u8)
        } else {
            let t = -t;
            format!("rgb({},{},{})", (255.0 - 40.0 * t) as u8, (255.0 - 160.0 * t) as u8, (255.0 - 160.0 * t) as u8)
        }
    };
    Some(html! {
        svg viewBox=(format!("0 0 {width} {height}")) style=(format!("max-width:{width}px")) role="img" {
            @for (k, v) in values.iter().enumerate() {
                text x=(lw + cw * k as f64 + cw / 2.0) y=(head - 8.0) text-anchor="middle" { (v) }
            }
            @for (j, &r) in rows.iter().enumerate() {
                @let y = head + ch * j as f64;
                text x=(lw - 6.0) y=(y + 15.0) text-anchor="end" { (reps.id[r]) }
                @for (k, v) in values.iter().enumerate() {
                    @let e = skill.segment_effect(&reps.id[r], segment, v);
                    @let x = lw + cw * k as f64;
                    @match e {
                        Some(e) => {
                            @let (lo, hi) = e.interval();
                            rect x=(x + 1.0) y=(y + 1.0) width=(cw - 2.0) height=(ch - 2.0) fill=(color(e.effect)) {
                                title { (format!("{}, {segment}={v}: won {} of {} deals; skill {:+.2} (90 % interval {:+.2} to {:+.2})", reps.id[r], e.wins, e.deals, e.effect, lo, hi)) }
                            }
                            text x=(x + cw / 2.0) y=(y + 15.0) text-anchor="middle" { (effect_label(e.effect)) }
                        }
                        None => {
                            rect x=(x + 1.0) y=(y + 1.0) width=(cw - 2.0) height=(ch - 2.0) fill="#f4f6f9" {}
                        }
                    }
                }
            }
        }
    })
}

/// What the HTML report shows beyond the Markdown one.
pub struct HtmlInput<'a> {
    pub summary: &'a Summary,
    pub plan: &'a Plan,
    pub leads: &'a Leads,
    pub reps: &'a Reps,
    pub p_win: &'a [Option<f64>],
    pub detail: &'a LeadDetail<'a>,
    pub skill: Option<&'a Skill>,
}

/// Renders the report.
pub fn render(h: &HtmlInput) -> String {
    let s = h.summary;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Lead routing report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Lead routing report" }
                p.muted { "Policy " strong { (s.policy) } @if let Some(o) = &s.objective { ", maximising expected " (o) } "." }
                div.cards {
                    (card(s.leads.to_string(), "leads in the batch"))
                    (card(s.assigned.to_string(), "assigned"))
                    (card((s.leads - s.assigned).to_string(), "unassigned"))
                    @if let Some(w) = s.expected_wins { (card(format!("{w:.1}"), "expected wins")) }
                    @if let Some(v) = s.expected_value { (card(grouped(v, 0), "expected value")) }
                    @if let Some(g) = s.gap_pct { (card(format!("≤ {g:.2} %"), "from the best possible plan")) }
                    (card(format!("{:.3}", s.gini_leads), "Gini of leads per rep"))
                }
                @if let Some(caps) = crate::report::binding_caps(s) { p { (caps) } }
                @if !s.notes.is_empty() {
                    div.notes { strong { "How the plan was made" } ul { @for n in &s.notes { li { (n) } } } }
                }
                @if !s.warnings.is_empty() {
                    div.warn { strong { "Warnings" } ul { @for w in &s.warnings { li { (w) } } } }
                }
                @if !s.unassigned.is_empty() {
                    h2 { "Unassigned" }
                    table { tr { th { "reason" } th.n { "leads" } }
                        @for (reason, n) in &s.unassigned { tr { td { code { (reason) } } td.n { (n) } } } }
                }
                (policies(s))
                (what_if(s))
                (moves(s))
                (loads(s))
                (scores(h))
                (skill_section(h))
                (queues(h))
                (every_lead(h))
            }
        }
    };
    markup.into_string()
}

/// Each policy's expected value and wins on this batch, as bars and a table.
fn policies(s: &Summary) -> Markup {
    let policy_rows: Vec<(String, f64, Option<f64>)> =
        s.policies.iter().map(|p| (p.policy.clone(), p.expected_value, None)).collect();
    let wins_rows: Vec<(String, f64, Option<f64>)> =
        s.policies.iter().map(|p| (p.policy.clone(), p.expected_wins, None)).collect();
    let wins_texts: Vec<String> = s.policies.iter().map(|p| format!("{:.1} wins", p.expected_wins)).collect();
    let rr = s.policies.iter().find(|p| p.policy == "round-robin").map(|p| p.expected_value);
    let policy_texts: Vec<String> = s
        .policies
        .iter()
        .map(|p| match rr {
            Some(rr) if rr > 0.0 && p.policy != "round-robin" => {
                format!(
                    "{} ({:+.1} % vs round robin)",
                    grouped(p.expected_value, 0),
                    100.0 * (p.expected_value / rr - 1.0)
                )
            }
            _ => grouped(p.expected_value, 0),
        })
        .collect();
    html! {
        @if !s.policies.is_empty() {
            h2 { "Policies compared" }
            h3 { "Expected value by policy" }
            p.muted { "The same batch routed by each policy, every plan scored with the same p_win." }
            div.chart { (bars(&policy_rows, &policy_texts)) }
            h3 { "Expected wins by policy" }
            div.chart { (bars(&wins_rows, &wins_texts)) }
            div.scroll { table {
                tr { th { "policy" } th.n { "assigned" } th.n { "expected wins" } th.n { "expected value" } }
                @for p in &s.policies { tr { td { (p.policy) } td.n { (p.assigned) } td.n { (format!("{:.1}", p.expected_wins)) } td.n { (grouped(p.expected_value, 0)) } } }
            } }
        }
    }
}

/// The what-if scenarios against this plan.
fn what_if(s: &Summary) -> Markup {
    html! {
        @if !s.what_if.is_empty() {
            h2 { "What if" }
            p.muted { "Each scenario re-plans the batch with the same policy and compares with this plan." }
            div.scroll { table {
                tr { th { "scenario" } th.n { "assigned" } th.n { "expected wins" } th.n { "expected value" } th.n { "leads changing rep" } th.n { "leaving their owner" } }
                @for w in &s.what_if {
                    tr {
                        td { code { (w.change) } }
                        td.n { (format!("{:+}", w.assigned_change)) }
                        td.n { @if let Some(x) = w.expected_wins_change { (format!("{x:+.2}")) } }
                        td.n { @if let Some(x) = w.expected_value_change { (if x < 0.0 { "−" } else { "+" }) (grouped(x.abs(), 0)) } }
                        td.n { (w.leads_changing_rep) }
                        td.n { @if let Some(m) = w.moves_change { (format!("{m:+}")) } }
                    }
                }
            } }
        }
    }
}

/// The leads that leave their current owner, and why.
fn moves(s: &Summary) -> Markup {
    html! {
        @if !s.moves.is_empty() {
            h2 { "Leads that move" }
            p.muted { (s.moves.len()) " leads leave their current owner." }
            div.scroll { table {
                tr { th { "lead" } th { "from" } th { "to" } th { "why" } }
                @for m in &s.moves {
                    tr { td { (m.lead_id) } td { (m.from) } td { @match &m.to { Some(t) => (t), None => "— (unassigned)" } } td { (m.why) } }
                }
            } }
        }
    }
}

/// Each active rep's load against its capacity (bars, or a histogram when there are many
/// reps), and the reps' table.
fn loads(s: &Summary) -> Markup {
    let load_texts: Vec<String> = s
        .reps
        .iter()
        .filter(|r| r.active)
        .map(|r| format!("{} / {} units", fmt_num(r.load), fmt_num(r.capacity)))
        .collect();
    let load_rows: Vec<(String, f64, Option<f64>)> =
        s.reps.iter().filter(|r| r.active).map(|r| (r.rep_id.clone(), r.load, Some(r.capacity))).collect();
    html! {
        h2 { "Load against capacity" }
        @if load_rows.len() <= MAX_BAR_REPS {
            p.muted { "Filled: workload given in this batch; outline: capacity." }
            div.chart { (bars(&load_rows, &load_texts)) }
        } @else {
            @let util: Vec<f64> = s.reps.iter().filter(|r| r.active && r.capacity > 0.0).map(|r| (r.load / r.capacity).min(1.0)).collect();
            @let full = s.reps.iter().filter(|r| r.active && r.at_capacity).count();
            @let idle = s.reps.iter().filter(|r| r.active && r.leads == 0).count();
            p.muted {
                "Active reps by how much of their capacity this batch uses: " (full) " of " (load_rows.len()) " are full"
                @if idle > 0 { ", " (idle) " got no lead" } ". Each rep's figures are in the table below."
            }
            div.chart { (histogram(&util, 10, "reps", true)) }
        }
        div.scroll { table {
            tr { th { "rep" } th.n { "load / capacity" } th.n { "leads" } th.n { "share of leads" } th.n { "expected wins" } th.n { "share of value" } th { "capacity binds" } th.n { "one more unit is worth" } }
            @for r in &s.reps {
                tr {
                    td { (r.rep_id) @if !r.active { " " span.tag { "inactive" } } }
                    td.n { (fmt_num(r.load)) " / " (fmt_num(r.capacity)) }
                    td.n { (r.leads) @if r.min_leads > 0 { span.muted { " (floor " (r.min_leads) ")" } } }
                    td.n { (pct(r.share_leads)) }
                    td.n { (format!("{:.1}", r.expected_wins)) }
                    td.n { (pct(r.share_value)) }
                    td { @if r.at_capacity { "yes" } }
                    td.n { @if let Some(p) = r.shadow_price.filter(|p| r.at_capacity && *p > 0.0) { (format!("{p:.3}")) } }
                }
            }
        } }
    }
}

/// The calibrated scores' histogram, when the batch was scored.
fn scores(h: &HtmlInput) -> Markup {
    html! {
        @if let Some(scores) = h.detail.scores {
            h2 { "Score distribution" }
            p.muted { "Calibrated probability to convert, leads per band." }
            div.chart { (histogram(scores, 20, "leads", false)) }
        }
    }
}

/// Skill heat maps by segment and the evidence behind them, when skill was learned.
fn skill_section(h: &HtmlInput) -> Markup {
    let reps = h.reps;
    html! {
        @if let Some(skill) = h.skill {
            @if !skill.segments.is_empty() {
                h2 { "Skill by rep and segment" }
                @for line in crate::report::skill_summary(skill) { p { (line) } }
                p.muted { "How much better (green) or worse (red) than the lead model expects each rep did, on the log-odds scale, shrunk toward the rep's overall effect. Hover a cell for deals, wins and the 90 % interval." }
                @for seg in &skill.segments {
                    @if let Some(m) = heat_map(skill, seg, reps) { h3 { (seg) } div.chart { (m) } }
                }
                details {
                    summary { "The evidence: deals, wins and intervals" }
                    div.scroll { table {
                        tr { th { "rep" } th { "segment" } th { "value" } th.n { "deals" } th.n { "won" } th.n { "win rate" } th.n { "model expected" } th.n { "skill" } th { "90 % interval" } }
                        @for r in crate::report::skill_rows(skill, reps) {
                            tr {
                                td { (r.rep) } td { (r.segment) } td { (r.value) }
                                td.n { (r.deals) } td.n { (r.wins) }
                                td.n { @if r.deals > 0 { (pct(r.wins as f64 / r.deals as f64)) } }
                                td.n { (format!("{:.1}", r.expected_wins)) }
                                td.n { (effect_label(r.effect)) }
                                td { (format!("{:+.2} to {:+.2}", r.interval.0, r.interval.1)) }
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// Each rep's leads in priority order.
fn queues(h: &HtmlInput) -> Markup {
    let (plan, leads, reps) = (h.plan, h.leads, h.reps);
    let mut by_rep: Vec<Vec<usize>> = vec![Vec::new(); reps.len()];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            by_rep[r].push(l);
        }
    }
    for q in by_rep.iter_mut() {
        q.sort_by_key(|&l| h.detail.rank[l]);
    }
    html! {
        h2 { "Work queues" }
        p.muted { "Each rep's leads in priority order." }
        @for (r, q) in by_rep.iter().enumerate() {
            @if !q.is_empty() {
                details open {
                    summary { (reps.id[r]) span.muted { " — " (q.len()) " leads" @if let Some(mix) = h.detail.segment_mix.get(r) { @if !mix.is_empty() { " · " (mix) } } } }
                    div.scroll { table {
                        tr { th.n { "#" } th { "lead" } th { "tier" } th.n { "p_win" } th.n { "value" } th { "talking points" } th { "why" } }
                        @for (k, &l) in q.iter().take_while(|&&l| h.detail.shows(l)).enumerate() {
                            tr {
                                td.n { (k + 1) } td { (leads.id[l]) }
                                td { span class=(format!("tag t{}", h.detail.tier[l])) { (h.detail.tier[l]) } }
                                td.n { @if let Some(p) = h.p_win[l] { (format!("{p:.2}")) } }
                                td.n { (grouped(leads.value[l], 0)) }
                                td { @if let Some(t) = h.detail.talking { (t[l]) } }
                                td { (plan.decisions[l].explanation) }
                            }
                        }
                    } }
                    @let hidden = q.iter().filter(|&&l| !h.detail.shows(l)).count();
                    @if hidden > 0 { p.muted { "… and " (thousands(hidden)) " more leads of lower priority." } }
                }
            }
        }
    }
}

/// Every lead (or the top ones of a large batch): score, factors, rep, runner-up, decision.
fn every_lead(h: &HtmlInput) -> Markup {
    let (plan, leads, reps) = (h.plan, h.leads, h.reps);
    html! {
        h2 { "Every lead" }
        @if let Some(note) = h.detail.cut_note() { p.muted { (note) } }
        div.scroll { table {
            tr { th { "lead" } th.n { "rank" } th { "tier" } th.n { "score" } th { "top factors" } th { "rep" } th.n { "p_win" } th { "runner-up" } th { "decision" } }
            @for (l, d) in plan.decisions.iter().enumerate().filter(|&(l, _)| h.detail.shows(l)) {
                tr {
                    td { (leads.id[l]) }
                    td.n { (h.detail.rank[l]) }
                    td { span class=(format!("tag t{}", h.detail.tier[l])) { (h.detail.tier[l]) } }
                    td.n { @if let Some(sc) = h.detail.scores { (format!("{:.2}", sc[l])) } }
                    td { @if let Some(f) = h.detail.factors { (f[l]) } }
                    td { @match d.rep { Some(r) => (reps.id[r]), None => "—" } }
                    td.n { @if let Some(p) = h.p_win[l] { (format!("{p:.2}")) } }
                    td { @if let Some((r, p)) = h.detail.runner_up.and_then(|ru| ru[l]) { (reps.id[r]) @if p.is_finite() { " (" (format!("{p:.2}")) ")" } } }
                    td { @if let Some(reason) = d.reason { code { (reason.code()) } ": " } (d.explanation) }
                }
            }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(grouped(2661985.5, 0), "2,661,986");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-1234.5, 1), "-1,234.5");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(effect_label(-0.001), "0");
        assert_eq!(effect_label(0.31), "+0.31");
    }

    #[test]
    fn bars_and_histogram_are_svg() {
        let b = bars(&[("a<b".into(), 2.0, Some(4.0)), ("c".into(), 4.0, None)], &["2 / 4".into()]).into_string();
        assert!(b.starts_with("<svg") && b.contains("a&lt;b") && !b.contains("a<b"));
        let hst = histogram(&[0.0, 0.5, 0.99, 1.0], 4, "leads", false).into_string();
        assert_eq!(hst.matches("<rect").count(), 4);
    }
}
