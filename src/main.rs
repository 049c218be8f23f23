//! The `leadroute` binary: parse flags, run the command, print the error chain, exit with a
//! code that means something (0 ok, 1 input or runtime error, 2 usage, 3 gate failed).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use leadroute::error::{EXIT_USAGE, exit_code};
use leadroute::progress::{Progress, Stages};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code(&err);
            if code != 0 {
                eprintln!("leadroute: error: {}", terminal_safe(&format!("{err:#}")));
            }
            ExitCode::from(code)
        }
    }
}

fn run(cli: &cli::Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        // Results do not depend on the thread count; only the time does.
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start {n} threads: {e}"))?;
    }
    let say = |msg: String| {
        if !cli.quiet {
            eprintln!("{}", terminal_safe(&msg));
        }
    };
    let progress = Progress::for_terminal(cli.quiet);
    let mut warnings = Vec::new();
    let result = dispatch(cli, &progress, &mut warnings, &say);
    if !cli.quiet {
        for w in &warnings {
            eprintln!("leadroute: warning: {}", terminal_safe(w));
        }
    }
    result
}

fn dispatch(
    cli: &cli::Cli,
    progress: &Progress,
    warnings: &mut Vec<String>,
    say: &dyn Fn(String),
) -> anyhow::Result<()> {
    match &cli.command {
        cli::Command::Generate(args) => {
            let s = args.settings()?;
            let summary = leadroute::generate::generate(&s, progress)?;
            say(format!(
                "wrote {}: {} leads, {} reps, {} history rows ({} won, {} lost, {} open)",
                s.out.display(),
                summary.leads,
                summary.reps,
                summary.history,
                summary.history_won,
                summary.history_lost,
                summary.history_open
            ));
        }
        cli::Command::Assign(args) => {
            let s = args.settings()?;
            let mut stages = Stages::new();
            let summary = leadroute::cmd::assign::run(&s, progress, warnings, &mut stages)?;
            say(format!("{summary}; wrote {}", shown(&s.out)));
            if cli.verbose {
                if let Some(method) = &summary.method {
                    say(format!("optimizer: {method}"));
                }
                say(format!("timing: {}", stages.summary()));
            }
        }
        cli::Command::Train(args) => {
            let s = args.settings();
            let model = leadroute::cmd::train::run(&s, progress, warnings)?;
            if !cli.quiet {
                print!("{}", leadroute::model::report::text(&model.scorer));
            }
            say(format!("wrote {}", shown(&s.model)));
        }
        cli::Command::Backtest(args) => {
            let s = args.settings();
            let mut stages = Stages::new();
            let b = leadroute::cmd::backtest::run(&s, progress, warnings, &mut stages)?;
            if !cli.quiet {
                println!("{}", leadroute::backtest::headline(&b));
            }
            for out in [&s.json, &s.report].into_iter().flatten() {
                say(format!("wrote {}", shown(out)));
            }
            if cli.verbose {
                say(format!("timing: {}", stages.summary()));
            }
            if let Some(failed) = leadroute::backtest::gate_failure(&b) {
                return Err(failed.into());
            }
        }
        cli::Command::Init(args) => {
            let s = args.settings();
            let guesses = leadroute::cmd::init::run(&s)?;
            for g in guesses {
                say(format!("  {g}"));
            }
            say(format!("wrote {}", s.out.display()));
        }
        cli::Command::Score(args) => {
            let s = args.settings();
            let mut stages = Stages::new();
            let n = leadroute::cmd::score::run(&s, progress, warnings, &mut stages)?;
            say(format!("scored {n} leads; wrote {}", shown(&s.out)));
            if cli.verbose {
                say(format!("timing: {}", stages.summary()));
            }
        }
    }
    Ok(())
}

/// A message with its control characters (other than line ends and tabs) shown as code
/// points: a name in an input file must not be able to send escape sequences to the
/// terminal of whoever reads the message.
fn terminal_safe(msg: &str) -> std::borrow::Cow<'_, str> {
    if !msg.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return msg.into();
    }
    msg.chars()
        .map(|c| if c.is_control() && c != '\n' && c != '\t' { format!("U+{:04X}", c as u32) } else { c.to_string() })
        .collect::<String>()
        .into()
}

/// An output path for messages: `-` is standard output.
fn shown(path: &std::path::Path) -> String {
    if leadroute::io::is_stdio(path) { "standard output".into() } else { path.display().to_string() }
}
