//! `heng group --input FILE --out FILE`: write a batch grouped by patient, each
//! patient's visits in time order, spilling sorted runs to disk past
//! `--memory-budget`; so that a batch in any order streams patient by patient.

use heng_compiler::diagnostic::Lang;
use heng_runtime::audit::input_error_json;
use heng_runtime::group::{Options, group};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Visits, one JSON object per line (records.md), in any order.
    #[arg(long)]
    input: PathBuf,
    /// Where to write the visits grouped by patient.
    #[arg(long)]
    out: PathBuf,
    /// Lines that cannot be read (not UTF-8, too long), as NDJSON error records
    /// (default: standard error).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Memory for visits held before a sorted run is spilled to disk, e.g. 512M,
    /// 2G or a number of bytes. Default: a quarter of the memory available,
    /// between 256M and 4G (1G where that cannot be read).
    #[arg(long, value_parser = parse_size)]
    memory_budget: Option<u64>,
    /// Folder for spilled runs (default: the system's temporary folder).
    #[arg(long)]
    scratch: Option<PathBuf>,
    /// Threads reading patients (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// A size in bytes: a number with an optional K, M or G (powers of 1024).
pub(super) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches(['i', 'I']);
    let (digits, shift) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 10),
        Some('m' | 'M') => (&t[..t.len() - 1], 20),
        Some('g' | 'G') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{s}` is not a size: write e.g. 512M, 2G or 1048576"))
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let fail = |what: String| {
        match lang {
            Lang::Zh => eprintln!("错误:{what}"),
            Lang::En => eprintln!("error: {what}"),
        }
        ExitCode::from(2)
    };
    let input = match File::open(&args.input) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    let total = input.metadata().map_or(0, |m| m.len());
    let mut out = match File::create(&args.out) {
        Ok(f) => BufWriter::with_capacity(1 << 20, f),
        Err(e) => return fail(format!("{}: {e}", args.out.display())),
    };
    let mut errors: Box<dyn Write> = match &args.errors {
        Some(p) => match File::create(p) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => return fail(format!("{}: {e}", p.display())),
        },
        None => Box::new(std::io::stderr()),
    };
    let opts = Options {
        memory_budget: args
            .memory_budget
            .unwrap_or_else(heng_runtime::group::default_memory_budget),
        scratch: args.scratch.unwrap_or_else(std::env::temp_dir),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    let show = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = show.then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let started = std::time::Instant::now();
    let result = group(
        input,
        &opts,
        &mut out,
        &mut |e| writeln!(errors, "{}", input_error_json(&e, lang)),
        &mut |bytes| {
            if let Some(b) = &bar {
                b.set_position(bytes);
            }
        },
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let summary = match result.and_then(|s| out.flush().and(errors.flush()).map(|()| s)) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let secs = started.elapsed().as_secs_f64();
    let spilled = summary.bytes_spilled as f64 / (1u64 << 20) as f64;
    match lang {
        Lang::Zh => eprintln!(
            "已按患者分组:读入 {} 行 = 写出 {} + 拒绝 {};{} 名患者(其中 {} 行无法读出人员编号,各自成组),就诊最多的患者 {} 次;溢写 {} 段共 {spilled:.1} MiB;用时 {secs:.1} 秒 → {}",
            summary.lines_read,
            summary.lines_written,
            summary.lines_rejected,
            summary.patients,
            summary.without_patient,
            summary.largest_patient,
            summary.runs_spilled,
            args.out.display()
        ),
        Lang::En => eprintln!(
            "grouped by patient: read {} lines = written {} + rejected {}; {} patients ({} lines without a readable psn_no, each its own), the largest with {} visits; {} runs spilled, {spilled:.1} MiB; {secs:.1} s -> {}",
            summary.lines_read,
            summary.lines_written,
            summary.lines_rejected,
            summary.patients,
            summary.without_patient,
            summary.largest_patient,
            summary.runs_spilled,
            args.out.display()
        ),
    }
    ExitCode::SUCCESS
}
