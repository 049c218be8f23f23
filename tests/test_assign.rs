//! `assign`: every policy within the rules, byte-identical reruns, workload units, CRM
//! headers, warnings, real exports; scores from a model or a history; ad-hoc reassignment
//! (`--current`, `--lock`, `--move-penalty`), `--what-if`, model age and drift, large batches.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::workdir::{Csv, Workdir, number, repo, round_robin, trained_world, world_assign};

const OUT_HEADER: [&str; 12] = [
    "lead_id",
    "rep_id",
    "status",
    "reason",
    "score",
    "p_win",
    "expected_value",
    "rank",
    "tier",
    "runner_up_rep_id",
    "runner_up_p_win",
    "explanation",
];

/// Headers of the columns `verify` reads.
struct Names<'a> {
    lead_id: &'a str,
    workload: &'a str,
    rep_id: &'a str,
    capacity: &'a str,
    active: &'a str,
    rule: Option<(&'a str, &'a str)>,
}

const CANONICAL: Names<'static> = Names {
    lead_id: "lead_id",
    workload: "workload",
    rep_id: "rep_id",
    capacity: "capacity",
    active: "active",
    rule: Some(("region", "territories")),
};

/// Re-checks an assignment from the files alone: every lead exactly once and in input
/// order, capacities kept in workload units, only active reps, territories respected.
pub(crate) fn verify(leads: &Csv, reps: &Csv, out: &Csv, rule: Option<(&str, &str)>) {
    verify_named(leads, reps, out, &Names { rule, ..CANONICAL });
}

fn verify_named(leads: &Csv, reps: &Csv, out: &Csv, names: &Names) {
    let rule = names.rule;
    assert_eq!(out.headers, OUT_HEADER);
    let ids: Vec<String> = leads.column(names.lead_id).iter().map(|s| s.trim().to_string()).collect();
    assert_eq!(out.column("lead_id"), ids, "every lead once, in input order");
    let rep_row: HashMap<String, usize> =
        reps.column(names.rep_id).into_iter().enumerate().map(|(i, r)| (r.trim().to_string(), i)).collect();
    let workload: Vec<f64> = if leads.headers.iter().any(|h| h == names.workload) {
        leads.column(names.workload).iter().map(|w| if w.is_empty() { 1.0 } else { w.parse().unwrap() }).collect()
    } else {
        vec![1.0; leads.rows.len()]
    };
    let mut load = vec![0.0; reps.rows.len()];
    for (i, row) in out.rows.iter().enumerate() {
        let (rep, status, reason) = (&row[1], &row[2], &row[3]);
        if rep.is_empty() {
            assert_eq!(status, "unassigned");
            assert!(!reason.is_empty(), "an unassigned lead needs a reason");
            continue;
        }
        assert_eq!(status, "assigned");
        assert!(reason.is_empty());
        let r = rep_row[rep];
        load[r] += workload[i];
        if reps.headers.iter().any(|h| h == names.active) {
            assert!(["true", "yes", "1", ""].contains(&reps.rows[r][reps.col(names.active)].to_lowercase().as_str()));
        }
        if let Some((lead_col, rep_col)) = rule {
            let list = &reps.rows[r][reps.col(rep_col)];
            let value = leads.rows[i][leads.col(lead_col)].trim().to_lowercase();
            let allowed: HashSet<String> =
                list.split(';').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
            assert!(
                allowed.is_empty() || allowed.contains("*") || allowed.contains(&value),
                "{rep} may not take {value}"
            );
        }
        assert!(!row[out.col("explanation")].is_empty(), "every row has an explanation");
    }
    for (r, l) in load.iter().enumerate() {
        let cap: f64 = reps.rows[r][reps.col(names.capacity)].parse().unwrap();
        assert!(*l <= cap + 1e-9, "rep {} over capacity: {l} > {cap}", reps.rows[r][0]);
    }
    let mut ranks: Vec<usize> = out.column("rank").iter().map(|r| r.parse().unwrap()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=leads.rows.len()).collect::<Vec<_>>(), "ranks are a permutation");
}

fn example(rel: &str) -> String {
    repo(rel).to_string_lossy().into_owned()
}

/// The README's main job: `optimize` with `--history` on the shipped example, checked like
/// any plan, and judged by the example world's truth against round robin.
#[test]
fn the_readme_main_job_routes_the_example_within_the_rules_and_beats_round_robin_by_the_truth() {
    let wd = Workdir::new();
    let leads = crate::workdir::read_csv(&repo("examples/leads.csv"));
    let reps = crate::workdir::read_csv(&repo("examples/reps.csv"));
    let run = |extra: &[&str], out: &str| -> Csv {
        let (l, r, h, c) = (
            example("examples/leads.csv"),
            example("examples/reps.csv"),
            example("examples/history.csv"),
            example("examples/leadroute.toml"),
        );
        let mut args = vec!["assign", "--leads", &l, "--reps", &r, "--history", &h, "--config", &c, "--out", out];
        args.extend(extra);
        let o = wd.run(&args);
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("wrote {out}")));
        wd.read_csv(out)
    };
    let plan = run(&[], "assignments.csv");
    verify(&leads, &reps, &plan, Some(("region", "territories")));
    let rr = run(&["--policy", "round-robin"], "rr.csv");
    let truth = leadroute::truth::Truth::load(&repo("examples")).unwrap();
    let value: HashMap<String, f64> =
        leads.column("lead_id").into_iter().zip(leads.column("value").iter().map(|v| v.parse().unwrap())).collect();
    let worth = |plan: &Csv| -> f64 {
        plan.rows.iter().filter(|r| !r[1].is_empty()).map(|r| truth.p_win(&r[0], &r[1]).unwrap() * value[&r[0]]).sum()
    };
    let (opt, base) = (worth(&plan), worth(&rr));
    assert!(opt > base * 1.05, "true expected value: optimize {opt:.0}, round robin {base:.0}");
}

#[test]
fn every_policy_routes_the_example_batch_within_the_rules() {
    let wd = Workdir::new();
    let leads = crate::workdir::read_csv(&repo("examples/leads.csv"));
    let reps = crate::workdir::read_csv(&repo("examples/reps.csv"));
    for policy in ["round-robin", "weighted", "least-loaded"] {
        let out = format!("{policy}.csv");
        wd.run(&[
            "assign",
            "--leads",
            &example("examples/leads.csv"),
            "--reps",
            &example("examples/reps.csv"),
            "--config",
            &example("examples/leadroute.toml"),
            "--policy",
            policy,
            "--out",
            &out,
        ]);
        let got = wd.read_csv(&out);
        verify(&leads, &reps, &got, Some(("region", "territories")));
        let assigned = got.column("status").iter().filter(|s| *s == "assigned").count();
        assert!(assigned * 10 >= leads.rows.len() * 8, "{policy}: only {assigned} assigned");
        // The runner-up is another rep the rules allow, and it is named for most leads.
        let (rep, ru) = (got.col("rep_id"), got.col("runner_up_rep_id"));
        let named = got.rows.iter().filter(|r| !r[ru].is_empty()).count();
        assert!(named * 2 > assigned, "{policy}: runner-up named for {named} of {assigned}");
        for (k, row) in got.rows.iter().enumerate().filter(|(_, r)| !r[ru].is_empty()) {
            assert_ne!(row[ru], row[rep], "{policy}: {row:?}");
            let terr = reps.rows.iter().find(|r| r[0] == row[ru]).map(|r| r[reps.col("territories")].clone()).unwrap();
            let region = &leads.rows[k][leads.col("region")];
            assert!(
                terr == "*" || terr.split(';').any(|t| t == region),
                "{policy}: {} not eligible for {region}",
                row[ru]
            );
            assert!(row[got.col("runner_up_p_win")].is_empty(), "no model, no p_win: {row:?}");
        }
    }
}

#[test]
fn reruns_are_byte_identical_and_the_seed_matters() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "9", "--leads", "600", "--reps", "15", "--history", "0"]);
    let run = |out: &str, seed: &str, policy: &str| {
        wd.run(&world_assign(&["--policy", policy, "--seed", seed, "--out", out]));
    };
    for policy in ["round-robin", "weighted", "least-loaded"] {
        run("a.csv", "1", policy);
        run("b.csv", "1", policy);
        assert!(wd.read("a.csv") == wd.read("b.csv"), "{policy} is not deterministic");
    }
    run("c.csv", "2", "round-robin");
    run("d.csv", "1", "round-robin");
    assert!(wd.read("c.csv") != wd.read("d.csv"), "the seed changes the rotation");
}

#[test]
fn capacity_counts_workload_units_and_reasons_are_given() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id,workload,region\nA,2,NA\nB,2,NA\nC,1,NA\nD,5,NA\nE,1,Mars\nF,1,EMEA\nG,,NA\n");
    wd.create("reps.csv", "rep_id,capacity,active,territories\nr1,3,yes,NA\nr2,2,true,NA;APAC\nr3,4,no,EMEA\n");
    wd.create("c.toml", "[[eligibility]]\nlead = \"region\"\nrep = \"territories\"\n");
    wd.run(&round_robin("o.csv", &["--config", "c.toml"]));
    let out = wd.read_csv("o.csv");
    let reason: HashMap<String, String> = out.column("lead_id").into_iter().zip(out.column("reason")).collect();
    assert_eq!(reason["D"], "workload_exceeds_capacity");
    assert_eq!(reason["E"], "no_eligible_rep");
    assert_eq!(reason["F"], "no_active_rep");
    assert_eq!(reason["A"], "");
    assert_eq!(reason["B"], "");
    // r1 (3) and r2 (2) hold 5 units: A and B take 4, so one of C and G fits and the other waits.
    let waiting: Vec<&String> = ["C", "G"].iter().map(|k| &reason[*k]).filter(|r| !r.is_empty()).collect();
    assert_eq!(waiting, vec!["all_eligible_at_capacity"]);
    verify(&wd.read_csv("leads.csv"), &wd.read_csv("reps.csv"), &out, Some(("region", "territories")));
}

#[test]
fn crm_headers_in_any_order_with_bom_crlf_and_quotes() {
    let wd = Workdir::new();
    wd.create(
        "leads.csv",
        b"\xEF\xBB\xBFNotes,Region,Lead ID,Amount\r\n\"says \"\"hi\"\", then, leaves\",NA,\"L 1\",\"1200\"\r\n\"two\r\nlines\",EMEA,L2,50\r\n=cmd,NA,\"=HYPERLINK(\"\"x\"\")\",0\r\n",
    );
    wd.create("reps.csv", "Cap,Territories,Owner ID\r\n5,NA,\"O'Neil, P.\"\r\n5,EMEA,r2\r\n");
    wd.create(
        "c.toml",
        "[columns]\nlead_id = \"Lead ID\"\nrep_id = \"Owner ID\"\ncapacity = \"Cap\"\nvalue = \"Amount\"\n\
         [[eligibility]]\nlead = \"Region\"\nrep = \"Territories\"\n",
    );
    wd.run(&round_robin("o.csv", &["--config", "c.toml"]));
    let out = wd.read_csv("o.csv");
    assert_eq!(out.column("lead_id"), vec!["L 1", "L2", "'=HYPERLINK(\"x\")"]);
    assert_eq!(out.column("rep_id"), vec!["O'Neil, P.", "r2", "O'Neil, P."]);
    // Rank follows deal value: 1200 first, 0 last.
    assert_eq!(out.column("rank"), vec!["1", "2", "3"]);
}

#[test]
fn empty_batch_and_inactive_team_are_not_errors() {
    let wd = Workdir::new();
    wd.create("empty.csv", "lead_id,region\n");
    wd.create("reps.csv", "rep_id,capacity,active\nr1,5,false\nr2,5,0\n");
    wd.run(&["assign", "--policy", "round-robin", "--leads", "empty.csv", "--reps", "reps.csv", "--out", "o.csv"]);
    let out = wd.read_csv("o.csv");
    assert!(out.rows.is_empty());
    assert_eq!(out.headers, OUT_HEADER);

    wd.create("leads.csv", "lead_id\na\nb\n");
    wd.run(&round_robin("o.csv", &[]));
    assert_eq!(wd.read_csv("o.csv").column("reason"), vec!["no_active_rep", "no_active_rep"]);
}

#[test]
fn quiet_prints_nothing_and_default_prints_a_summary() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id\na\nb\nc\n");
    wd.create("reps.csv", "rep_id,capacity\nr1,2\n");
    let out = wd.run(&round_robin("o.csv", &["--quiet"]));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    // The summary is the run's result: standard output; standard error is for diagnostics.
    let out = wd.run(&round_robin("o.csv", &[]));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("assigned 2 of 3 leads"), "{said}");
    assert!(said.contains("1 all_eligible_at_capacity"), "{said}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("assigned"), "summary on stderr");
    // With the plan itself on standard output, the summary moves to standard error.
    let out = wd.run(&round_robin("-", &[]));
    let (data, diag) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(data.starts_with("lead_id,") && !data.contains("assigned 2 of 3"), "{data}");
    assert!(diag.contains("assigned 2 of 3 leads"), "{diag}");
}

#[test]
fn likely_mistakes_in_valid_inputs_are_warned_about() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id,rep_id,region\na,r1,NA\nb,ghost,NA\nc,,NA\n");
    wd.create("reps.csv", "rep_id,capacity\nr1,5\n");
    wd.create("c.toml", "[features]\nexclude = [\"Emial\"]\n");
    let out = wd.run(&round_robin("o.csv", &["--config", "c.toml"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: c.toml: [features] exclude names \"Emial\""), "{err}");
    assert!(err.contains("1 leads name a current owner that is not in reps.csv (e.g. ghost)"), "{err}");
    let quiet = wd.run(&round_robin("o.csv", &["-q", "--config", "c.toml"]));
    assert!(quiet.stderr.is_empty(), "--quiet silences warnings");
}

#[test]
fn a_salesforce_style_export_routes_with_its_own_headers() {
    let wd = Workdir::new();
    let leads = crate::workdir::read_csv(&repo("fixtures/salesforce/leads.csv"));
    let reps = crate::workdir::read_csv(&repo("fixtures/salesforce/reps.csv"));
    let names = Names {
        lead_id: "Lead ID",
        workload: "workload",
        rep_id: "User ID",
        capacity: "Capacity",
        active: "Is Active",
        rule: Some(("Region", "Territories")),
    };
    let (leads_file, reps_file, config) = (
        example("fixtures/salesforce/leads.csv"),
        example("fixtures/salesforce/reps.csv"),
        example("fixtures/salesforce/leadroute.toml"),
    );
    let export = ["assign", "--leads", &leads_file, "--reps", &reps_file, "--config", &config];
    for policy in ["round-robin", "weighted", "least-loaded"] {
        wd.run(&[&export[..], &["--policy", policy, "--out", "o.csv"]].concat());
        let out = wd.read_csv("o.csv");
        verify_named(&leads, &reps, &out, &names);
        // The inactive rep gets nothing; the formula-like note never reaches the output.
        assert!(!out.column("rep_id").contains(&"005A4".to_string()));
        assert!(out.column("explanation").iter().all(|e| !e.starts_with('=')));
    }
    // The CRM re-import file speaks the export's own headers: its lead id and owner columns.
    wd.run(&[&export[..], &["--policy", "round-robin", "--out", "o.csv", "--owner-csv", "owners.csv"]].concat());
    let out = wd.read_csv("o.csv");
    let owners = wd.read_csv("owners.csv");
    assert_eq!(owners.headers, vec!["Lead ID".to_string(), "Lead Owner".to_string()]);
    let assigned: Vec<Vec<String>> =
        out.rows.iter().filter(|r| r[2] == "assigned").map(|r| vec![r[0].clone(), r[1].clone()]).collect();
    assert_eq!(owners.rows, assigned);
}

/// The Maven CRM export (outside the repository): its own headers, US dates, reps named by
/// full name and no capacity column. Each agent is given a capacity of 80 here, as a team
/// would in its reps file; rule policies and `optimize` with the export's closed deals as
/// history route every open deal once, within the capacities.
#[test]
fn maven_crm_export_routes_with_its_own_headers() {
    let Some(data) = crate::workdir::shared("datasets/maven-crm") else { return };
    let wd = Workdir::new();
    let deals = data.join("open_deals_joined.csv");
    let leads = crate::workdir::read_csv(&deals);
    let agents = crate::workdir::read_csv(&data.join("reps.csv"));
    let mut reps_file = format!("{},capacity\n", agents.headers.join(","));
    for row in &agents.rows {
        reps_file.push_str(&format!("{},80\n", row.join(",")));
    }
    wd.create("reps.csv", &reps_file);
    let reps = wd.read_csv("reps.csv");
    assert_eq!(reps.rows.len(), 35);
    let names = Names { lead_id: "opportunity_id", rep_id: "sales_agent", rule: None, ..CANONICAL };
    let run = |policy: &str, extra: &[&str]| -> Csv {
        let out = format!("{policy}.csv");
        let deals = deals.to_string_lossy();
        let config = example("examples/maven/leadroute.toml");
        let mut args = vec!["assign", "--leads", &deals, "--reps", "reps.csv", "--config", &config];
        args.extend(["--policy", policy, "--out", &out]);
        args.extend(extra);
        wd.run(&args);
        let got = wd.read_csv(&out);
        verify_named(&leads, &reps, &got, &names);
        got
    };
    for policy in ["round-robin", "weighted", "least-loaded"] {
        let got = run(policy, &[]);
        assert!(got.column("status").iter().all(|s| s == "assigned"), "{policy}: 2,800 places for 2,089 deals");
    }
    let history = data.join("history_joined.csv").to_string_lossy().into_owned();
    let got = run("optimize", &["--history", &history, "--seed", "1"]);
    assert!(got.column("status").iter().all(|s| s == "assigned"), "optimize places every deal");
    for (i, p) in got.column("p_win").iter().enumerate() {
        let p: f64 = p.parse().unwrap_or_else(|_| panic!("row {i}: p_win {p:?}"));
        assert!((0.0..=1.0).contains(&p));
    }
    // The agents do not differ beyond chance here: no deal leaves its owner unless the
    // owner has more than 80, and the agents without deals of their own take the rest.
    let owner = leads.column("sales_agent");
    let mut owned: HashMap<&str, usize> = HashMap::new();
    owner.iter().for_each(|o| *owned.entry(o.as_str()).or_default() += 1);
    let must_move: usize = owned.values().map(|&n| n.saturating_sub(80)).sum();
    let moved = got.column("rep_id").iter().zip(&owner).filter(|(r, o)| r != o).count();
    assert_eq!(moved, must_move, "only deals over an owner's capacity move");
    let mut load: HashMap<String, usize> = HashMap::new();
    got.column("rep_id").into_iter().for_each(|r| *load.entry(r).or_default() += 1);
    for agent in agents.column("sales_agent") {
        let n = load.get(&agent).copied().unwrap_or(0);
        assert!(n <= 80, "{agent}: {n}");
        if !owned.contains_key(agent.as_str()) {
            assert!(n >= 20, "{agent} has no deals of its own and gets {n}");
        }
    }
}

#[test]
fn assign_fills_scores_from_a_model_or_a_history() {
    let wd = trained_world("23");
    for extra in [["--model", "w/model.json"], ["--history", "w/history.csv"]] {
        let mut args = world_assign(&["--out", "a.csv"]);
        args.extend(extra);
        wd.run(&args);
        let out = wd.read_csv("a.csv");
        let value: HashMap<String, f64> = {
            let leads = wd.read_csv("w/leads.csv");
            leads.column("lead_id").into_iter().zip(leads.column("value").iter().map(|v| v.parse().unwrap())).collect()
        };
        for row in &out.rows {
            let score: f64 = row[4].parse().unwrap();
            assert!((0.0..=1.0).contains(&score));
            if row[2] != "assigned" {
                assert!(row[5].is_empty() && row[6].is_empty(), "no p_win without a rep: {row:?}");
                continue;
            }
            let p_win: f64 = row[5].parse().unwrap();
            let ev: f64 = row[6].parse().unwrap();
            // p_win is written to 4 decimals, expected value to cents.
            assert!((ev - p_win * value[&row[0]]).abs() <= 5e-5 * value[&row[0]] + 0.006, "{row:?}");
        }
        let best = out.rows.iter().find(|r| r[7] == "1").unwrap();
        let top: f64 = best[4].parse().unwrap();
        assert!(out.rows.iter().all(|r| r[4].parse::<f64>().unwrap() <= top));
    }
}

/// Runs `assign` on the world with its history; the plan and everything the run printed
/// (its summary on standard output, then the diagnostics on standard error).
fn assign(wd: &Workdir, out: &str, extra: &[&str]) -> (Csv, String) {
    let mut args = world_assign(&["--history", "w/history.csv", "--out", out]);
    args.extend_from_slice(extra);
    let o = wd.run(&args);
    (wd.read_csv(out), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// Today's owners: every third lead, given in turn to the reps whose territories cover it.
fn current_owners(wd: &Workdir) -> Vec<(String, String)> {
    let leads = wd.read_csv("w/leads.csv");
    let reps = wd.read_csv("w/reps.csv");
    let (ids, terr) = (reps.column("rep_id"), reps.column("territories"));
    let region = leads.col("region");
    let covers = |t: &str, g: &str| t.trim() == "*" || t.split(';').any(|x| x.trim().eq_ignore_ascii_case(g));
    let mut owned = Vec::new();
    for (k, row) in leads.rows.iter().enumerate().step_by(3) {
        let eligible: Vec<&String> =
            ids.iter().zip(&terr).filter(|(_, t)| covers(t, &row[region])).map(|(i, _)| i).collect();
        if !eligible.is_empty() {
            owned.push((row[0].clone(), eligible[k % eligible.len()].clone()));
        }
    }
    let mut text = String::from("lead_id,rep_id\n");
    for (l, r) in &owned {
        text.push_str(&format!("{l},{r}\n"));
    }
    wd.create("current.csv", text);
    owned
}

#[test]
fn lock_keeps_owners_and_every_move_is_explained() {
    let wd = Workdir::new();
    wd.world("64", "300", "4000");
    let owned = current_owners(&wd);
    let (free, _) = assign(&wd, "free.csv", &["--current", "current.csv", "--summary-json", "free.json"]);
    let (locked, _) = assign(&wd, "locked.csv", &["--current", "current.csv", "--lock", "--report", "locked.md"]);
    let rep_of =
        |plan: &Csv, lead: &str| -> String { plan.rows.iter().find(|r| r[0] == lead).map(|r| r[1].clone()).unwrap() };
    let why_of = |plan: &Csv, lead: &str| -> String {
        let c = plan.col("explanation");
        plan.rows.iter().find(|r| r[0] == lead).map(|r| r[c].clone()).unwrap()
    };
    let (mut kept, mut moved_locked) = (0, 0);
    for (lead, owner) in &owned {
        if rep_of(&locked, lead) == *owner {
            kept += 1;
            assert!(why_of(&locked, lead).starts_with("Kept with its current owner"), "{}", why_of(&locked, lead));
        } else {
            moved_locked += 1;
            // Under --lock a lead leaves only when its owner cannot keep it.
            let why = why_of(&locked, lead);
            assert!(why.starts_with(&format!("Moved from {owner}: its current owner {owner} ")), "{lead}: {why}");
        }
    }
    assert!(kept > owned.len() / 2, "kept {kept} of {}", owned.len());
    let report = String::from_utf8(wd.read("locked.md")).unwrap();
    if moved_locked > 0 {
        assert!(report.contains("## Leads that move"));
        assert!(report.contains(&format!("{moved_locked} leads leave their current owner")), "{moved_locked}");
    }
    // Without --lock the optimizer moves more, and the summary lists each move.
    let summary: Value = serde_json::from_slice(&wd.read("free.json")).unwrap();
    let moves = summary["moves"].as_array().unwrap();
    let moved_free = owned.iter().filter(|(l, o)| rep_of(&free, l) != *o).count();
    assert_eq!(moves.len(), moved_free);
    assert!(moved_free > moved_locked, "free {moved_free} vs locked {moved_locked}");
    for m in moves {
        let lead = m["lead_id"].as_str().unwrap();
        assert!(why_of(&free, lead).starts_with(&format!("Moved from {}", m["from"].as_str().unwrap())));
        assert!(!m["why"].as_str().unwrap().is_empty());
    }
}

#[test]
fn a_move_penalty_trades_gain_for_stability() {
    let wd = Workdir::new();
    wd.world("65", "300", "4000");
    let owned = current_owners(&wd);
    let moved = |plan: &Csv| owned.iter().filter(|(l, o)| plan.rows.iter().any(|r| r[0] == *l && r[1] != *o)).count();
    let value = |plan: &Csv| -> f64 {
        let v = plan.col("expected_value");
        plan.rows.iter().filter_map(|r| r[v].parse::<f64>().ok()).sum()
    };
    let (zero, _) = assign(&wd, "p0.csv", &["--current", "current.csv", "--move-penalty", "0"]);
    let (some, _) = assign(&wd, "p1.csv", &["--current", "current.csv", "--move-penalty", "2000"]);
    let (huge, _) = assign(&wd, "p2.csv", &["--current", "current.csv", "--move-penalty", "1e12"]);
    let (m0, m1, m2) = (moved(&zero), moved(&some), moved(&huge));
    assert!(m0 >= m1 && m1 >= m2, "moves {m0} ≥ {m1} ≥ {m2}");
    assert!(m0 > m2, "a penalty must keep some leads: {m0} vs {m2}");
    // Staying costs expected value.
    assert!(value(&zero) >= value(&huge) * 0.999, "{} vs {}", value(&zero), value(&huge));
    // With a prohibitive penalty only leads their owner cannot keep move.
    let c = huge.col("explanation");
    for row in huge.rows.iter().filter(|r| r[c].starts_with("Moved from")) {
        assert!(row[c].contains("its current owner"), "{row:?}");
    }
    // A rule policy has no gain to weigh: usage error.
    let err = wd.fail(
        &world_assign(&[
            "--policy",
            "round-robin",
            "--current",
            "current.csv",
            "--move-penalty",
            "5",
            "--out",
            "rr.csv",
        ]),
        2,
    );
    assert!(err.contains("--move-penalty"), "{err}");
    assert!(!wd.exists("rr.csv"));
}

#[test]
fn what_if_reports_the_change_against_the_plan() {
    let wd = Workdir::new();
    wd.world("66", "300", "4000");
    let (plan, stderr) = assign(
        &wd,
        "plan.csv",
        &[
            "--what-if",
            "R001:active=false",
            "--what-if",
            "R002:capacity=+5",
            "--summary-json",
            "s.json",
            "--report",
            "r.md",
        ],
    );
    let s: Value = serde_json::from_slice(&wd.read("s.json")).unwrap();
    let w = s["what_if"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0]["change"], "R001:active=false");
    let r001 = plan.rows.iter().filter(|r| r[1] == "R001").count();
    // Every lead R001 had must go elsewhere (or nowhere).
    assert!(w[0]["leads_changing_rep"].as_u64().unwrap() as usize >= r001, "{}", w[0]);
    assert!(number(&w[0]["expected_wins_change"]) <= 1e-9 || r001 == 0, "{}", w[0]);
    // More capacity cannot make the optimum worse (up to the optimizer's tolerance).
    let base_value = number(&s["expected_value"]);
    assert!(number(&w[1]["expected_value_change"]) >= -1e-3 * base_value, "{}", w[1]);
    assert!(stderr.contains("what-if R001:active=false:"), "{stderr}");
    assert!(String::from_utf8(wd.read("r.md")).unwrap().contains("## What if"));
    // An unknown rep or a malformed change is a usage error.
    for bad in ["R999:capacity=+1", "R001:capacity=lots"] {
        let err = wd.fail(&world_assign(&["--policy", "round-robin", "--what-if", bad, "--out", "bad.csv"]), 2);
        assert!(err.contains(bad), "{err}");
        assert!(!wd.exists("bad.csv"));
    }
}

#[test]
fn assign_warns_about_a_stale_model_and_drifted_features() {
    let wd = Workdir::new();
    wd.world("68", "300", "4000");
    // Trained "in 2020".
    let out = wd
        .command(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "m.json"])
        .env("SOURCE_DATE_EPOCH", "1577836800")
        .output()
        .unwrap();
    assert!(out.status.success());
    let run = |leads: &str, out: &str, epoch: &str| -> String {
        let mut args = world_assign(&["--model", "m.json"]);
        args[2] = leads;
        args.extend_from_slice(&["--policy", "round-robin", "--out", out, "--report", "r.md"]);
        let o = wd.command(&args).env("SOURCE_DATE_EPOCH", epoch).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // Ten days later, same population: no warning.
    let quiet = run("w/leads.csv", "a.csv", "1578700800");
    assert!(!quiet.contains("trained") && !quiet.contains("drifted"), "{quiet}");
    // A year later: stale, and the report says so too.
    let stale = run("w/leads.csv", "b.csv", "1609459200");
    assert!(stale.contains("was trained 366 days ago"), "{stale}");
    assert!(String::from_utf8(wd.read("r.md")).unwrap().contains("was trained 366 days ago"));
    // Every lead now has many page views: that feature has drifted.
    let mut leads = wd.read_csv("w/leads.csv");
    let c = leads.col("page_views");
    for r in leads.rows.iter_mut() {
        r[c] = "400".into();
    }
    let mut w = csv::Writer::from_path(wd.path("drifted.csv")).unwrap();
    w.write_record(&leads.headers).unwrap();
    for r in &leads.rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let drifted = run("drifted.csv", "c.csv", "1578700800");
    assert!(drifted.contains("drifted since training") && drifted.contains("page_views"), "{drifted}");
}

#[test]
fn large_batches_cut_the_per_lead_sections_and_say_where_the_rest_are() {
    let wd = Workdir::new();
    wd.world("69", "300", "4000");
    let (plan, _) = assign(&wd, "plan.csv", &["--report", "r.md", "--html", "r.html", "--report-leads", "40"]);
    let md = String::from_utf8(wd.read("r.md")).unwrap();
    let every = &md[md.find("## Every lead").unwrap()..];
    let every = &every[..every[3..].find("\n## ").map_or(every.len(), |k| k + 3)];
    let rows =
        every.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| lead ") && !l.starts_with("| ---")).count();
    assert_eq!(rows, 40, "{every}");
    assert!(every.contains("The batch has 300 leads; the per-lead sections show the 40 of highest priority"));
    assert!(every.contains("plan.csv"));
    // The rows shown are the 40 best-ranked leads.
    let rank = plan.col("rank");
    for row in plan.rows.iter().filter(|r| r[rank].parse::<usize>().unwrap() <= 40) {
        assert!(every.contains(&format!("| {} |", row[0])), "{} missing", row[0]);
    }
    // Work queues say how many more each rep has.
    assert!(md.contains("more leads of lower priority"));
    let html = String::from_utf8(wd.read("r.html")).unwrap();
    assert!(html.contains("the per-lead sections show the 40 of highest priority"));
}

#[test]
fn a_model_file_carries_rep_skill_to_assign() {
    let wd = Workdir::new();
    wd.world("71", "300", "6000");
    wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "m.json"]);
    let m: Value = serde_json::from_slice(&wd.read("m.json")).unwrap();
    assert!(m["skill"]["overall"].as_array().is_some_and(|o| o.len() >= 10), "{}", m["skill"]);
    let out = wd.run(&world_assign(&["--model", "m.json", "--out", "a.csv"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("p_win is the lead score for every rep"), "{stderr}");
    // p_win depends on the rep: the chosen rep and the runner-up differ for some lead.
    let plan = wd.read_csv("a.csv");
    let (p, ru) = (plan.col("p_win"), plan.col("runner_up_p_win"));
    assert!(plan.rows.iter().any(|r| !r[ru].is_empty() && r[p] != r[ru]));
    // Twice the same model file and batch: the same bytes.
    wd.run(&world_assign(&["--model", "m.json", "--out", "b.csv"]));
    assert_eq!(wd.read("a.csv"), wd.read("b.csv"));
}

#[test]
fn a_dash_reads_standard_input_and_writes_standard_output() {
    let wd = Workdir::new();
    wd.create("leads.csv", "lead_id,region,value\na,NA,10\nb,EMEA,20\nc,NA,5\n");
    wd.create("reps.csv", "rep_id,capacity,territories\nr1,10,NA\nr2,10,*\n");
    wd.run(&round_robin("file.csv", &[]));
    let piped = |args: &[&str]| wd.run_with_input(args, &wd.read("leads.csv"));
    let out = piped(&["assign", "--policy", "round-robin", "--leads", "-", "--reps", "reps.csv", "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, wd.read("file.csv"), "the same plan, on standard output");
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote standard output"));
    assert!(!wd.exists("-"), "no file named -");
    // Standard input is read once: two inputs from it are an error, not a silent empty file.
    let out = piped(&["assign", "--policy", "round-robin", "--leads", "-", "--reps", "-", "--out", "o.csv"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("standard input is read once"), "{err}");
    assert!(!wd.exists("o.csv"));
}
