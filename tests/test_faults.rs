//! Faults and hostile input: a run that fails or is killed half-way, outputs to devices,
//! the same bytes at any thread count, and ids full of markup, formulas and control
//! characters.

use std::process::Stdio;
use std::time::Instant;

use crate::workdir::{Workdir, round_robin, world_assign};

const REPS: &str = "rep_id,capacity,territories\nr1,10,NA\nr2,10,*\n";
const LEADS: &str = "lead_id,region,value\na,NA,10\nb,EMEA,20\n";

#[test]
fn help_shows_an_example_and_exits_0() {
    let wd = Workdir::new();
    for cmd in [vec!["--help"], vec!["assign", "--help"], vec!["generate", "--help"]] {
        let out = wd.run(&cmd);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{cmd:?}: {text}");
    }
}

#[test]
fn failed_run_keeps_the_previous_output() {
    let wd = Workdir::new();
    wd.create("leads.csv", LEADS);
    wd.create("reps.csv", REPS);
    let args = round_robin("out.csv", &[]);
    wd.run(&args);
    let before = wd.read("out.csv");
    wd.create("leads.csv", "lead_id,value\na,1\nb,oops\n");
    wd.fail(&args, 1);
    assert!(wd.read("out.csv") == before, "the previous output must survive a failed run");
}

/// Kills real runs at spread-out moments: the output is always either yesterday's or the
/// whole of today's, never a part.
#[test]
fn a_killed_run_leaves_the_previous_output() {
    let wd = Workdir::new();
    wd.run(&["generate", "--out", "w", "--seed", "9", "--leads", "300000", "--reps", "40", "--history", "100"]);
    let args = |policy: &'static str, out: &'static str| world_assign(&["--policy", policy, "--out", out]);
    wd.run(&args("round-robin", "out.csv"));
    let yesterday = wd.read("out.csv");
    let started = Instant::now();
    wd.run(&args("least-loaded", "whole.csv"));
    let took = started.elapsed();
    let today = wd.read("whole.csv");
    assert_ne!(yesterday, today);
    let mut killed = 0;
    for k in 1..=8 {
        let mut child =
            wd.command(&args("least-loaded", "out.csv")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(took.mul_f64(f64::from(k) / 9.0));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        child.wait().unwrap();
        let now = wd.read("out.csv");
        assert!(now == yesterday || now == today, "kill {k}: out.csv is neither the old nor the new output");
        if now == today {
            wd.create("out.csv", &yesterday);
        }
    }
    assert!(killed >= 4, "only {killed} of 8 runs were still going when killed");
    // A run after the kills (temporary files may be left behind) still works.
    wd.run(&args("least-loaded", "out.csv"));
    assert!(wd.read("out.csv") == today);
}

#[cfg(unix)]
#[test]
fn an_output_can_be_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let wd = Workdir::new();
    wd.create("leads.csv", LEADS);
    wd.create("reps.csv", REPS);
    let out = wd.run(&round_robin("/dev/stdout", &[]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("lead_id,rep_id,"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    wd.run(&round_robin("/dev/null", &[]));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
}

/// Train, score and assign (with every report) at 1 and 2 threads, and again at 2: the
/// same bytes in every file.
#[test]
fn every_output_is_byte_identical_across_runs_and_thread_counts() {
    let wd = Workdir::new();
    wd.world("11", "1500", "2500");
    let files = ["model.json", "scores.csv", "out.csv", "summary.json", "report.md", "report.html"];
    let mut runs: Vec<Vec<Vec<u8>>> = Vec::new();
    for (k, threads) in ["1", "2", "2"].into_iter().enumerate() {
        let dir = format!("run{k}");
        wd.create(&format!("{dir}/.keep"), "");
        let run = |args: &[&str]| {
            let mut all = vec!["--threads", threads];
            all.extend(args);
            let out =
                wd.command(&all).current_dir(wd.path(&dir)).env("SOURCE_DATE_EPOCH", "1767225600").output().unwrap();
            assert!(out.status.success(), "{all:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let w = |f: &str| format!("../w/{f}");
        let (history, leads, reps, config) = (w("history.csv"), w("leads.csv"), w("reps.csv"), w("leadroute.toml"));
        run(&["train", "--history", &history, "--config", &config, "--model", "model.json"]);
        run(&["score", "--leads", &leads, "--model", "model.json", "--config", &config, "--out", "scores.csv"]);
        run(&[
            "assign",
            "--leads",
            &leads,
            "--reps",
            &reps,
            "--config",
            &config,
            "--model",
            "model.json",
            "--out",
            "out.csv",
            "--summary-json",
            "summary.json",
            "--report",
            "report.md",
            "--html",
            "report.html",
        ]);
        runs.push(files.iter().map(|f| wd.read(&format!("{dir}/{f}"))).collect());
    }
    for (f, name) in files.iter().enumerate() {
        assert!(runs[0][f] == runs[1][f], "{name} differs between 1 and 2 threads");
        assert!(runs[1][f] == runs[2][f], "{name} differs between two runs at 2 threads");
    }
}

/// Lead and rep ids, and a lead's cells, full of spreadsheet formulas, markup and control
/// characters: the same plan as with plain names, every CSV cell safe to open in a
/// spreadsheet, the HTML escaped, the Markdown's structure intact.
#[test]
fn hostile_names_change_nothing_but_their_own_text() {
    let evil_lead = "=HYPERLINK(\"http://x.example\")<script>alert(1)</script>\u{7}\u{1b}[31m|a|b|\nnext *line*";
    let evil_rep = "+<img src=x onerror=alert(2)>@SUM(1)\t|";
    let evil_company = "-2+3 cmd|' /C calc'!A0 <b>bold</b>";
    let csv_cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let plain_leads = "lead_id,region,value,company\nL1,NA,10,Acme\nL2,EMEA,20,Globex\nL3,NA,30,Initech\n";
    let evil_leads = format!(
        "lead_id,region,value,company\nL1,NA,10,Acme\n{},EMEA,20,{}\nL3,NA,30,Initech\n",
        csv_cell(evil_lead),
        csv_cell(evil_company)
    );
    let plain_reps = "rep_id,capacity,territories\nr1,10,NA\nr2,10,*\n";
    let evil_reps = format!("rep_id,capacity,territories\nr1,10,NA\n{},10,*\n", csv_cell(evil_rep));
    let args =
        round_robin("out.csv", &["--summary-json", "summary.json", "--report", "report.md", "--html", "report.html"]);
    let run = |leads: &str, reps: &str| {
        let wd = Workdir::new();
        wd.create("leads.csv", leads);
        wd.create("reps.csv", reps);
        wd.run(&args);
        wd
    };
    let plain = run(plain_leads, plain_reps);
    let evil = run(&evil_leads, &evil_reps);

    // The same decisions, names mapped back.
    let plan = |wd: &Workdir| -> Vec<(String, String)> {
        let out = wd.read_csv("out.csv");
        let unname = |s: &str| {
            let s = s.strip_prefix('\'').unwrap_or(s);
            if s == evil_lead {
                "L2".to_string()
            } else if s == evil_rep {
                "r2".to_string()
            } else {
                s.to_string()
            }
        };
        out.column("lead_id").iter().zip(out.column("rep_id")).map(|(l, r)| (unname(l), unname(&r))).collect()
    };
    assert_eq!(plan(&plain), plan(&evil));

    // Every CSV cell is safe to open in a spreadsheet.
    let out = evil.read_csv("out.csv");
    for row in &out.rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "unsafe cell {cell:?}");
        }
    }
    assert!(out.column("lead_id").contains(&format!("'{evil_lead}")), "the id is kept, neutralised");

    // The HTML shows the names as text.
    let html = String::from_utf8(evil.read("report.html")).unwrap();
    for raw in ["<script>alert", "<img src=x", "<b>bold"] {
        assert!(!html.contains(raw), "raw markup {raw:?} in the HTML");
    }
    assert!(html.contains("&lt;script&gt;"), "the lead id is shown, escaped");

    // The Markdown keeps its lines and tables; no raw HTML gets through.
    let md = |wd: &Workdir| String::from_utf8(wd.read("report.md")).unwrap();
    let (pm, em) = (md(&plain), md(&evil));
    assert_eq!(pm.lines().count(), em.lines().count(), "a name broke the Markdown's lines");
    let pipes = |s: &str| s.lines().map(|l| l.matches('|').count() - l.matches("\\|").count()).collect::<Vec<_>>();
    assert_eq!(pipes(&pm), pipes(&em), "a name broke a Markdown table");
    assert!(!em.contains("<script>") && !em.contains("<img"), "raw HTML in the Markdown");
    assert!(!em.contains('\u{1b}') && !em.contains('\u{7}'), "control characters in the Markdown");

    // Nothing reaches the terminal raw: neither the run's messages nor an error that
    // quotes a hostile id.
    let out = evil.run(&args);
    evil.create("leads.csv", format!("{evil_leads}{},NA,1,x\n", csv_cell(evil_lead)));
    let err = evil.fail(&args, 1);
    assert!(err.contains("duplicate lead_id"), "{err}");
    for text in [String::from_utf8_lossy(&out.stderr).into_owned(), err] {
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "control characters on the terminal: {text:?}");
    }

    // The summary is valid JSON with the names as plain strings.
    let summary: serde_json::Value = serde_json::from_slice(&evil.read("summary.json")).unwrap();
    assert!(summary.is_object());
}
