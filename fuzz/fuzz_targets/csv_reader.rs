//! Any bytes as a CSV file: the reader returns a table or an error, never panics; the
//! parallel read (a file without quotes, in parts) agrees with the one-piece read, cell for
//! cell and line for line, or fails with the same message; a table goes on through the
//! typed lead and rep validation without panicking.
#![no_main]

use std::path::Path;

use leadroute::config::Config;
use leadroute::data::{Leads, Reps};
use leadroute::io::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.csv");
    let whole = Table::from_bytes(path, "leads", data.to_vec());
    let parts = Table::from_bytes_in_parts(path, "leads", data.to_vec(), 7);
    match (&whole, &parts) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.headers(), b.headers());
            assert_eq!(a.len(), b.len());
            for r in 0..a.len() {
                assert_eq!(a.line(r), b.line(r), "row {r}");
                for c in 0..a.headers().len() {
                    assert_eq!(a.cell(r, c), b.cell(r, c), "row {r}, column {c}");
                }
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!(
            "the one-piece and parallel reads disagree: {:?} / {:?}",
            a.as_ref().map(Table::len).map_err(ToString::to_string),
            b.as_ref().map(Table::len).map_err(ToString::to_string)
        ),
    }
    if let Ok(table) = whole {
        let cfg = Config::default();
        let _ = Leads::from_table(table.clone(), &cfg);
        let _ = Reps::from_table(table, &cfg);
    }
});
