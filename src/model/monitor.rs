//! Checks of a model against the batch it scores: its age and the drift of each feature.

use std::path::Path;

use super::Model;
use crate::config::Config;
use crate::features::Binned;
use crate::fmt::fmt_num;

/// Fewest leads in a batch for the drift check: shares of a handful of leads say nothing.
const MIN_DRIFT_BATCH: usize = 100;

/// A stale model file, and lead features whose distribution has moved since training.
pub fn warnings(m: &Model, x: &Binned, cfg: &Config, file: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    let max_age = cfg.monitoring.max_model_age_days;
    if let (Some(path), Some(age)) = (file, m.age_days())
        && age > max_age
    {
        out.push(format!(
            "the model {} was trained {:.0} days ago ({}), more than [monitoring] max_model_age_days = {}; \
                 retrain it with the latest outcomes (`leadroute train --from {} --history NEW.csv`)",
            path.display(),
            age.floor(),
            m.trained_at,
            fmt_num(max_age),
            path.display()
        ));
    }
    if x.n_rows >= MIN_DRIFT_BATCH {
        let drifted = m.drift(x, cfg.monitoring.max_psi);
        if !drifted.is_empty() {
            let list: Vec<String> = drifted.iter().take(5).map(|(f, v)| format!("{f} {v:.2}")).collect();
            out.push(format!(
                "{} lead feature{} drifted since training (population stability index above [monitoring] max_psi = {}): {}{}; \
                 scores may be off until the model is retrained",
                drifted.len(),
                if drifted.len() == 1 { " has" } else { "s have" },
                cfg.monitoring.max_psi,
                list.join(", "),
                if drifted.len() > 5 { ", …" } else { "" }
            ));
        }
    }
    out
}
