//! Command-line interface: argument parsing (clap) and one module per subcommand.

mod bench;
mod check;
mod explain_error;
mod r#gen;
mod group;
mod lsp;
mod run;
mod test;

use clap::{Parser, Subcommand};
use heng_compiler::diagnostic::{Diagnostic, Lang, render};
use heng_compiler::source::SourceMap;
use std::io::IsTerminal;
use std::process::ExitCode;

/// 衡 Heng: medical-insurance coverage and audit rules, checked and run.
#[derive(Parser)]
#[command(name = "heng", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Language of messages: zh or en (default: from HENG_LANG, LC_ALL, LC_MESSAGES or LANG).
    #[arg(long, global = true, value_parser = parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a rule pack and print every diagnostic (exit 2 on errors).
    Check(check::Args),
    /// Audit a batch of visits with a rule pack.
    Run(Box<run::Args>),
    /// Run the pack's fixtures and compare their findings (exit 1 on failures).
    Test(test::Args),
    /// Explain a diagnostic code, e.g. `heng explain-error H0012`.
    ExplainError(explain_error::Args),
    /// Measure the performance spec's workloads (W1-W7) against their baselines;
    /// `--scale month` generates the month first.
    Bench(bench::Args),
    /// Write a deterministic synthetic batch of visits with known violations.
    Gen(r#gen::Args),
    /// Write a batch grouped by patient, each patient's visits in time order
    /// (spilling to disk past a memory budget).
    Group(group::Args),
    /// The language server for editors, on standard input and output:
    /// diagnostics as you type, hover, go to definition, completion, outline.
    Lsp(lsp::Args),
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language `{s}`: use zh or en"))
}

/// The message language from the environment.
fn env_lang() -> Lang {
    ["HENG_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| Lang::parse(&v))
        .unwrap_or(Lang::Zh)
}

/// Output format of diagnostics.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// Prints diagnostics to standard error (human) or standard output (json).
pub fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap, lang: Lang, format: Format) {
    match format {
        Format::Human => {
            if !diags.is_empty() {
                let color =
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                eprint!("{}", render::terminal(diags, sources, lang, color));
            }
        }
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&render::json(diags, sources, lang))
                    .unwrap_or_default()
            );
        }
    }
}

/// Loads a pack to evaluate, printing its diagnostics; exit status 2 if it does not
/// check or its schema lacks what the runtime needs.
pub fn load_pack(
    dir: &std::path::Path,
    params: &[(String, String)],
    lang: Lang,
) -> Result<
    (
        heng_runtime::pack::Pack,
        SourceMap,
        heng_runtime::input::Schema,
    ),
    ExitCode,
> {
    let loaded = heng_runtime::pack::load(dir, params);
    print_diagnostics(&loaded.diagnostics, &loaded.sources, lang, Format::Human);
    let Some(pack) = loaded.pack else {
        return Err(ExitCode::from(2));
    };
    match heng_runtime::input::check_schema(&pack.program) {
        Ok(schema) => Ok((pack, loaded.sources, schema)),
        Err(msg) => {
            eprintln!("{}", msg.get(lang));
            Err(ExitCode::from(2))
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(env_lang);
    match cli.command {
        Command::Check(a) => check::run(a, lang),
        Command::Run(a) => run::run(*a, lang),
        Command::Test(a) => test::run(a, lang),
        Command::ExplainError(a) => explain_error::run(a, lang),
        Command::Bench(a) => bench::run(a, lang),
        Command::Gen(a) => r#gen::run(a, lang),
        Command::Group(a) => group::run(a, lang),
        Command::Lsp(a) => lsp::run(a, lang),
    }
}

/// Pads text to a display width (CJK characters are two columns wide).
fn pad(s: &str, width: usize) -> String {
    let w: usize = s
        .chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Which engine evaluates rules.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum EngineChoice {
    /// Rules compiled to native code (Cranelift); those it cannot compile run
    /// interpreted, with a warning.
    Jit,
    /// The reference interpreter.
    Interp,
}

/// The chosen engine for a pack, warning about rules that run interpreted.
/// With `settle`, the pack's settlement is compiled too.
fn engine<'p>(
    choice: EngineChoice,
    pack: &'p heng_runtime::pack::Pack,
    lang: Lang,
    settle: bool,
) -> Box<dyn heng_runtime::engine::Engine + 'p> {
    match choice {
        EngineChoice::Interp => Box::new(heng_runtime::engine::Interpreter::new(pack)),
        EngineChoice::Jit => {
            let native = match settle {
                true => heng_runtime::native::NativeEngine::with_settlement(pack),
                false => heng_runtime::native::NativeEngine::new(pack),
            };
            let settlement = pack.program.settlement.as_ref().map(|s| s.id.as_str());
            for (id, why) in &native.report.interpreted {
                let (zh, en) = match settlement == Some(id.as_str()) {
                    true => ("结算", "settlement"),
                    false => ("规则", "rule"),
                };
                match lang {
                    Lang::Zh => eprintln!("警告:{zh} {id} 未编译为本机代码,改用解释执行:{why}"),
                    Lang::En => {
                        eprintln!("warning: {en} {id} runs interpreted, not as native code: {why}")
                    }
                }
            }
            Box::new(native)
        }
    }
}
