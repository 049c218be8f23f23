//! The HTML report (`--html`): one self-contained file — inline CSS, no scripts, no external
//! assets — readable from a 360 px phone to a desktop and on paper. Bar charts are HTML
//! (their text keeps the page's size at any width), the calibration chart is a small SVG
//! that never scales its text below the page's, tables scroll inside their own box or turn
//! into cards on a phone, and nothing needs a hover. Rendered with maud, which escapes every
//! interpolated value, so nothing from the input can become markup.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::data::Reps;
use crate::fmt::{amount, fmt_num, gap_words, grouped, odds_words, pct, thousands};
use crate::model::metrics::HeldOutQuality;
use crate::report::{self, PolicyLine, ReportInput, Summary, effect_label};
use crate::skill::Skill;

const CSS: &str = r#"
:root { --ink:#1d2733; --muted:#5b6675; --line:#d9dee5; --accent:#2f6db5; --good:#2e8b57; --bad:#c0392b; --head:#f4f6f9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 16px; overflow-wrap: break-word; }
h1 { font-size: 1.6em; margin: .2em 0 .4em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
p { margin: .5em 0; } small, .small { font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 1.45em; font-weight: 600; } .card .k { color: var(--muted); font-size: 13px; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.warn { border-left: 4px solid var(--bad); background: #fdf3f2; padding: 6px 12px; margin: 12px 0; }
.notes { border-left: 4px solid var(--accent); background: #f2f6fb; padding: 6px 12px; margin: 12px 0; }
.muted { color: var(--muted); } .tag { display:inline-block; padding: 0 6px; border-radius: 4px; background:#eef2f7; font-size: 12px; }
.tA { background:#d8efe0; } .tB { background:#e6f0d8; } .tC { background:#f6eed5; } .tD { background:#f5dedb; }
details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
details > summary { cursor: pointer; padding: 10px 12px; min-height: 44px; list-style-position: outside; margin-left: 14px; }
details > summary b { font-weight: 600; } details[open] > summary { border-bottom: 1px solid var(--line); }
details > .body { padding: 6px 10px 10px; }
/* bar charts: label, figure, then the bar; on a phone the bar goes under its label */
.bars { display: grid; grid-template-columns: minmax(5em, max-content) minmax(6em, 1fr) minmax(5em, max-content);
        grid-auto-flow: dense; gap: 4px 10px; align-items: center; font-size: 13px; margin: 8px 0 14px; max-width: 900px; }
.bars .l { text-align: right; } .bars .x { font-variant-numeric: tabular-nums; }
.bars .t { position: relative; height: 16px; grid-column: 2; grid-row: auto; }
.bars .o { position: absolute; inset: 0 auto 0 0; border: 1px solid #9aa5b1; border-radius: 2px; }
.bars .f { position: absolute; inset: 2px auto 2px 0; background: var(--accent); border-radius: 2px; min-width: 1px; }
.bars .row { display: contents; }
.bars .row > .l { grid-column: 1; } .bars .row > .t { grid-column: 2; } .bars .row > .x { grid-column: 3; }
.chart { max-width: 460px; } .chart svg { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
/* heat map: sticky header and rep column inside its own scrolling box */
.heat { max-height: 80vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; margin: 6px 0 14px; }
.heat table { width: auto; min-width: 100%; font-size: 13px; }
.heat th { position: sticky; top: 0; z-index: 2; white-space: nowrap; }
.heat th:first-child, .heat td:first-child { position: sticky; left: 0; z-index: 1; background: #fff; font-weight: 600; }
.heat th:first-child { z-index: 3; background: var(--head); }
.heat td { text-align: center; white-space: nowrap; min-width: 4.2em; }
.heat td small { display: block; color: var(--muted); }
.heat td.z { color: var(--muted); } .heat td.none { background: repeating-linear-gradient(45deg,#fff,#fff 4px,#f1f3f6 4px,#f1f3f6 8px); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; margin: 6px 0; align-items: center; }
.legend span.sw { display: inline-block; width: 1.6em; height: 1em; vertical-align: -2px; border: 1px solid var(--line); margin-right: 4px; }
@media (max-width: 640px) {
  body { padding: 12px; }
  .bars.wide { grid-template-columns: 1fr max-content; gap: 2px 8px; }
  .bars.wide .row > .l { grid-column: 1; text-align: left; } .bars.wide .row > .x { grid-column: 2; text-align: right; }
  .bars.wide .row > .t { grid-column: 1 / span 2; margin-bottom: 6px; }
  .bars { grid-template-columns: max-content minmax(4em, 1fr) max-content; gap: 3px 6px; }
  /* long tables become one card per row */
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr:first-child { display: none; }
  table.stack tr { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 4px 0; }
  table.stack td { border: none; padding: 2px 10px; text-align: left; white-space: normal; }
  table.stack td[data-k]::before { content: attr(data-k) ": "; color: var(--muted); }
}
@media print { details { border: none; } .heat { max-height: none; overflow: visible; } .heat th { position: static; }
  body { max-width: none; } tr { break-inside: avoid; } }
"#;

fn card(value: String, label: &str) -> Markup {
    html! { div.card { div.v { (value) } div.k { (label) } } }
}

/// One bar of a chart: a label, the filled amount, an optional outline behind it (e.g.
/// capacity) and the figure written beside it.
struct Bar {
    label: String,
    value: f64,
    outline: Option<f64>,
    text: String,
}

/// Horizontal bars in HTML: widths in percent of the largest amount, so the chart fits any
/// screen and its text stays the page's size. Bars with long labels or figures put the bar
/// under them on a phone.
fn bars(rows: &[Bar]) -> Markup {
    let long = rows.iter().any(|b| b.label.chars().count() > 14 || b.text.chars().count() > 18);
    let top = rows.iter().map(|r| r.value.max(r.outline.unwrap_or(0.0))).fold(0.0f64, f64::max).max(1e-12);
    let w = |x: f64| format!("width:{:.1}%", (100.0 * x / top).clamp(0.0, 100.0));
    html! {
        div.bars.wide[long] role="img" {
            @for b in rows {
                div.row {
                    div.l { (b.label) }
                    div.x { (b.text) }
                    div.t {
                        @if let Some(o) = b.outline { div.o style=(w(o)) {} }
                        div.f style=(w(b.value)) {}
                    }
                }
            }
        }
    }
}

/// A histogram of values in [0, 1] as horizontal bars, one per band; `what` names the
/// things counted, `percent` labels the bands in percent instead of probabilities. Empty
/// bands at either end are left out.
fn histogram(values: &[f64], bins: usize, what: &str, percent: bool) -> Markup {
    let label = |x: f64| if percent { format!("{:.0} %", 100.0 * x) } else { format!("{x:.2}") };
    let mut counts = vec![0usize; bins];
    for &v in values {
        counts[((v * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let last = counts.iter().rposition(|&c| c > 0).unwrap_or(0);
    let rows: Vec<Bar> = (first..=last)
        .map(|k| Bar {
            label: format!("{}–{}", label(k as f64 / bins as f64), label((k + 1) as f64 / bins as f64)),
            value: counts[k] as f64,
            outline: None,
            text: format!(
                "{} {}",
                thousands(counts[k]),
                if counts[k] == 1 { what.trim_end_matches('s') } else { what }
            ),
        })
        .collect();
    bars(&rows)
}

/// Predicted against observed win rate by tenth of the predictions, with the diagonal of
/// perfect calibration. Drawn at the size it is read at (320 units wide, shown at most
/// 460 px), so its 11-unit text is at least 11 px on a 360 px phone.
fn calibration_chart(q: &HeldOutQuality) -> Markup {
    let top_raw = q.calibration.iter().map(|c| c.mean_predicted.max(c.observed_rate)).fold(0.0f64, f64::max);
    let top = ((top_raw * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let (w, h, left, bottom, pad) = (320.0, 240.0, 40.0, 34.0, 12.0);
    let (pw, ph) = (w - left - pad, h - bottom - pad);
    let x = |v: f64| left + pw * v / top;
    let y = |v: f64| pad + ph * (1.0 - v / top);
    let step = if top <= 0.2 {
        0.05
    } else if top <= 0.7 {
        0.1
    } else {
        0.2
    };
    let ticks: Vec<f64> = (0..).map(|k| k as f64 * step).take_while(|t| *t <= top + 1e-9).collect();
    let points: Vec<String> =
        q.calibration.iter().map(|c| format!("{:.1},{:.1}", x(c.mean_predicted), y(c.observed_rate))).collect();
    html! {
        svg viewBox=(format!("0 0 {w} {h}")) role="img" aria-label="Calibration: predicted against observed win rate by tenth" {
            rect x=(left) y=(pad) width=(pw) height=(ph) fill="none" stroke="#d9dee5" {}
            line x1=(x(0.0)) y1=(y(0.0)) x2=(x(top)) y2=(y(top)) stroke="#9aa5b1" stroke-dasharray="4 3" {}
            @for t in &ticks {
                text x=(x(*t)) y=(h - bottom + 16.0) text-anchor="middle" { (format!("{:.0}%", 100.0 * t)) }
                text x=(left - 5.0) y=(y(*t) + 4.0) text-anchor="end" { (format!("{:.0}%", 100.0 * t)) }
            }
            text x=(left + pw / 2.0) y=(h - 4.0) text-anchor="middle" { "predicted" }
            text x=(12.0) y=(pad + ph / 2.0) text-anchor="middle" transform=(format!("rotate(-90 12 {})", pad + ph / 2.0)) { "observed" }
            polyline points=(points.join(" ")) fill="none" stroke="#2f6db5" stroke-width="2" {}
            @for c in &q.calibration {
                circle cx=(x(c.mean_predicted)) cy=(y(c.observed_rate)) r="3.5" fill="#2f6db5" {}
            }
        }
    }
}

/// Renders the report.
pub fn render(r: &ReportInput) -> String {
    let s = r.summary;
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
                p.muted {
                    "Policy " strong { (s.policy) } @if let Some(o) = &s.objective { ", maximising expected " (o) }
                    " · written " (r.run.generated) " · leadroute " (r.run.version)
                }
                (headline(s))
                @if !s.notes.is_empty() {
                    div.notes { strong { "How the plan was made" } ul { @for n in &s.notes { li { (n) } } } }
                }
                @if !s.warnings.is_empty() {
                    div.warn { strong { "Warnings" } ul { @for w in &s.warnings { li { (w) } } } }
                }
                (time_section(s))
                (policies(s))
                (loads(s))
                (scores(r))
                (model_section(r))
                (skill_section(r))
                (what_if(s))
                (moves(s))
                (unassigned(r))
                (queues(r))
                (run_section(r))
            }
        }
    };
    markup.into_string()
}

/// The figures a reader wants first, as cards, and the sentence on binding capacity.
fn headline(s: &Summary) -> Markup {
    let closed = s.unassigned.get("closed_deal").copied().unwrap_or(0);
    let left_out = s.leads - s.assigned - closed;
    html! {
        div.cards {
            (card(thousands(s.leads), "leads in the batch"))
            (card(thousands(s.assigned), "assigned"))
            (card(thousands(left_out), "not assigned (reasons below)"))
            @if closed > 0 { (card(thousands(closed), "closed already, not routed")) }
            @if let Some(w) = s.expected_wins { (card(grouped(w, 1), "expected wins")) }
            @if let Some(v) = s.expected_value { (card(grouped(v, 0), "expected value")) }
            @if let Some(g) = s.gap_pct { (card(gap_pct_short(g), &gap_words(g))) }
            (card(format!("{:.2}", s.gini_leads), "Gini of leads per rep (0 = equal)"))
        }
        @if let Some(caps) = report::binding_caps(s) { p { (caps) } }
    }
}

/// The gap as a card's big figure: "≤ 0.13 %", "< 0.01 %" or "0 %".
fn gap_pct_short(g: f64) -> String {
    if g <= 0.0 {
        "0 %".into()
    } else if g < 0.01 {
        "< 0.01 %".into()
    } else {
        format!("≤ {:.2} %", (g * 100.0).ceil() / 100.0)
    }
}

/// Time-aware routing: the clock, what waiting costs, the waits the plan accepted, who is
/// not at work and the SLAs missed.
fn time_section(s: &Summary) -> Markup {
    let Some(t) = &s.time else { return html! {} };
    let assigned: usize = t.waits.iter().map(|w| w.1).sum();
    let wait_bars: Vec<Bar> = t
        .waits
        .iter()
        .map(|(band, n)| Bar {
            label: band.clone(),
            value: *n as f64,
            outline: None,
            text: format!("{} leads ({})", thousands(*n), pct(*n as f64 / assigned.max(1) as f64)),
        })
        .collect();
    let hours = |h: f64| format!("{} h", crate::timing::fmt_hours(h));
    let rows = html! {
        div.scroll { table.stack {
            tr { th { "rep" } th { "time zone" } th { "working hours" } th { "when the plan starts" } th.n { "leads" } }
            @for r in &t.reps_not_at_work {
                tr {
                    td { b { (r.rep_id) } }
                    td data-k="time zone" { (r.time_zone) }
                    td data-k="hours" { (r.working_hours) }
                    td data-k="state" { (r.state) }
                    td.n data-k="leads" { (r.leads) }
                }
            }
        } }
    };
    html! {
        h2 { "Time" }
        p {
            "The plan takes effect at " b { (t.at) } "; a rep who cannot start on a lead within "
            (crate::timing::fmt_hours(t.horizon_hours)) " hours does not get it. "
            b { (t.decay_words()) } " (" (t.half_life_source) ")."
        }
        @if let Some(e) = &t.estimate { p.muted { "From the history: " (e) "." } }
        div.cards {
            @if let Some(m) = t.median_wait_hours { (card(hours(m), "median wait for the rep")) }
            @if let Some(m) = t.p90_wait_hours { (card(hours(m), "90th percentile wait")) }
            @if let Some(d) = t.median_delay_hours { (card(hours(d), "median from creation to the first call")) }
            (card(thousands(t.away_for_horizon.len()), "reps away for the whole horizon (no leads)"))
        }
        h3 { "How long assigned leads wait for their rep" }
        (bars(&wait_bars))
        @if !t.away_for_horizon.is_empty() {
            p { b { "No leads for " (t.away_for_horizon.len()) " reps who cannot start within the horizon: " } (t.away_for_horizon.join(", ")) }
        }
        @if let Some(sla) = &t.sla {
            p {
                b { "SLA " (hours(sla.hours)) } " (" (sla.clock) " hours): " (sla.missed) " owned leads untouched past it leave their owner; "
                (sla.reassigned) " of them go to another rep."
                @if sla.unchecked > 0 { " " (sla.unchecked) " owned leads have no assigned_at and are not checked." }
            }
        }
        @if !t.reps_not_at_work.is_empty() {
            @if t.reps_not_at_work.len() <= OPEN_ROWS {
                h3 { "Active reps not at work when the plan starts" }
                (rows)
            } @else {
                details {
                    summary { b { (t.reps_not_at_work.len()) " active reps are not at work when the plan starts" } span.muted { " — off shift or away, with when they are back; tap to list them" } }
                    div.body { (rows) }
                }
            }
        }
    }
}

/// Each policy's expected value and wins on this batch, as bars.
fn policies(s: &Summary) -> Markup {
    let rr = s.policies.iter().find(|p| p.policy == "round-robin").map(|p| p.expected_value);
    let bars_of = |value: fn(&PolicyLine) -> f64, text: &dyn Fn(&PolicyLine) -> String| -> Vec<Bar> {
        s.policies
            .iter()
            .map(|p| Bar { label: p.policy.clone(), value: value(p), outline: None, text: text(p) })
            .collect()
    };
    let value_bars = bars_of(|p| p.expected_value, &|p| match rr {
        Some(rr) if rr > 0.0 && p.policy != "round-robin" => {
            format!("{} ({:+.1} % vs round robin)", grouped(p.expected_value, 0), 100.0 * (p.expected_value / rr - 1.0))
        }
        _ => grouped(p.expected_value, 0),
    });
    let win_bars = bars_of(|p| p.expected_wins, &|p| format!("{} wins", grouped(p.expected_wins, 1)));
    html! {
        @if !s.policies.is_empty() {
            h2 { "Policies compared" }
            p.muted { "The same batch routed by each policy, every plan scored with the same p_win." }
            h3 { "Expected value" }
            (bars(&value_bars))
            h3 { "Expected wins" }
            (bars(&win_bars))
        }
    }
}

/// The what-if scenarios against this plan.
fn what_if(s: &Summary) -> Markup {
    html! {
        @if !s.what_if.is_empty() {
            h2 { "What if" }
            p.muted { "Each scenario re-plans the batch with the same policy and compares with this plan." }
            div.scroll { table.stack {
                tr { th { "scenario" } th.n { "assigned" } th.n { "expected wins" } th.n { "expected value" } th.n { "leads changing rep" } th.n { "leaving their owner" } }
                @for w in &s.what_if {
                    tr {
                        td { code { (w.change) } }
                        td.n data-k="assigned" { (format!("{:+}", w.assigned_change)) }
                        td.n data-k="expected wins" { @if let Some(x) = w.expected_wins_change { (format!("{x:+.2}")) } }
                        td.n data-k="expected value" { @if let Some(x) = w.expected_value_change { (report::signed_amount(x)) } }
                        td.n data-k="leads changing rep" { (w.leads_changing_rep) }
                        td.n data-k="leaving their owner" { @if let Some(m) = w.moves_change { (format!("{m:+}")) } }
                    }
                }
            } }
        }
    }
}

/// Above this many rows a table of leads starts folded.
const OPEN_ROWS: usize = 12;

/// The leads that leave their current owner, and why (folded when there are many).
fn moves(s: &Summary) -> Markup {
    let table = html! {
        div.scroll { table.stack {
            tr { th { "lead" } th { "from → to" } th { "why" } }
            @for m in &s.moves {
                tr {
                    td { b { (m.lead_id) } }
                    td data-k="move" { (m.from) " → " @match &m.to { Some(t) => (t), None => "nobody (unassigned)" } }
                    td { (m.why) }
                }
            }
        } }
    };
    html! {
        @if !s.moves.is_empty() {
            h2 { "Leads that move" }
            @if s.moves.len() <= OPEN_ROWS {
                p.muted { (s.moves.len()) " leads leave their current owner." }
                (table)
            } @else {
                details {
                    summary { b { (thousands(s.moves.len())) " leads leave their current owner" } span.muted { " — each with what it gains; tap to list them" } }
                    div.body { (table) }
                }
            }
        }
    }
}

/// Each active rep's load against its capacity (bars, or a histogram when there are many
/// reps), and the reps' table.
fn loads(s: &Summary) -> Markup {
    let active: Vec<&report::RepLine> = s.reps.iter().filter(|r| r.active).collect();
    let load_bars: Vec<Bar> = active
        .iter()
        .map(|r| Bar {
            label: r.rep_id.clone(),
            value: r.load,
            outline: Some(r.capacity),
            text: format!("{} / {}", fmt_num(r.load), fmt_num(r.capacity)),
        })
        .collect();
    let table = html! {
        div.scroll { table {
            tr { th { "rep" } th.n { "load / capacity" } th.n { "leads" } th.n { "share of leads" } th.n { "expected wins" } th.n { "share of value" } th { "capacity binds" } th.n { "one more unit is worth" } }
            @for r in &s.reps {
                tr {
                    td { b { (r.rep_id) } @if !r.active { " " span.tag { "inactive" } } }
                    td.n data-k="load / capacity" { (fmt_num(r.load)) " / " (fmt_num(r.capacity)) }
                    td.n data-k="leads" { (thousands(r.leads)) @if r.min_leads > 0 { span.muted { " (floor " (r.min_leads) ")" } } }
                    td.n data-k="share of leads" { (pct(r.share_leads)) }
                    td.n data-k="expected wins" { (grouped(r.expected_wins, 1)) }
                    td.n data-k="share of value" { (pct(r.share_value)) }
                    td data-k="capacity binds" { @if r.at_capacity { "yes" } @else { "no" } }
                    td.n data-k="one more unit is worth" { @if let Some(p) = r.shadow_price.filter(|p| r.at_capacity && *p > 0.0) { (amount(p)) } }
                }
            }
        } }
    };
    html! {
        h2 { "Load against capacity" }
        @if load_bars.len() <= MAX_BAR_REPS {
            p.muted { "Filled: workload given in this batch; outline: capacity." }
            (bars(&load_bars))
        } @else {
            @let util: Vec<f64> = active.iter().filter(|r| r.capacity > 0.0).map(|r| (r.load / r.capacity).min(1.0)).collect();
            @let full = active.iter().filter(|r| r.at_capacity).count();
            @let idle = active.iter().filter(|r| r.leads == 0).count();
            p.muted {
                "Active reps by how much of their capacity this batch uses: " (full) " of " (active.len()) " are full"
                @if idle > 0 { ", " (idle) " got no lead" } "."
            }
            (histogram(&util, 10, "reps", true))
        }
        @if s.reps.len() <= OPEN_ROWS { (table) } @else {
            details { summary { b { "Every rep's figures" } span.muted { " — " (s.reps.len()) " reps: load, shares, expected wins, the price of more capacity" } } div.body { (table) } }
        }
    }
}

/// Above this many active reps the load chart is a histogram of utilisation instead of a
/// bar per rep (a 200-bar chart is a scroll, not a picture).
const MAX_BAR_REPS: usize = 40;

/// The calibrated scores' histogram, when the batch was scored.
fn scores(r: &ReportInput) -> Markup {
    html! {
        @if let Some(scores) = r.detail.scores {
            h2 { "Score distribution" }
            p.muted { "Calibrated probability to convert: how many leads of the batch fall in each band." }
            (histogram(scores, 20, "leads", false))
        }
    }
}

/// The lead model's held-out quality and the rep-skill spreads.
fn model_section(r: &ReportInput) -> Markup {
    let Some(m) = r.model else { return html! {} };
    let q = &m.metrics.quality;
    html! {
        h2 { "Model quality" }
        p.muted {
            "Measured on " (thousands(m.metrics.valid_rows)) " closed deals the model did not learn from ("
            (if m.metrics.split == "time" { "the most recent ones" } else { "a random share" }) "); trained " (m.trained_at.replace('T', " ").replace('Z', " UTC")) "."
        }
        @for line in report::quality_lines(q, m.metrics.valid_rows) { p { (line) } }
        h3 { "Calibration" }
        p.muted { "Each dot is a tenth of the held-out deals: the win rate the model predicted (across) against the one observed (up). On the dashed line the scores mean what they say." }
        div.chart { (calibration_chart(q)) }
        @if let Some(skill) = r.shown_skill().filter(|s| !s.spreads.is_empty()) {
            h3 { "Rep skill" }
            p.muted { "How far apart reps are once lead quality is accounted for (standard deviation of their effects, log-odds), and whether the history can tell that from no difference at all (5 % level)." }
            div.scroll { table {
                tr { th { "reps differ" } th.n { "spread" } th { "one sd is" } th.n { "p" } th { "distinguishable" } }
                @for row in report::spread_rows(skill) {
                    tr { td { (row.over) } td.n { (format!("{:.2}", row.sd)) } td { (odds_words(row.sd)) } td.n { (row.p_text()) } td { @if row.distinguishable() { "yes" } @else { "no" } } }
                }
            } }
        }
    }
}

/// Reps per block of the heat map: a large team is shown as several short tables.
const HEAT_BLOCK: usize = 30;

/// Rep × segment-value heat map of learned skill effects with each rep's overall effect:
/// a cell is coloured only when its 90 % interval excludes zero; every cell shows its
/// wins and deals, so nothing needs a hover.
fn heat_map(skill: &Skill, segment: &str, reps: &Reps) -> Option<Markup> {
    let mut values: Vec<&str> =
        skill.by_segment.keys().filter(|(_, s, _)| s == segment).map(|(_, _, v)| v.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    if values.is_empty() {
        return None;
    }
    let rows: Vec<usize> = (0..reps.len()).filter(|&r| reps.active[r]).collect();
    let cell = |e: Option<&crate::skill::Effect>| -> Markup {
        match e {
            Some(e) => {
                let (lo, hi) = e.interval();
                let clear = lo > 0.0 || hi < 0.0;
                let title = format!("won {} of {} · 90 % interval {lo:+.2} to {hi:+.2}", e.wins, e.deals);
                html! {
                    td class=(if clear { "" } else { "z" }) style=(if clear { format!("background:{}", heat_colour(e.effect)) } else { String::new() }) title=(title) {
                        (effect_label(e.effect)) small { (e.wins) "/" (e.deals) }
                    }
                }
            }
            None => html! { td.none { small { "no deals" } } },
        }
    };
    Some(html! {
        @for (b, block) in rows.chunks(HEAT_BLOCK).enumerate() {
            @if rows.len() > HEAT_BLOCK {
                p.small.muted { "Reps " (b * HEAT_BLOCK + 1) "–" (b * HEAT_BLOCK + block.len()) " of " (rows.len()) }
            }
            div.heat { table {
                tr { th { "rep" } th { "overall" } @for v in &values { th { (v) } } }
                @for &r in block {
                    tr {
                        td { (reps.id[r]) }
                        (cell(skill.overall.get(&reps.id[r]).filter(|_| skill.unused_because.is_none())))
                        @for v in &values { (cell(skill.segment_effect(&reps.id[r], segment, v))) }
                    }
                }
            } }
        }
    })
}

/// Green for a rep better than the lead model expects, red for worse, stronger up to ±0.8.
fn heat_colour(e: f64) -> String {
    let t = (e / 0.8).clamp(-1.0, 1.0);
    if t >= 0.0 {
        format!("rgb({},{},{})", (255.0 - 150.0 * t) as u8, (255.0 - 60.0 * t) as u8, (255.0 - 150.0 * t) as u8)
    } else {
        let t = -t;
        format!("rgb({},{},{})", (255.0 - 40.0 * t) as u8, (255.0 - 160.0 * t) as u8, (255.0 - 160.0 * t) as u8)
    }
}

/// The heat map's legend in plain words.
fn heat_legend() -> Markup {
    html! {
        div.legend {
            @for e in [-0.6, -0.3, 0.3, 0.6] {
                span { span.sw style=(format!("background:{}", heat_colour(e))) {} (format!("{e:+.1}")) " ≈ " (odds_words(e)) }
            }
            span { span.sw {} "grey number: cannot be told from 0" }
            span { span.sw.none style="background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f1f3f6 4px,#f1f3f6 8px)" {} "no deals" }
        }
    }
}

/// Skill heat maps by segment and the evidence behind them, when skill was learned.
fn skill_section(r: &ReportInput) -> Markup {
    let reps = r.reps;
    html! {
        @if let Some(skill) = r.skill {
            @if !skill.segments.is_empty() {
                h2 { "Skill by rep and segment" }
                @for line in report::skill_summary(skill).into_iter().skip(skill.spreads.len()) { p { (line) } }
                p.muted {
                    "Each number is how much better (+) or worse (−) than the lead model expects a rep did, on the log-odds scale: "
                    b { "overall" } " on every lead, the other columns on top of that in the segment. Under each: deals won / closed. "
                    "Only cells whose 90 % interval excludes zero are coloured."
                }
                (heat_legend())
                @for seg in &skill.segments {
                    @if let Some(m) = heat_map(skill, seg, reps) { h3 { (seg) } (m) }
                }
                details {
                    summary { b { "The evidence" } span.muted { " — deals, wins, what the lead model expected and each 90 % interval" } }
                    div.body { div.scroll { table {
                        tr { th { "rep" } th { "segment" } th { "value" } th.n { "deals" } th.n { "won" } th.n { "win rate" } th.n { "model expected" } th.n { "skill" } th { "90 % interval" } }
                        @for row in report::skill_rows(skill, reps) {
                            tr {
                                td { b { (row.rep) } } td data-k="segment" { (row.segment) } td data-k="value" { (row.value) }
                                td.n data-k="deals" { (row.deals) } td.n data-k="won" { (row.wins) }
                                td.n data-k="win rate" { @if row.deals > 0 { (pct(row.wins as f64 / row.deals as f64)) } }
                                td.n data-k="model expected" { (format!("{:.1}", row.expected_wins)) }
                                td.n data-k="skill" { (effect_label(row.effect)) }
                                td data-k="90 % interval" { (format!("{:+.2} to {:+.2}", row.interval.0, row.interval.1)) }
                            }
                        }
                    } } }
                }
            }
        }
    }
}

/// The leads nobody took, each with its reason and what the reps did instead.
fn unassigned(r: &ReportInput) -> Markup {
    let (plan, leads) = (r.plan, r.leads);
    let left: Vec<usize> = (0..leads.len())
        .filter(|&l| {
            plan.decisions[l].rep.is_none()
                && plan.decisions[l].reason.is_some_and(|x| x != crate::assign::Reason::ClosedDeal)
        })
        .collect();
    let shown: Vec<usize> = left.iter().copied().filter(|&l| r.detail.shows(l)).collect();
    let reasons: Vec<(&String, &usize)> = r.summary.unassigned.iter().filter(|(k, _)| *k != "closed_deal").collect();
    let table = html! {
        div.scroll { table.stack {
            tr { th { "lead" } th { "reason" } th.n { "value" } th { "why" } }
            @for &l in &shown {
                tr {
                    td { b { (leads.id[l]) } }
                    td data-k="reason" { @if let Some(x) = plan.decisions[l].reason { code { (x.code()) } } }
                    td.n data-k="value" { (grouped(leads.value[l], 0)) }
                    td { (plan.decisions[l].explanation) }
                }
            }
        } }
    };
    html! {
        @if !left.is_empty() {
            h2 { "Not assigned" }
            p { @for (k, (reason, n)) in reasons.iter().enumerate() { @if k > 0 { ", " } (thousands(**n)) " " code { (reason) } } "." }
            @if shown.len() <= OPEN_ROWS { (table) } @else {
                details { summary { b { (thousands(shown.len())) " leads not assigned" } span.muted { " — each with the reps that could have taken it" } } div.body { (table) } }
            }
            @if shown.len() < left.len() { p.muted { "… and " (thousands(left.len() - shown.len())) " more of lower priority, in the assignment CSV." } }
        }
    }
}

/// Each rep's queue, folded, with a summary line: leads, expected wins and value, segments.
fn queues(r: &ReportInput) -> Markup {
    let (plan, leads, reps, detail) = (r.plan, r.leads, r.reps, r.detail);
    let scored = r.p_win.iter().any(Option::is_some);
    html! {
        h2 { "Work queues" }
        p.muted { (r.queue_order().note()) " Tap a rep to open its queue." }
        @if let Some(note) = detail.cut_note() { p.muted { (note) } }
        @for q in r.queues {
            details {
                summary {
                    b { (reps.id[q.rep]) } " — " (thousands(q.total)) " leads"
                    @if scored { span.muted { " · " (grouped(q.expected_wins, 1)) " expected wins · " (grouped(q.expected_value, 0)) " expected value" } }
                    @if let Some(mix) = detail.segment_mix.get(q.rep) { @if !mix.is_empty() { br; span.muted.small { (mix) } } }
                }
                div.body {
                    @if !q.common.is_empty() { p.small { b { "For most leads here: " } (q.common.join("; ")) "." } }
                    div.scroll { table.stack {
                        tr { th.n { "#" } th { "lead" } th { "tier" } th.n { "p_win" } th.n { "value" } th { "talking points" } th { "why" } }
                        @for (k, &l) in q.leads.iter().enumerate() {
                            tr {
                                td.n data-k="#" { (k + 1) } td { b { (leads.id[l]) } }
                                td data-k="tier" { span class=(format!("tag t{}", detail.tier[l])) { (detail.tier[l]) } }
                                td.n data-k="p_win" { @if let Some(p) = r.p_win[l] { (format!("{p:.2}")) } }
                                td.n data-k="value" { (grouped(leads.value[l], 0)) }
                                td data-k="talking points" { @if let Some(t) = detail.talking { (t[l]) } }
                                td data-k="why" { (report::own_clauses(&plan.decisions[l].explanation, &q.common)) }
                            }
                        }
                    } }
                    @if q.leads.len() < q.total { p.muted { "… and " (thousands(q.total - q.leads.len())) " more leads of lower priority." } }
                }
            }
        }
    }
}

/// How the run was made: version, inputs with their hashes, settings, seed.
fn run_section(r: &ReportInput) -> Markup {
    let run = r.run;
    html! {
        h2 { "Run" }
        p { code { "leadroute " (run.command) } " " (run.version) ", written " (run.generated) "; seed " (run.seed) "." }
        div.scroll { table.stack {
            tr { th { "input" } th { "file" } th { "SHA-256" } }
            @for f in &run.inputs {
                tr { td { b { (f.role) } } td data-k="file" { (f.path) } td data-k="SHA-256" { code { (f.sha256.as_deref().map(report::short_hash).unwrap_or("—")) } } }
            }
        } }
        @if !run.settings.is_empty() { p.muted { "Settings: " (run.settings.join(", ")) "." } }
        p.muted { (run.repeat_note()) }
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
        assert_eq!(gap_pct_short(0.0), "0 %");
        assert_eq!(gap_pct_short(0.003), "< 0.01 %");
        assert_eq!(gap_pct_short(0.121), "≤ 0.13 %");
    }

    #[test]
    fn bars_and_histogram_are_escaped_html_that_scales() {
        let b = bars(&[
            Bar { label: "a<b".into(), value: 2.0, outline: Some(4.0), text: "2 / 4".into() },
            Bar { label: "c".into(), value: 4.0, outline: None, text: String::new() },
        ])
        .into_string();
        assert!(b.contains("a&lt;b") && !b.contains("a<b"), "{b}");
        assert!(b.contains("width:50.0%") && b.contains("width:100.0%"), "{b}");
        // Empty bands at the ends are left out, inner ones kept.
        let h = histogram(&[0.3, 0.3, 0.8], 10, "leads", false).into_string();
        assert_eq!(h.matches("class=\"row\"").count(), 6, "{h}");
        assert!(h.starts_with("<div class=\"bars\"") && h.contains("0.30–0.40") && h.contains("2 leads"), "{h}");
    }

    #[test]
    fn calibration_chart_plots_each_tenth() {
        use crate::model::metrics::CalibrationBin;
        let q = HeldOutQuality {
            auc: 0.7,
            log_loss: 0.5,
            base_log_loss: 0.6,
            top_decile_lift: 2.0,
            calibration: (0..10)
                .map(|k| CalibrationBin { rows: 10, mean_predicted: k as f64 / 20.0, observed_rate: k as f64 / 18.0 })
                .collect(),
        };
        let svg = calibration_chart(&q).into_string();
        assert_eq!(svg.matches("<circle").count(), 10);
        // The axis runs to the largest rate rounded up to a tenth: 0.5 observed → 50 %.
        assert!(svg.contains(">50%<") && !svg.contains(">60%<"), "{svg}");
    }
}
