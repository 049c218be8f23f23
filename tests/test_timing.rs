//! Time-aware routing: calendars, `--at`, `available_at`, absences, the decay of p_win with
//! waiting, SLAs, and the stream on the clock.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::workdir::{Csv, Workdir};

/// Reps in New York, Berlin, a Singapore night desk, Sydney (a split shift) and London (on
/// holiday for three weeks).
const REPS: &str = "rep_id,capacity,time_zone,working_hours
NY,100,America/New_York,Mon-Fri 09:00-17:00
BER,100,Europe/Berlin,Mon-Fri 09:00-17:00
SIN,100,Asia/Singapore,Sun-Thu 22:00-06:00
SYD,100,Australia/Sydney,Mon-Fri 08:00-12:30; Mon-Fri 13:30-17:30
HOL,100,Europe/London,Mon-Fri 09:00-17:00
";

const CONFIG: &str = "[timing]
time_zone = \"America/New_York\"
response_half_life_hours = 12

[availability]
away = \"away.csv\"
";

/// Friday 27 March 2026, 20:00 UTC: the EU moves to summer time on Sunday, New York moved on
/// 8 March, Sydney leaves summer time on 5 April.
const AT: &str = "2026-03-27T20:00:00Z";

fn ts(s: &str) -> i64 {
    s.parse::<Timestamp>().unwrap_or_else(|e| panic!("{s}: {e}")).as_second()
}

/// A rep's working hours read independently of the tool: (days, start minute, end minute),
/// days Monday = 0, an end not after the start running into the next day.
fn blocks(hours: &str) -> Vec<(Vec<usize>, u32, u32)> {
    let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = |s: &str| names.iter().position(|n| *n == s).unwrap();
    let minute = |s: &str| {
        let (h, m) = s.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
    };
    hours
        .split(';')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| {
            let (days, span) = b.split_once(' ').unwrap();
            let (a, z) = match days.split_once('-') {
                Some((a, z)) => (day(a), day(z)),
                None => (day(days), day(days)),
            };
            let mut list = vec![a];
            let mut d = a;
            while d != z {
                d = (d + 1) % 7;
                list.push(d);
            }
            let (s, e) = span.split_once('-').unwrap();
            (list, minute(s), minute(e))
        })
        .collect()
}

/// The first whole minute at or after `t` when the wall clock in `zone` shows a time inside
/// one of `hours`' blocks and no absence covers it: minute by minute, as a person would
/// check it (at most 30 days ahead).
fn brute_next(t: i64, zone: &str, hours: &str, away: &[(i64, i64)]) -> Option<i64> {
    let tz = TimeZone::get(zone).unwrap();
    let blocks = blocks(hours);
    let mut m = (t + 59).div_euclid(60) * 60;
    while m < t + 30 * 86_400 {
        let dt = tz.to_datetime(Timestamp::from_second(m).unwrap());
        let (wd, min) = (dt.weekday().to_monday_zero_offset() as usize, dt.hour() as u32 * 60 + dt.minute() as u32);
        let on = blocks.is_empty()
            || blocks.iter().any(|(days, s, e)| {
                if e > s {
                    days.contains(&wd) && min >= *s && min < *e
                } else {
                    (days.contains(&wd) && min >= *s) || (days.contains(&((wd + 6) % 7)) && min < *e)
                }
            });
        if on && !away.iter().any(|&(a, b)| a <= m && m < b) {
            return Some(m);
        }
        m += 60;
    }
    None
}

/// A generated world with calendars in `w/`, and with `train` a model in `w/model.json`.
fn calendar_world(wd: &Workdir, seed: &str, leads: &str, reps: &str, history: &str, train: bool) {
    wd.run(&[
        "generate",
        "--out",
        "w",
        "--seed",
        seed,
        "--leads",
        leads,
        "--reps",
        reps,
        "--history",
        history,
        "--calendars",
    ]);
    if train {
        wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "w/model.json"]);
    }
}

/// `assign` on the calendar world's batch on its Monday morning, then `extra`.
fn world_at<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "assign",
        "--leads",
        "w/leads.csv",
        "--reps",
        "w/reps.csv",
        "--config",
        "w/leadroute.toml",
        "--at",
        WORLD_AT,
    ];
    args.extend_from_slice(extra);
    args
}

/// When a generated calendar world's batch is routed.
const WORLD_AT: &str = "2026-11-30T08:00:00Z";

fn calendar_batch() -> Workdir {
    let wd = Workdir::new();
    wd.create("reps.csv", REPS);
    wd.create("leadroute.toml", CONFIG);
    wd.create("away.csv", "rep_id,start,end\nHOL,2026-03-23,2026-04-12\n");
    // In arrival order; times without an offset are New York's ([timing] time_zone).
    wd.create(
        "leads.csv",
        "lead_id,created_at
L1,2026-03-27T10:00:00
L2,2026-03-27T12:00:00
L3,2026-03-27T13:00:00
L4,2026-03-27T14:00:00
L5,2026-03-28T09:00:00
L6,2026-03-29T23:30:00+02:00
",
    );
    wd
}

#[test]
fn available_at_has_known_answers_across_zones_dst_and_a_night_shift() {
    let wd = calendar_batch();
    let out = wd.run(&[
        "assign",
        "--policy",
        "round-robin",
        "--seed",
        "0",
        "--leads",
        "leads.csv",
        "--reps",
        "reps.csv",
        "--config",
        "leadroute.toml",
        "--at",
        AT,
        "--out",
        "plan.csv",
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("no leads for 1 rep away for the whole horizon (HOL)"), "{said}");
    let plan = wd.read_csv("plan.csv");
    assert_eq!(plan.headers[plan.headers.len() - 2], "available_at");
    let got: Vec<(String, String)> =
        plan.rows.iter().map(|r| (r[plan.col("rep_id")].clone(), r[plan.col("available_at")].clone())).collect();
    let want = [
        // On shift in New York at 16:00 EDT: at once (the plan's start).
        ("NY", "2026-03-27T20:00:00Z"),
        // Berlin is off at 21:00 CET; back Monday 09:00, in summer time by then (07:00 UTC).
        ("BER", "2026-03-30T07:00:00Z"),
        // Singapore's night desk: Saturday 04:00 SGT is after Thursday's block; Sunday 22:00.
        ("SIN", "2026-03-29T14:00:00Z"),
        // Sydney: Monday 08:00 AEDT (UTC+11 until 5 April).
        ("SYD", "2026-03-29T21:00:00Z"),
        // Created after --at, on Saturday: New York's Monday 09:00 EDT.
        ("NY", "2026-03-30T13:00:00Z"),
        // Created with an offset (Sunday 21:30 UTC): Berlin's Monday 09:00 CEST.
        ("BER", "2026-03-30T07:00:00Z"),
    ];
    for (k, (rep, when)) in want.iter().enumerate() {
        assert_eq!((got[k].0.as_str(), got[k].1.as_str()), (*rep, *when), "lead L{}", k + 1);
    }
    // The holidaymaker gets nothing, under any policy.
    assert!(plan.column("rep_id").iter().all(|r| r != "HOL"));
}

/// Every assigned lead's `available_at` in a generated world with calendars, against a
/// minute-by-minute reading of its rep's wall clock.
#[test]
fn available_at_matches_a_minute_by_minute_reading_on_a_generated_world() {
    let wd = Workdir::new();
    calendar_world(&wd, "4", "300", "16", "0", false);
    for policy in ["round-robin", "least-loaded"] {
        wd.run(&world_at(&["--policy", policy, "--out", "plan.csv"]));
        let (plan, reps, leads, away) =
            (wd.read_csv("plan.csv"), wd.read_csv("w/reps.csv"), wd.read_csv("w/leads.csv"), wd.read_csv("w/away.csv"));
        let at = ts(WORLD_AT);
        let mut checked = 0;
        for (l, row) in plan.rows.iter().enumerate() {
            let rep = &row[plan.col("rep_id")];
            if rep.is_empty() {
                continue;
            }
            let r = reps.rows.iter().find(|x| &x[0] == rep).unwrap();
            let (zone, hours) = (&r[reps.col("time_zone")], &r[reps.col("working_hours")]);
            let absences = absences_of(&away, rep, zone);
            let created = ts(&format!("{}Z", leads.rows[l][leads.col("created_at")]));
            let want = brute_next(created.max(at), zone, hours, &absences).map(fmt);
            assert_eq!(Some(row[plan.col("available_at")].clone()), want, "{policy}: lead {} with {rep}", row[0]);
            checked += 1;
        }
        assert!(checked > 200, "{policy}: only {checked} leads assigned");
    }
}

/// A rep's absences from an absences file (dates are whole local days, end included).
fn absences_of(away: &Csv, rep: &str, zone: &str) -> Vec<(i64, i64)> {
    let tz = TimeZone::get(zone).unwrap();
    let day = |d: &str, next: bool| -> i64 {
        let date: jiff::civil::Date = d.parse().unwrap();
        let date = if next { date.tomorrow().unwrap() } else { date };
        tz.to_timestamp(date.at(0, 0, 0, 0)).unwrap().as_second()
    };
    away.rows
        .iter()
        .filter(|a| a[0] == rep || a[0] == "*")
        .map(|a| {
            let when = |s: &str, end: bool| if s.len() == 10 { day(s, end) } else { ts(s) };
            (when(&a[1], false), when(&a[2], true))
        })
        .collect()
}

fn fmt(t: i64) -> String {
    Timestamp::from_second(t).unwrap().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn reps_away_for_the_whole_horizon_get_no_leads_and_the_reports_say_who_is_out() {
    let wd = Workdir::new();
    calendar_world(&wd, "5", "400", "20", "4000", true);
    let (away, reps) = (wd.read_csv("w/away.csv"), wd.read_csv("w/reps.csv"));
    let active = |id: &str| reps.rows.iter().any(|r| r[0] == id && r[reps.col("active")] == "true");
    let gone: Vec<String> = away
        .rows
        .iter()
        .filter(|a| a[1] == "2026-11-21" && a[2] == "2026-12-13" && active(&a[0]))
        .map(|a| a[0].clone())
        .collect();
    assert!(!gone.is_empty(), "the world has reps on a three-week holiday");
    for policy in ["optimize", "round-robin", "weighted", "least-loaded"] {
        let out = wd.run(&world_at(&[
            "--policy",
            policy,
            "--model",
            "w/model.json",
            "--out",
            "plan.csv",
            "--summary-json",
            "s.json",
            "--report",
            "r.md",
        ]));
        let plan = wd.read_csv("plan.csv");
        for g in &gone {
            assert!(!plan.column("rep_id").contains(g), "{policy} gave a lead to {g}, away for the whole horizon");
        }
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("away for the whole horizon") && said.contains(&gone[0]), "{policy}: {said}");
        let s: serde_json::Value = serde_json::from_slice(&wd.read("s.json")).unwrap();
        let listed: Vec<&str> =
            s["time"]["away_for_horizon"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for g in &gone {
            assert!(listed.contains(&g.as_str()), "{policy}: {g} not listed as away: {listed:?}");
        }
        let md = String::from_utf8(wd.read("r.md")).unwrap();
        assert!(md.contains("## Time") && md.contains("not at work when the plan takes effect"), "{policy}");
        // Every assigned lead has when its rep can start, no earlier than the plan's start.
        for r in &plan.rows {
            let when = &r[plan.col("available_at")];
            assert_eq!(when.is_empty(), r[plan.col("status")] != "assigned");
            if !when.is_empty() {
                assert!(ts(when) >= ts(WORLD_AT));
            }
        }
    }
}

#[test]
fn untouched_leads_past_the_sla_leave_their_owner_and_never_go_back() {
    let wd = calendar_batch();
    wd.create("away.csv", "rep_id,start,end\n");
    let base = CONFIG.replace("response_half_life_hours = 12", "response_half_life_hours = 12\nsla_hours = 24");
    wd.create("plain.toml", &base);
    wd.create("working.toml", base.replace("sla_hours = 24", "sla_hours = 24\nsla_clock = \"working\""));
    wd.create("away.csv", "rep_id,start,end\n");
    // Monday 30 March, 10:00 in New York.
    let at = "2026-03-30T14:00:00Z";
    // L1: NY got it on Friday 16:00 New York time and never touched it: 66 plain hours, but
    // only 2 of NY's working hours. L2: BER got it 30 h ago, untouched. L3: touched. L4: got it
    // an hour ago. L5: no assigned_at (not checked, with a warning).
    wd.create(
        "current.csv",
        "lead_id,rep_id,assigned_at,touched_at
L1,NY,2026-03-27T20:00:00Z,
L2,BER,2026-03-29T08:00:00Z,
L3,SIN,2026-03-27T08:00:00Z,2026-03-27T09:00:00Z
L4,SYD,2026-03-30T13:00:00Z,
L5,NY,,
",
    );
    let run = |config: &str| -> (Csv, String, String) {
        let out = wd.run(&[
            "assign",
            "--policy",
            "round-robin",
            "--seed",
            "0",
            "--lock",
            "--leads",
            "leads.csv",
            "--reps",
            "reps.csv",
            "--config",
            config,
            "--current",
            "current.csv",
            "--at",
            at,
            "--out",
            "plan.csv",
            "--summary-json",
            "s.json",
        ]);
        (
            wd.read_csv("plan.csv"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (plan, said, warned) = run("plain.toml");
    let rep = |l: usize| plan.rows[l][plan.col("rep_id")].clone();
    let why = |l: usize| plan.rows[l][plan.col("explanation")].clone();
    assert!(rep(0) != "NY" && !rep(0).is_empty(), "L1 left NY: {}", rep(0));
    assert!(why(0).starts_with("SLA missed: untouched 66 h after NY got it"), "{}", why(0));
    assert!(rep(1) != "BER" && why(1).starts_with("SLA missed: untouched 30 h after BER got it"), "{}", why(1));
    assert_eq!(rep(2), "SIN", "a touched lead keeps the usual owner rules (locked)");
    assert_eq!(rep(3), "SYD", "within its SLA");
    assert_eq!(rep(4), "NY", "no assigned_at: not checked");
    assert!(said.contains("2 owned leads untouched past the 24 h SLA leave their owner"), "{said}");
    assert!(warned.contains("1 owned leads have no assigned_at"), "{warned}");
    let s: serde_json::Value = serde_json::from_slice(&wd.read("s.json")).unwrap();
    assert_eq!(s["time"]["sla"]["missed"], 2);
    // Counted in the owners' working hours, L1 was untouched 2 h (Friday 16–17, Monday 9–10
    // in New York) and L2 7 h (Berlin's Monday morning): both stay.
    let (plan, said, _) = run("working.toml");
    assert_eq!((plan.rows[0][plan.col("rep_id")].as_str(), plan.rows[1][plan.col("rep_id")].as_str()), ("NY", "BER"));
    assert!(!said.contains("past the"), "{said}");
}

#[test]
fn bad_calendars_absences_and_clocks_are_clear_errors() {
    let wd = calendar_batch();
    let assign = |reps: &str, config: &str, at: &str| -> Vec<String> {
        [
            "assign",
            "--policy",
            "round-robin",
            "--leads",
            "leads.csv",
            "--reps",
            reps,
            "--config",
            config,
            "--at",
            at,
            "--out",
            "plan.csv",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let fail = |args: Vec<String>, code: i32| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        wd.fail(&a, code)
    };
    wd.create("zone.csv", REPS.replace("Europe/Berlin", "Europe/Berln"));
    let e = fail(assign("zone.csv", "leadroute.toml", AT), 1);
    assert!(
        e.contains("zone.csv, line 3, column 3 (\"time_zone\")") && e.contains("did you mean Europe/Berlin"),
        "{e}"
    );
    wd.create("hours.csv", REPS.replace("Sun-Thu 22:00-06:00", "Sun-Thurs 22:00-06:00"));
    let e = fail(assign("hours.csv", "leadroute.toml", AT), 1);
    assert!(
        e.contains("hours.csv, line 4, column 4 (\"working_hours\")") && e.contains("\"Thurs\" is not a day"),
        "{e}"
    );
    wd.create("away.csv", "rep_id,start,end\nHOL,2026-04-12,2026-03-23\n");
    let e = fail(assign("reps.csv", "leadroute.toml", AT), 1);
    assert!(e.contains("away.csv, line 2, column 3 (\"end\")") && e.contains("ends"), "{e}");
    wd.create("away.csv", "rep_id,start,end\nH0L,2026-03-23,2026-04-12\n");
    let e = fail(assign("reps.csv", "leadroute.toml", AT), 1);
    assert!(e.contains("away.csv, line 2, column 1 (\"rep_id\")") && e.contains("\"H0L\" is not a rep"), "{e}");
    wd.create("away.csv", "rep_id,start,end\nHOL,23/03/2026,2026-04-12\n");
    let e = fail(assign("reps.csv", "leadroute.toml", AT), 1);
    assert!(e.contains("away.csv, line 2, column 2 (\"start\")") && e.contains("2026-12-24"), "{e}");
    wd.create("away.csv", "rep_id,start,end\nHOL,2026-03-23,2026-04-12\n");
    let e = fail(assign("reps.csv", "leadroute.toml", "2026-03-27T20:00:00"), 2);
    assert!(e.contains("no UTC offset"), "{e}");
    wd.create("tz.toml", CONFIG.replace("America/New_York", "Eastern"));
    let e = fail(assign("reps.csv", "tz.toml", AT), 1);
    assert!(e.contains("tz.toml") && e.contains("[timing] time_zone") && e.contains("not a time zone"), "{e}");
    // An SLA needs to know when owners got their leads and touched them.
    wd.create("sla.toml", CONFIG.replace("response_half_life_hours = 12", "sla_hours = 24"));
    wd.create("current.csv", "lead_id,rep_id\nL1,NY\n");
    let mut args = assign("reps.csv", "sla.toml", AT);
    args.extend(["--current".into(), "current.csv".into()]);
    let e = fail(args, 1);
    assert!(e.contains("current.csv, line 1") && e.contains("assigned_at and touched_at"), "{e}");
    assert!(!wd.exists("plan.csv"), "no plan is written from bad input");
}

/// The plan, the summary, the reports and the routing state, twice at two threads and once
/// at one: the same bytes (`--at` left to the clock, pinned by SOURCE_DATE_EPOCH).
#[test]
fn time_aware_outputs_are_byte_identical_across_runs_and_thread_counts() {
    let wd = Workdir::new();
    calendar_world(&wd, "6", "600", "20", "3000", true);
    let files = ["out.csv", "summary.json", "report.md", "report.html", "state.json"];
    let mut runs: Vec<Vec<Vec<u8>>> = Vec::new();
    for (k, threads) in ["1", "2", "2"].into_iter().enumerate() {
        let dir = format!("run{k}");
        wd.create(&format!("{dir}/.keep"), "");
        let out = wd
            .command(&[
                "--threads",
                threads,
                "assign",
                "--leads",
                "../w/leads.csv",
                "--reps",
                "../w/reps.csv",
                "--config",
                "../w/leadroute.toml",
                "--model",
                "../w/model.json",
                "--out",
                "out.csv",
                "--summary-json",
                "summary.json",
                "--report",
                "report.md",
                "--html",
                "report.html",
                "--state-out",
                "state.json",
            ])
            .current_dir(wd.path(&dir))
            .env("SOURCE_DATE_EPOCH", "1796025600") // 2026-11-30T08:00:00Z
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        runs.push(files.iter().map(|f| wd.read(&format!("{dir}/{f}"))).collect());
    }
    for (f, name) in files.iter().enumerate() {
        assert!(runs[0][f] == runs[1][f], "{name} differs between 1 and 2 threads");
        assert!(runs[1][f] == runs[2][f], "{name} differs between two runs");
    }
    let summary: serde_json::Value = serde_json::from_slice(&runs[0][1]).unwrap();
    assert_eq!(summary["time"]["at"], "2026-11-30T08:00:00Z", "now is SOURCE_DATE_EPOCH");
}

/// The stream on the clock: each streamed lead's rep can start on it at its `available_at`,
/// the first minute from the lead's arrival (its created_at) the rep is available.
#[test]
fn the_stream_routes_each_lead_by_when_reps_can_start_on_it() {
    let wd = Workdir::new();
    calendar_world(&wd, "8", "900", "16", "4000", true);
    wd.split_night_day("w/leads.csv", 300);
    wd.run(&[
        "assign",
        "--leads",
        "night.csv",
        "--reps",
        "w/reps.csv",
        "--config",
        "w/leadroute.toml",
        "--model",
        "w/model.json",
        "--out",
        "plan.csv",
        "--state-out",
        "state.json",
        "--at",
        "2026-11-27T08:00:00Z",
        "--expect-arrivals",
        "600",
    ]);
    let state: serde_json::Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert!(state["time"]["half_life_hours"].as_f64().is_some(), "the state keeps the plan's decay");
    let out = wd.run_with_input(
        &[
            "stream",
            "--state",
            "state.json",
            "--model",
            "w/model.json",
            "--reps",
            "w/reps.csv",
            "--config",
            "w/leadroute.toml",
        ],
        &wd.read("day.csv"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let header: Vec<String> =
        csv::Reader::from_reader(&out.stdout[..]).headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (reps, away, leads) = (wd.read_csv("w/reps.csv"), wd.read_csv("w/away.csv"), wd.read_csv("day.csv"));
    let mut later = 0;
    for (k, r) in rows.iter().enumerate() {
        if r[col("status")] != "assigned" {
            continue;
        }
        let rep = reps.rows.iter().find(|x| x[0] == r[col("rep_id")]).unwrap();
        let (zone, hours) = (&rep[reps.col("time_zone")], &rep[reps.col("working_hours")]);
        let created = ts(&format!("{}Z", leads.rows[k][leads.col("created_at")]));
        let want = brute_next(created, zone, hours, &absences_of(&away, &rep[0], zone)).map(fmt);
        assert_eq!(Some(r[col("available_at")].clone()), want, "lead {}", r[0]);
        later += usize::from(ts(&r[col("available_at")]) > created + 60);
        assert!(r[col("explanation")].contains("can call"), "{}", r[col("explanation")]);
    }
    assert!(later > 0, "some leads wait for a rep who is off shift when they arrive");
}

/// On a generated world whose p_win halves every 12 hours a lead waits, the plan that knows
/// the calendar wins more under the hidden truth than the same optimizer blind to time, and
/// far more than round robin.
#[test]
fn knowing_the_calendar_wins_more_under_the_truth() {
    let wd = Workdir::new();
    calendar_world(&wd, "9", "1000", "30", "8000", true);
    // The same world blind to time: no calendar columns, no [timing] or [availability].
    let reps = wd.read_csv("w/reps.csv");
    let keep: Vec<usize> = (0..reps.headers.len())
        .filter(|&c| !["time_zone", "working_hours"].contains(&reps.headers[c].as_str()))
        .collect();
    let mut w = csv::Writer::from_path(wd.path("w/blind_reps.csv")).unwrap();
    w.write_record(keep.iter().map(|&c| &reps.headers[c])).unwrap();
    for r in &reps.rows {
        w.write_record(keep.iter().map(|&c| &r[c])).unwrap();
    }
    w.flush().unwrap();
    let config = String::from_utf8(wd.read("w/leadroute.toml")).unwrap();
    wd.create("w/blind.toml", &config[..config.find("[timing]").unwrap()]);
    let at = WORLD_AT;
    let plan = |name: &str, reps: &str, config: &str, extra: &[&str]| -> Csv {
        let mut args = vec![
            "assign",
            "--leads",
            "w/leads.csv",
            "--reps",
            reps,
            "--config",
            config,
            "--out",
            name,
            "--model",
            "w/model.json",
        ];
        args.extend(extra);
        wd.run(&args);
        wd.read_csv(name)
    };
    let timed = plan("timed.csv", "w/reps.csv", "w/leadroute.toml", &["--at", at]);
    let blind = plan("blind.csv", "w/blind_reps.csv", "w/blind.toml", &[]);
    let rr = plan("rr.csv", "w/reps.csv", "w/leadroute.toml", &["--at", at, "--policy", "round-robin"]);
    assert!(!blind.headers.contains(&"available_at".to_string()), "blind to time: no available_at");
    // Each plan's true expected value: the truth's p_win after the wait for its rep, read
    // off the rep's wall clock minute by minute.
    let truth = leadroute::truth::Truth::load(&wd.path("w")).unwrap();
    let (leads, away) = (wd.read_csv("w/leads.csv"), wd.read_csv("w/away.csv"));
    let worth = |p: &Csv| -> f64 {
        p.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r[1].is_empty())
            .map(|(l, r)| {
                let rep = reps.rows.iter().find(|x| x[0] == r[1]).unwrap();
                let (zone, hours) = (&rep[reps.col("time_zone")], &rep[reps.col("working_hours")]);
                let created = ts(&format!("{}Z", leads.rows[l][leads.col("created_at")]));
                let value: f64 = leads.rows[l][leads.col("value")].parse().unwrap();
                match brute_next(created.max(ts(at)), zone, hours, &absences_of(&away, &rep[0], zone)) {
                    Some(a) => value * truth.p_win_after(&r[0], &r[1], a - created).unwrap(),
                    None => 0.0,
                }
            })
            .sum()
    };
    let (t, b, r) = (worth(&timed), worth(&blind), worth(&rr));
    assert!(t > 1.05 * b, "time-aware {t:.0} vs blind to time {b:.0}");
    assert!(t > 1.3 * r, "time-aware {t:.0} vs round robin {r:.0}");
}

/// The decay prices the wait for a first call: a lead already worked (`touched_at` in the
/// owners' file) keeps its p_win whatever its age, one waiting for its first call does not.
#[test]
fn leads_already_worked_do_not_decay() {
    let wd = Workdir::new();
    calendar_world(&wd, "12", "300", "12", "3000", true);
    let leads = wd.read_csv("w/leads.csv");
    let ids: Vec<&String> = leads.rows.iter().take(40).map(|r| &r[0]).collect();
    let owners = |touched: bool| -> String {
        let mut s = "lead_id,rep_id,assigned_at,touched_at\n".to_string();
        for id in &ids {
            s.push_str(&format!("{id},,,{}\n", if touched { "2026-11-28T10:00:00Z" } else { "" }));
        }
        s
    };
    let p_win = |file: &str, out: &str| -> Vec<f64> {
        wd.create(file, owners(file == "worked.csv"));
        wd.run(&world_at(&["--model", "w/model.json", "--current", file, "--out", out]));
        let plan = wd.read_csv(out);
        plan.rows.iter().take(40).map(|r| r[plan.col("p_win")].parse().unwrap_or(0.0)).collect()
    };
    let (fresh, worked) = (p_win("waiting.csv", "a.csv"), p_win("worked.csv", "b.csv"));
    let better = fresh.iter().zip(&worked).filter(|(f, w)| *w > *f).count();
    assert!(better >= 35, "worked leads keep their p_win: {better} of 40 higher ({fresh:?} vs {worked:?})");
}
