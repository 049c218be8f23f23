//! Progress bars on a terminal, nothing elsewhere.
//!
//! A cron job's stderr is not a terminal, so it sees no bars; `--quiet` silences them too.
//! Library code asks a [`Progress`] for bars and never decides by itself whether to draw.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether and where to draw progress.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Bars drawn only when stderr is a terminal and `quiet` is off.
    pub fn for_terminal(quiet: bool) -> Progress {
        Progress { enabled: !quiet && std::io::stderr().is_terminal() }
    }

    /// No bars at all.
    pub fn hidden() -> Progress {
        Progress { enabled: false }
    }

    /// A bar counting to `len`.
    pub fn bar(&self, len: u64, label: &str) -> Bar {
        let pb = if self.enabled {
            let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})") {
                pb.set_style(style.progress_chars("=> "));
            }
            pb.set_message(label.to_string());
            pb
        } else {
            ProgressBar::hidden()
        };
        Bar(pb)
    }
}

impl Progress {
    /// A spinner with a label, for a stage whose length is not known in advance.
    pub fn spinner(&self, label: &str) -> Bar {
        let pb = if self.enabled {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                pb.set_style(style);
            }
            pb.set_message(label.to_string());
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        } else {
            ProgressBar::hidden()
        };
        Bar(pb)
    }
}

/// One progress bar (possibly hidden).
pub struct Bar(ProgressBar);

impl Bar {
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Counts `n` steps that will not run (e.g. rounds after an early stop) as done, and
    /// says why in the bar's label.
    pub fn skip(&self, n: u64, why: &str) {
        self.0.set_message(why.to_string());
        self.0.inc(n);
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Wall-clock time per stage, for the one-line `--verbose` summary.
#[derive(Debug, Default)]
pub struct Stages {
    start: Option<std::time::Instant>,
    done: Vec<(&'static str, f64)>,
}

impl Stages {
    pub fn new() -> Stages {
        Stages { start: Some(std::time::Instant::now()), done: Vec::new() }
    }

    /// Closes the stage that ran since the previous call.
    pub fn mark(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        let since = self.start.replace(now).unwrap_or(now);
        self.done.push((stage, (now - since).as_secs_f64()));
    }

    /// `read 0.41s, features 0.12s, … (total 0.80s)`.
    pub fn summary(&self) -> String {
        let total: f64 = self.done.iter().map(|(_, s)| s).sum();
        let parts: Vec<String> = self.done.iter().map(|(n, s)| format!("{n} {s:.2}s")).collect();
        format!("{} (total {total:.2}s)", parts.join(", "))
    }
}
