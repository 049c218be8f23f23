//! `assign --state-out` and `stream`: leads routed one at a time at the plan's prices.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use serde_json::Value;

use crate::workdir::{Workdir, trained_world, world_assign};

/// A trained world whose first 400 leads were routed at night (`w/state.json`), and the
/// other 400 as the day's arrivals (`day.csv`).
fn night_and_day() -> Workdir {
    let wd = trained_world("81");
    wd.split_night_day("w/leads.csv", 400);
    let mut args = world_assign(&["--model", "w/model.json", "--out", "plan.csv", "--state-out", "state.json"]);
    args[2] = "night.csv";
    args.extend(["--expect-arrivals", "400"]);
    wd.run(&args);
    wd
}

const STREAM: [&str; 9] = [
    "stream",
    "--state",
    "state.json",
    "--model",
    "w/model.json",
    "--reps",
    "w/reps.csv",
    "--config",
    "w/leadroute.toml",
];

/// Puts a copy of a state back as `state.json`, with no journal: a stream then starts from
/// it as if nothing had been streamed since (a journal continuing the state is refused
/// with an older copy of it).
fn restore(wd: &Workdir, state: &[u8]) {
    wd.create("state.json", state);
    let _ = std::fs::remove_file(wd.path("state.json.journal"));
}

/// How many stream decisions are on disk: the state's count, or the journal's last record.
fn journaled(wd: &Workdir) -> u64 {
    let saved: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    let journal = String::from_utf8(wd.read("state.json.journal")).unwrap_or_default();
    let last = journal
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(' ').and_then(|(_, json)| serde_json::from_str::<Value>(json).ok()))
        .filter_map(|r| r["seq"].as_u64())
        .max();
    last.unwrap_or(0).max(saved["arrived"].as_u64().unwrap())
}

/// Whether a row is a lead routed now: assigned, or left out for want of room (at capacity,
/// or held back for the better leads expected), not an error or a closed deal.
fn decided(r: &[String]) -> bool {
    r[2] == "assigned"
        || (r[2] == "unassigned" && ["all_eligible_at_capacity", "capacity_reserved"].contains(&r[3].as_str()))
}

/// The data rows of the stream's CSV output.
fn rows_of(out: &[u8]) -> Vec<Vec<String>> {
    csv::Reader::from_reader(out).records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

/// Runs the stream with `input` on standard input; its standard output.
fn stream(wd: &Workdir, input: &[u8], extra: &[&str]) -> String {
    let mut args = STREAM.to_vec();
    args.extend(extra);
    let out = wd.run_with_input(&args, input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_state_holds_what_the_plan_left_and_its_prices() {
    let wd = night_and_day();
    let s: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert_eq!(s["format"], "leadroute-routing-state");
    assert_eq!(s["expected_arrivals"], 400);
    assert_eq!(s["routed"].as_array().unwrap().len(), 400);
    // Remaining capacity is capacity less what the plan gave each rep; prices never negative,
    // and a rep with room left over does not price its capacity.
    let plan = wd.read_csv("plan.csv");
    for r in s["reps"].as_array().unwrap() {
        let id = r["rep_id"].as_str().unwrap();
        let given = plan.rows.iter().filter(|row| row[1] == id).count() as f64;
        let (cap, left, price) =
            (r["capacity"].as_f64().unwrap(), r["remaining"].as_f64().unwrap(), r["price"].as_f64().unwrap());
        assert_eq!(left, cap - given, "{r}");
        assert!(price >= 0.0 && (left < 1.0 || price == 0.0), "{r}");
    }
    let classes: u64 = s["mix"]["classes"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(classes, 400);
    // Without a model file there is nothing to fingerprint: a usage error.
    let err = wd.fail(&world_assign(&["--history", "w/history.csv", "--out", "x.csv", "--state-out", "s.json"]), 2);
    assert!(err.contains("needs the optimize policy and a model file"), "{err}");
}

#[test]
fn the_stream_routes_each_lead_within_capacity_and_answers_repeats_from_the_state() {
    let wd = night_and_day();
    let before: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    let day = wd.read("day.csv");
    let out = stream(&wd, &day, &[]);
    let rows = rows_of(out.as_bytes());
    assert!(out.starts_with("lead_id,rep_id,status,reason,score,p_win,expected_value,rank,tier,"));
    assert_eq!(rows.len(), 400);
    let day_ids: Vec<String> = wd.read_csv("day.csv").column("lead_id");
    assert_eq!(rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), day_ids, "one row per lead, in order");
    // No rep gets more than the capacity the night left it.
    for r in before["reps"].as_array().unwrap() {
        let id = r["rep_id"].as_str().unwrap();
        let given = rows.iter().filter(|row| row[1] == id).count() as f64;
        assert!(given <= r["remaining"].as_f64().unwrap() + 1e-9, "{id} got {given}: {r}");
        assert!(given == 0.0 || r["active"] == true, "{id} is inactive");
    }
    // The saved state is what the night left less what the day took, rep by rep; a lead
    // left out says its eligible reps are full.
    let after: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    for (b, a) in before["reps"].as_array().unwrap().iter().zip(after["reps"].as_array().unwrap()) {
        let given = rows.iter().filter(|row| row[1] == b["rep_id"].as_str().unwrap()).count() as f64;
        assert_eq!(a["remaining"].as_f64().unwrap(), b["remaining"].as_f64().unwrap() - given, "{a}");
    }
    assert_eq!(after["arrived"], 400);
    for r in rows.iter().filter(|r| r[2] == "unassigned") {
        assert!(
            (r[3] == "all_eligible_at_capacity" && r[11].contains("have used their capacity"))
                || (r[3] == "capacity_reserved" && r[11].contains("waits for the next batch") && !r[9].is_empty()),
            "{r:?}"
        );
    }
    // The state keeps the night's leads as the forecast and the day's as observed, for the
    // prices' re-solves.
    assert_eq!(after["sample"]["forecast"].as_array().unwrap().len(), 400);
    assert_eq!(after["sample"]["observed"].as_array().unwrap().len(), 400);
    // The same leads again: every answer is the earlier one, byte for byte; nothing routed twice.
    let again = stream(&wd, &day, &[]);
    assert_eq!(again, out);
    let after: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert_eq!(after["routed"].as_array().unwrap().len(), 800);
    assert_eq!(after["arrived"], 400, "repeats are not routed again");
    // A night lead is answered with its night decision.
    let night = wd.read_csv("plan.csv");
    let first = String::from_utf8(wd.read("night.csv")).unwrap().lines().take(2).collect::<Vec<_>>().join("\n") + "\n";
    let answer = stream(&wd, first.as_bytes(), &[]);
    let row: Vec<String> = csv::Reader::from_reader(answer.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!((row[0].as_str(), row[1].as_str()), (night.rows[0][0].as_str(), night.rows[0][1].as_str()));
}

#[test]
fn a_killed_stream_restarted_on_the_same_input_loses_and_repeats_nothing() {
    let wd = night_and_day();
    let day = wd.read("day.csv");
    wd.create("fresh.json", wd.read("state.json"));
    let whole = stream(&wd, &day, &[]);
    // Again from the night's state: killed after 150 rows, with the state saved every 40.
    restore(&wd, &wd.read("fresh.json"));
    let mut args = STREAM.to_vec();
    args.extend(["--save-every", "40"]);
    let mut child = wd.command(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let text = String::from_utf8(day.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    stdin.write_all((lines[..151].join("\n") + "\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    let mut line = String::new();
    // The header and 150 rows arrive while the input is still open: rows are flushed at once.
    while seen.len() < 151 {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream ended early");
        seen.push(line.clone());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Every row delivered is on disk: in the state (saved every 40 decisions), or after it
    // in the journal.
    let saved: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert_eq!(saved["arrived"].as_u64().unwrap() % 40, 0, "saved at every 40th decision");
    assert!(journaled(&wd) >= 150, "150 rows delivered, {} decisions on disk", journaled(&wd));
    // Restarted on the same input: the whole day's output, byte for byte as without the kill.
    let restarted = stream(&wd, &day, &["--save-every", "40"]);
    assert_eq!(restarted, whole);
    assert_eq!(seen.concat(), whole.lines().take(151).map(|l| format!("{l}\n")).collect::<String>());
}

#[test]
fn a_lead_worth_less_than_its_capacity_is_held_until_the_prices_are_re_solved_unless_told_to_fill() {
    let wd = night_and_day();
    // Capacity priced far above any lead's worth, and no dual step to bring it down: every
    // lead is held back until the first re-solve (after 200 arrivals) prices the capacity
    // against the leads expected.
    let mut s: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    for r in s["reps"].as_array_mut().unwrap() {
        r["price"] = 1e9.into();
    }
    s["step"] = 0.0.into();
    let dear = serde_json::to_vec_pretty(&s).unwrap();
    restore(&wd, &dear);
    let day = wd.read("day.csv");
    let out = wd.run_with_input(&STREAM, &day);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = rows_of(&out.stdout[..]);
    let room: Vec<String> = s["reps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["remaining"].as_f64().unwrap() >= 1.0 && r["active"] == true)
        .map(|r| r["rep_id"].as_str().unwrap().to_string())
        .collect();
    for r in &rows[..200] {
        assert!(r[3] == "capacity_reserved" || r[3] == "no_eligible_rep", "{r:?}");
        if r[3] == "capacity_reserved" {
            assert!(room.contains(&r[9]) && r[11].contains("1,000,000,000"), "names a rep with room, its price: {r:?}");
        }
    }
    let held = rows.iter().filter(|r| r[3] == "capacity_reserved").count();
    let later = rows[200..].iter().filter(|r| r[2] == "assigned").count();
    assert!(held >= 150 && later >= 100, "held {held}, assigned after the re-solve {later}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{held} held back for better leads expected later")), "{err}");
    // `--fill`: nothing is held while a rep has room.
    restore(&wd, &dear);
    let filled = stream(&wd, &day, &["--fill"]);
    assert!(!filled.contains("capacity_reserved"));
    let assigned = rows.iter().filter(|r| r[2] == "assigned").count();
    assert!(filled.matches(",assigned,").count() > assigned + 50, "{filled}");
}

#[test]
fn bad_rows_get_an_error_row_and_json_lines_route_as_csv_rows_do() {
    let wd = night_and_day();
    wd.create("fresh.json", wd.read("state.json"));
    let text = String::from_utf8(wd.read("day.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(6).map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let value = header.iter().position(|h| *h == "value").unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[value] = "lots".into();
    lines[2] = cells.join(",");
    lines.insert(4, "only,three,fields".into());
    let out = stream(&wd, (lines.join("\n") + "\n").as_bytes(), &[]);
    let rows = rows_of(out.as_bytes());
    assert_eq!(rows.len(), 6);
    assert_eq!((rows[1][2].as_str(), rows[1][3].as_str()), ("error", "bad_input"));
    assert!(
        rows[1][11].contains("line 3") && rows[1][11].contains("value") && rows[1][11].contains("lots"),
        "{:?}",
        rows[1]
    );
    assert!(rows[3][11].contains("line 5") && rows[3][11].contains("3 fields"), "{:?}", rows[3]);
    assert_eq!(rows.iter().filter(|r| decided(r)).count(), 4);
    // The same good leads as JSON lines, from the night's state: the same rows.
    restore(&wd, &wd.read("fresh.json"));
    let csv_rows = stream(&wd, (text.lines().take(4).collect::<Vec<_>>().join("\n") + "\n").as_bytes(), &[]);
    restore(&wd, &wd.read("fresh.json"));
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let heads = rd.headers().unwrap().clone();
    let jsonl: String = rd
        .records()
        .take(3)
        .map(|r| {
            let r = r.unwrap();
            let obj: serde_json::Map<String, Value> =
                heads.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), Value::String(v.to_string()))).collect();
            Value::Object(obj).to_string() + "\n"
        })
        .collect();
    assert_eq!(stream(&wd, jsonl.as_bytes(), &["--format", "jsonl"]), csv_rows);
}

#[test]
fn a_state_is_used_only_with_its_own_model() {
    let wd = night_and_day();
    wd.run(&[
        "train",
        "--history",
        "w/history.csv",
        "--config",
        "w/leadroute.toml",
        "--model",
        "other.json",
        "--seed",
        "7",
    ]);
    let mut args = STREAM.to_vec();
    args[4] = "other.json";
    let out = wd.run_with_input(&args, b"");
    // An empty input is fine with any model (nothing to route); a lead is not.
    assert!(out.status.success());
    let out = wd.run_with_input(&args, &wd.read("day.csv"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("other.json") && err.contains("not the model file the routing state was made with"), "{err}");
}

/// A pipeline export streams its closed deals too: they are answered `closed_deal`, not
/// routed; and a config that joins lookups onto the leads is refused, since a streamed lead
/// is not joined and its looked-up columns would be silently empty.
#[test]
fn closed_deals_are_not_routed_and_joined_configs_are_refused() {
    let wd = night_and_day();
    let text = String::from_utf8(wd.read("day.csv")).unwrap();
    let lines: Vec<&str> = text.lines().take(4).collect();
    let with_outcome: Vec<String> =
        lines.iter().enumerate().map(|(k, l)| format!("{l},{}", ["outcome", "", "won", "open"][k])).collect();
    let out = stream(&wd, (with_outcome.join("\n") + "\n").as_bytes(), &[]);
    let rows = rows_of(out.as_bytes());
    assert!(decided(&rows[0]) && decided(&rows[2]), "{rows:?}");
    assert_eq!((rows[1][2].as_str(), rows[1][3].as_str()), ("unassigned", "closed_deal"));
    assert_eq!(rows.len(), 3);
    let state: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert_eq!(state["arrived"], 2, "the closed deal used no capacity and moved no price");
    // A config with a lookup joined onto the leads: a usage error naming the lookup.
    let config = String::from_utf8(wd.read("w/leadroute.toml")).unwrap();
    wd.create("w/accounts.csv", "industry,sector\nfintech,finance\n");
    wd.create("w/joined.toml", format!("{config}\n[[join]]\nfile = \"accounts.csv\"\non = \"industry\"\n"));
    let mut args = STREAM.to_vec();
    args[8] = "w/joined.toml";
    let out = wd.run_with_input(&args, text.as_bytes());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("accounts.csv") && err.contains("does not join"), "{err}");
}

/// A world whose reps are equally good: the model's check leaves skill unused, and the
/// stream, like a batch, takes every rep as equally good — p_win is the lead's score.
#[test]
fn skill_the_model_leaves_unused_is_not_used_by_the_stream() {
    let wd = Workdir::new();
    wd.run(&[
        "generate",
        "--out",
        "w",
        "--seed",
        "81",
        "--leads",
        "800",
        "--reps",
        "12",
        "--history",
        "6000",
        "--skill-spread",
        "0",
    ]);
    let trained =
        wd.run(&["train", "--history", "w/history.csv", "--config", "w/leadroute.toml", "--model", "w/model.json"]);
    assert!(String::from_utf8_lossy(&trained.stderr).contains("rep skill is not used"), "the world needs unused skill");
    let text = String::from_utf8(wd.read("w/leads.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    wd.create("night.csv", lines[..401].join("\n") + "\n");
    let mut args = world_assign(&["--model", "w/model.json", "--out", "plan.csv", "--state-out", "state.json"]);
    args[2] = "night.csv";
    wd.run(&args);
    let day = format!("{}\n{}\n", lines[0], lines[401..].join("\n"));
    let out = stream(&wd, day.as_bytes(), &[]);
    let rows = rows_of(out.as_bytes());
    let assigned: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "assigned").collect();
    assert!(assigned.len() > 100, "{} assigned", assigned.len());
    for r in assigned {
        assert_eq!(r[4], r[5], "p_win is the score when skill is unused: {r:?}");
    }
}

/// Kills a stream (SIGKILL) once `after` rows of `day`'s leads have come out, and restarts it
/// on the leads it had not answered — as a queue consumer resends only what it got no answer
/// for. Returns the rows of both runs, in order.
fn killed_and_resumed(wd: &Workdir, day: &str, after: usize) -> Vec<Vec<String>> {
    let lines: Vec<&str> = day.lines().collect();
    let mut args = STREAM.to_vec();
    args.extend(["--save-every", "40"]);
    let mut child = wd.command(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The leads come in slowly enough that groups are small: a feeder, not a file.
    let feeder = {
        let lines: Vec<String> = lines.iter().map(|l| format!("{l}\n")).collect();
        std::thread::spawn(move || {
            for (k, l) in lines.iter().enumerate() {
                if stdin.write_all(l.as_bytes()).is_err() {
                    break;
                }
                if k % 7 == 0 {
                    let _ = stdin.flush();
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        })
    };
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut got = String::new();
    let mut line = String::new();
    for _ in 0..=after {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream ended early");
        got.push_str(&line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = feeder.join();
    let mut rows = rows_of(got.as_bytes());
    let answered: std::collections::HashSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    let rest: Vec<&str> =
        lines[1..].iter().copied().filter(|l| !answered.contains(l.split(',').next().unwrap())).collect();
    let input = format!("{}\n{}\n", lines[0], rest.join("\n"));
    rows.extend(rows_of(stream(wd, input.as_bytes(), &["--save-every", "40"]).as_bytes()));
    rows
}

/// Per rep of the state, the capacity it had and what the night and the stream gave it.
fn over_capacity(wd: &Workdir, rows: &[Vec<String>]) -> Vec<String> {
    let s: Value = serde_json::from_slice(&wd.read("fresh.json")).unwrap();
    let mut over = Vec::new();
    for r in s["reps"].as_array().unwrap() {
        let id = r["rep_id"].as_str().unwrap();
        let given = rows.iter().filter(|row| row[1] == id).count() as f64;
        if given > r["remaining"].as_f64().unwrap() + 1e-9 {
            over.push(format!("{id}: {given} > {}", r["remaining"]));
        }
    }
    over
}

#[test]
fn killed_anywhere_and_resumed_on_the_rest_every_lead_is_answered_once_as_first_decided() {
    let wd = night_and_day();
    wd.create("fresh.json", wd.read("state.json"));
    let day = String::from_utf8(wd.read("day.csv")).unwrap();
    let whole = rows_of(stream(&wd, day.as_bytes(), &["--save-every", "40"]).as_bytes());
    // Twenty kills spread over two save intervals and beyond.
    for trial in 0..20 {
        restore(&wd, &wd.read("fresh.json"));
        let after = 3 + trial * 7 + (trial * trial) % 5;
        let rows = killed_and_resumed(&wd, &day, after);
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "trial {trial}: a lead answered twice");
        assert_eq!(ids.len(), whole.len(), "trial {trial}: every lead answered");
        // The same decisions as without the kill, each as it was first given.
        let by_id: std::collections::HashMap<&str, &Vec<String>> = rows.iter().map(|r| (r[0].as_str(), r)).collect();
        for w in &whole {
            assert_eq!(by_id[w[0].as_str()], w, "trial {trial} (killed after {after} rows)");
        }
        assert!(over_capacity(&wd, &rows).is_empty(), "trial {trial}: {:?}", over_capacity(&wd, &rows));
    }
}

#[test]
fn two_streams_on_one_state_never_spend_its_capacity_twice() {
    let wd = night_and_day();
    wd.create("fresh.json", wd.read("state.json"));
    let day = String::from_utf8(wd.read("day.csv")).unwrap();
    let lines: Vec<&str> = day.lines().collect();
    let half = |k: usize| -> Vec<u8> {
        let mine: Vec<&str> = lines[1..].iter().copied().skip(k).step_by(2).collect();
        format!("{}\n{}\n", lines[0], mine.join("\n")).into_bytes()
    };
    // Two feeders at once, each with half the day: the second waits for the first.
    let spawn = |input: Vec<u8>, extra: &[&str]| {
        let mut args = STREAM.to_vec();
        args.extend(extra);
        let mut child =
            wd.command(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        child
    };
    let (a, b) = (spawn(half(0), &["--wait"]), spawn(half(1), &["--wait"]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let mut rows = rows_of(&a.stdout);
    rows.extend(rows_of(&b.stdout));
    assert_eq!(rows.len(), lines.len() - 1, "every lead answered once");
    assert!(over_capacity(&wd, &rows).is_empty(), "{:?}", over_capacity(&wd, &rows));
    let s: Value = serde_json::from_slice(&wd.read("state.json")).unwrap();
    assert_eq!(s["arrived"].as_u64().unwrap() as usize, rows.iter().filter(|r| decided(r)).count());
    // Without --wait the second refuses, naming the state and the lock, and routes nothing.
    restore(&wd, &wd.read("fresh.json"));
    let slow = {
        let mut args = STREAM.to_vec();
        args.extend(["--save-every", "40"]);
        let mut child = wd.command(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{}\n{}\n", lines[0], lines[1]).as_bytes()).unwrap();
        stdin.flush().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        (child, stdin, reader)
    };
    let second = wd.run_with_input(&STREAM, &half(1));
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("state.json") && err.contains("in use by another leadroute") && err.contains("--wait"),
        "{err}"
    );
    assert!(second.stdout.is_empty(), "nothing routed by the refused stream");
    let (mut child, stdin, _) = slow;
    drop(stdin);
    assert!(child.wait().unwrap().success());
    // assign --state-out over a state being streamed is refused the same way.
    let mut blocker = wd.command(&STREAM).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut bstdin = blocker.stdin.take().unwrap();
    bstdin.write_all(format!("{}\n", lines[0]).as_bytes()).unwrap();
    bstdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut args = world_assign(&["--model", "w/model.json", "--out", "plan2.csv", "--state-out", "state.json"]);
    args[2] = "night.csv";
    let err = wd.fail(&args, 1);
    assert!(err.contains("in use by another leadroute"), "{err}");
    drop(bstdin);
    assert!(blocker.wait().unwrap().success());
}
