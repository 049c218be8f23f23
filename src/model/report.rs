//! The training report a person reads: held-out metrics and the calibration table.

use std::fmt::Write;

use super::Model;

/// The report printed by `train`.
pub fn text(m: &Model) -> String {
    let x = &m.metrics;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "trained on {} deals ({} won, {} lost; {} open ignored); held out the {} {} for checking",
        x.train_rows + x.valid_rows,
        m.outcomes.won,
        m.outcomes.lost,
        m.outcomes.open,
        x.valid_rows,
        if x.split == "time" { "most recent" } else { "randomly chosen" }
    );
    let _ = writeln!(
        s,
        "model: {} trees of depth {}, {} features ({} columns left out)",
        x.rounds,
        x.depth,
        m.schema.features.len(),
        m.schema.dropped.len()
    );
    let _ = writeln!(
        s,
        "held-out AUC {:.4}, log loss {:.4} (win rate alone: {:.4}), top-decile lift {:.2}",
        x.quality.auc, x.quality.log_loss, x.quality.base_log_loss, x.quality.top_decile_lift
    );
    let _ = writeln!(s, "calibration (held-out rows in tenths by predicted probability):");
    let _ = writeln!(s, "  {:>6}  {:>9}  {:>8}", "rows", "predicted", "observed");
    for b in &x.quality.calibration {
        let _ = writeln!(s, "  {:>6}  {:>9.3}  {:>8.3}", b.rows, b.mean_predicted, b.observed_rate);
    }
    if m.runs.len() > 1 {
        let _ = writeln!(s, "training history (oldest first):");
        let _ = writeln!(
            s,
            "  {:<20}  {:>6}  {:>6}  {:>9}  {:>6}  {:>8}",
            "trained at", "won", "lost", "new trees", "AUC", "log loss"
        );
        for r in &m.runs {
            let _ = writeln!(
                s,
                "  {:<20}  {:>6}  {:>6}  {:>9}  {:>6.4}  {:>8.4}",
                r.trained_at, r.won, r.lost, r.new_trees, r.auc, r.log_loss
            );
        }
    }
    for d in &m.schema.dropped {
        let _ = writeln!(s, "left out {:?}: {}", d.column, d.reason);
    }
    s
}
