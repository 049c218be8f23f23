//! Any text as a config file: parsed or rejected with an error, never a panic; a config
//! that parses is described and its eligibility rules compiled against a small batch.
#![no_main]

use std::path::Path;

use leadroute::config::Config;
use leadroute::data::{Leads, Reps};
use leadroute::eligibility::Eligibility;
use leadroute::io::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(cfg) = Config::parse(text, Path::new("fuzz.toml")) else { return };
    let _ = cfg.describe();
    let leads = Table::from_bytes(Path::new("leads.csv"), "leads", b"lead_id,region,value\na,NA,10\nb,EMEA,2\n".to_vec());
    let reps = Table::from_bytes(Path::new("reps.csv"), "reps", b"rep_id,capacity,territories\nr1,3,NA\nr2,4,*\n".to_vec());
    if let (Ok(Ok(leads)), Ok(Ok(reps))) =
        (leads.map(|t| Leads::from_table(t, &cfg)), reps.map(|t| Reps::from_table(t, &cfg)))
    {
        let _ = Eligibility::new(&cfg, &leads, &reps);
    }
});
