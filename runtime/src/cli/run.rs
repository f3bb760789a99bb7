//! `heng run PACK --input FILE`: audit a batch of visits and write findings,
//! errors and a summary.

use heng_compiler::diagnostic::Lang;
use heng_runtime::audit::{CsvAsNdjson, FileRun, Sinks, Summary, money, run_file, severity_name};
use heng_runtime::history::HistoryFile;
use heng_runtime::pack::Pack;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The pack folder (holding heng.toml).
    pack: PathBuf,
    /// Visits, one JSON object per line (records.md); or a CSV file of visits,
    /// with --fee-lines. A pipe (`/dev/stdin`, `<(…)`) is first copied to the
    /// scratch folder, as a run may read its input twice.
    #[arg(long)]
    input: PathBuf,
    /// CSV input: the fee lines, joined on mdtrt_id, grouped by visit in the
    /// visits file's order.
    #[arg(long, value_name = "CSV")]
    fee_lines: Option<PathBuf>,
    /// CSV input: diagnoses (diseinfo), joined on mdtrt_id.
    #[arg(long, value_name = "CSV", requires = "fee_lines")]
    diagnoses: Option<PathBuf>,
    /// CSV input: operations (oprninfo), joined on mdtrt_id.
    #[arg(long, value_name = "CSV", requires = "fee_lines")]
    operations: Option<PathBuf>,
    /// CSV input: doctor's orders, joined on mdtrt_id.
    #[arg(long, value_name = "CSV", requires = "fee_lines")]
    orders: Option<PathBuf>,
    /// Findings as NDJSON (default: standard output).
    #[arg(long)]
    findings: Option<PathBuf>,
    /// Rejected records and evaluation errors as NDJSON (default: beside the
    /// findings file, out.ndjson giving out.errors.ndjson; or standard error).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// The summary as JSON.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Earlier visits (NDJSON, the same format as --input): the patients' history
    /// for rules that read it, never audited themselves.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Settle every visit with the pack's settlement and write the results here
    /// as NDJSON, one line per visit in input order (records.md).
    #[arg(long, value_name = "FILE")]
    settlement: Option<PathBuf>,
    /// Accumulator values at the start of a scheme year, per patient (CSV:
    /// psn_no, year, then the settlement's accumulators); others start at zero.
    #[arg(long, value_name = "CSV", requires = "settlement")]
    accumulators: Option<PathBuf>,
    /// Settle only: run none of the pack's audit rules (the findings file stays
    /// empty; rejected records are still reported).
    #[arg(long, requires = "settlement")]
    no_audit: bool,
    /// Override a pack parameter, e.g. --param discharge_max_days=10.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Evaluation engine: `jit` compiles rules to native code; `interp` is the
    /// reference interpreter. Both give byte-identical output.
    #[arg(long, value_enum, default_value_t = super::EngineChoice::Jit)]
    engine: super::EngineChoice,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// NDJSON input is handed to the worker threads in blocks of about this many
    /// KiB of whole lines.
    #[arg(long, value_name = "KIB", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    block_kib: u32,
    /// Exit with status 3 when any input record is rejected.
    #[arg(long)]
    strict: bool,
    /// Memory held before spilling to disk, e.g. 512M or 2G: for grouping an
    /// input not grouped by patient when rules read history or the run settles,
    /// and for results held until the run has seen the input is grouped (half
    /// for settlement lines, a quarter each for findings and errors, and at
    /// most 64M each: held results are read back once, in order, and the
    /// scratch file serves them as well). Default: a
    /// quarter of the memory available, between 256M and 4G (1G where that
    /// cannot be read).
    #[arg(long, value_parser = super::group::parse_size)]
    memory_budget: Option<u64>,
    /// Folder for that grouping's scratch files (default: the system's
    /// temporary folder).
    #[arg(long)]
    scratch: Option<PathBuf>,
}

/// The settler of `--settlement`: an error when the pack has no settlement, or
/// its accumulators file or scheme-year start is wrong.
fn settler<'p>(
    pack: &'p Pack,
    args: &Args,
) -> Result<Option<heng_runtime::settle::Settler<'p>>, String> {
    use heng_runtime::settle::{Settler, StartValues};
    if args.settlement.is_none() {
        return Ok(None);
    }
    let Some(settlement) = &pack.program.settlement else {
        return Err(format!(
            "--settlement: pack `{}` has no `settlement`",
            pack.name
        ));
    };
    let start = match &args.accumulators {
        Some(p) => StartValues::read_csv(p, settlement)?,
        None => StartValues::default(),
    };
    Settler::new(pack, start)
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

fn create(path: &Path, lang: Lang) -> Result<Box<dyn Write>, ExitCode> {
    match heng_runtime::output::create(path) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => {
            match lang {
                Lang::Zh => eprintln!("错误:无法写入 {}:{e}", path.display()),
                Lang::En => eprintln!("error: cannot write {}: {e}", path.display()),
            }
            Err(ExitCode::from(2))
        }
    }
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let (pack, sources, _) = match super::load_pack(&args.pack, &args.params, lang) {
        Ok((pack, sources, schema)) if args.no_audit => (pack.only(|_| false), sources, schema),
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let fail = |e: String| {
        match lang {
            Lang::Zh => eprintln!("错误:{e}"),
            Lang::En => eprintln!("error: {e}"),
        }
        ExitCode::from(2)
    };
    // only the fields the run reads are built
    let schema = match pack.input_schema(args.settlement.is_some()) {
        Ok(s) => s,
        Err(e) => return fail(e.get(lang).to_string()),
    };
    let csv_input = args.fee_lines.is_some()
        || args
            .input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let scratch = args.scratch.clone().unwrap_or_else(std::env::temp_dir);
    let (mut csv, mut spooled) = (None, None);
    if csv_input {
        let Some(fee_lines) = &args.fee_lines else {
            return fail(format!(
                "{} is CSV: give its fee lines with --fee-lines FILE.csv",
                args.input.display()
            ));
        };
        let mut children: Vec<(&str, &Path)> = vec![("feedetail", fee_lines.as_path())];
        for (field, path) in [
            ("diseinfo", &args.diagnoses),
            ("oprninfo", &args.operations),
            ("orders", &args.orders),
        ] {
            if let Some(p) = path {
                children.push((field, p.as_path()));
            }
        }
        match heng_runtime::input::CsvVisits::open(&args.input, &children) {
            Ok(c) => csv = Some(c),
            Err(e) => return fail(e),
        }
    } else {
        // a pipe is read once, into the scratch folder, as a run may read it twice
        match heng_runtime::audit::Spooled::if_needed(&args.input, &scratch) {
            Ok(s) => spooled = s,
            Err(e) => {
                return fail(match lang {
                    Lang::Zh => format!("无法读取输入 {}:{e}", args.input.display()),
                    Lang::En => format!("cannot read input {}: {e}", args.input.display()),
                });
            }
        }
    }
    let history = match &args.history {
        None => HistoryFile::default(),
        Some(path) => {
            match File::open(path).and_then(|f| HistoryFile::read_in(&schema, f, &scratch)) {
                Ok(h) => {
                    for e in h.rejected.iter().take(10) {
                        match lang {
                            Lang::Zh => eprintln!(
                                "警告:历史文件 {} 第 {} 行未读入({}):{}",
                                path.display(),
                                e.line,
                                e.field,
                                e.reason.zh
                            ),
                            Lang::En => eprintln!(
                                "warning: history file {} line {} not read ({}): {}",
                                path.display(),
                                e.line,
                                e.field,
                                e.reason.en
                            ),
                        }
                    }
                    match lang {
                        Lang::Zh => eprintln!(
                            "历史文件 {}:读入 {} 次就诊,未读入 {} 行",
                            path.display(),
                            h.read,
                            h.rejected_count
                        ),
                        Lang::En => eprintln!(
                            "history file {}: {} visits read, {} lines not read",
                            path.display(),
                            h.read,
                            h.rejected_count
                        ),
                    }
                    h
                }
                Err(e) => {
                    return fail(match lang {
                        Lang::Zh => format!("无法读取历史文件 {}:{e}", path.display()),
                        Lang::En => format!("cannot read history file {}: {e}", path.display()),
                    });
                }
            }
        }
    };
    // CSV input runs as the NDJSON its visits make (see `CsvAsNdjson`)
    let converted = match csv.as_mut().map(|c| CsvAsNdjson::write(c, &scratch, lang)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return fail(e.to_string()),
        None => None,
    };
    let input: &Path = match (&converted, &spooled) {
        (Some(c), _) => &c.visits,
        (None, Some(s)) => &s.path,
        (None, None) => &args.input,
    };
    let total_bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let mut findings: Box<dyn Write> = match &args.findings {
        Some(p) => match create(p, lang) {
            Ok(w) => w,
            Err(c) => return c,
        },
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let errors_path = args.errors.clone().or_else(|| {
        args.findings.as_ref().map(|f| {
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("findings");
            f.with_file_name(format!("{stem}.errors.ndjson"))
        })
    });
    let mut errors: Box<dyn Write> = match &errors_path {
        Some(p) => match create(p, lang) {
            Ok(w) => w,
            Err(c) => return c,
        },
        None => Box::new(std::io::stderr()),
    };

    let show_progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(total_bytes);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |bytes: u64| {
        if let Some(b) = &bar {
            b.set_position(bytes);
        }
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let settler = match settler(&pack, &args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let mut settlement_out = match (&args.settlement, &settler) {
        (Some(p), Some(_)) => match create(p, lang) {
            Ok(w) => Some(w),
            Err(c) => return c,
        },
        _ => None,
    };
    let file_run = FileRun {
        threads,
        block_bytes: args.block_kib as usize * 1024,
        memory_budget: args
            .memory_budget
            .unwrap_or_else(heng_runtime::group::default_memory_budget),
        scratch,
        history: &history,
    };
    // batch totals (DIP's point value) need a first pass over the input, unless
    // the settlement can be settled in one (see `Settler::deferring`)
    let native = matches!(args.engine, super::EngineChoice::Jit);
    let settler = match settler.map(|s| {
        heng_runtime::settle::first_pass(s, lang, native, |pack, schema, engine, sinks| {
            run_file(pack, engine, schema, &sources, input, &file_run, sinks)
        })
    }) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => return fail(e.to_string()),
        None => None,
    };
    let mut sinks = Sinks {
        findings: &mut *findings,
        errors: &mut *errors,
        lang,
        progress: &mut progress,
        settlement: match (&settler, &mut settlement_out) {
            (Some(settler), Some(out)) => Some(heng_runtime::audit::Settling {
                settler,
                out: &mut **out,
            }),
            _ => None,
        },
    };
    let engine = super::engine(args.engine, &pack, lang, settler.is_some());
    let result = run_file(
        &pack, &*engine, &schema, &sources, input, &file_run, &mut sinks,
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let flushed = |mut s| {
        if let Some(c) = &converted {
            c.finish(&mut errors, &mut s)?;
        }
        findings.flush()?;
        errors.flush()?;
        if let Some(out) = settlement_out.as_mut() {
            out.flush()?;
        }
        Ok(s)
    };
    let summary = match result.and_then(flushed) {
        Ok(s) => s,
        Err(e) => {
            match lang {
                Lang::Zh => eprintln!("错误:{e}"),
                Lang::En => eprintln!("error: {e}"),
            }
            return ExitCode::from(2);
        }
    };
    eprint!("{}", summary_table(&pack, &summary, lang));
    if let (Some(settler), Some(path)) = (&settler, &args.settlement) {
        let totals: String = settler
            .totals()
            .iter()
            .map(|(name, value)| format!("; {name} = {value}"))
            .collect();
        match lang {
            Lang::Zh => eprintln!(
                "待遇结算:{} 次就诊 → {}{totals}",
                summary.settled,
                path.display()
            ),
            Lang::En => eprintln!(
                "settlement: {} visits → {}{totals}",
                summary.settled,
                path.display()
            ),
        }
    }
    if let Some(p) = &args.summary {
        let mut json = summary_json(&pack, &summary);
        if let Some(settler) = &settler {
            json["settlement"] = settlement_summary(settler, &summary);
        }
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        if let Err(e) = std::fs::write(p, text + "\n") {
            eprintln!("error: cannot write {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    if args.strict && summary.rejected > 0 {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

/// The settlement's part of the summary: visits settled and the batch totals.
fn settlement_summary(settler: &heng_runtime::settle::Settler, s: &Summary) -> serde_json::Value {
    let totals: serde_json::Map<String, serde_json::Value> = settler
        .totals()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string().into()))
        .collect();
    serde_json::json!({"visits": s.settled, "batch_totals": totals})
}

/// The summary as JSON (records.md: counts, findings by rule and severity, time).
pub fn summary_json(pack: &Pack, s: &Summary) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = pack
        .program
        .rules
        .iter()
        .zip(&s.rules)
        .filter(|(_, t)| t.count.iter().sum::<u64>() > 0)
        .map(|(r, t)| {
            let by: serde_json::Map<String, serde_json::Value> = (0..3)
                .filter(|&i| t.count[i] > 0)
                .map(|i| {
                    (
                        severity_name(pack, i as u32).to_string(),
                        serde_json::json!({"findings": t.count[i], "amount": money(t.amount[i]).to_string()}),
                    )
                })
                .collect();
            serde_json::json!({"rule": r.id, "rule_code": r.code, "rule_name": r.name, "by_severity": by})
        })
        .collect();
    let secs = s.elapsed.as_secs_f64();
    serde_json::json!({
        "pack": pack.name,
        "records_read": s.records_read,
        "records_evaluated": s.evaluated,
        "records_rejected": s.rejected,
        "fee_lines": s.fee_lines,
        "eval_errors": s.eval_errors,
        "findings": s.findings,
        "amount": money(s.amount).to_string(),
        "rules": rules,
        "elapsed_ms": s.elapsed.as_millis() as u64,
        "visits_per_second": if secs > 0.0 { (s.evaluated as f64 / secs).round() as u64 } else { 0 },
        "lines_per_second": if secs > 0.0 { (s.fee_lines as f64 / secs).round() as u64 } else { 0 },
        "patients": s.patients,
        "grouped_by_patient": s.not_grouped.is_none(),
        "regrouped": s.regrouped,
        "not_grouped_at": s.not_grouped.as_ref().map(|r| serde_json::json!({
            "line": r.line, "psn_no": r.psn_no, "first_line": r.first_line,
        })),
    })
}

/// The summary as a table for people.
pub fn summary_table(pack: &Pack, s: &Summary, lang: Lang) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let zh = lang == Lang::Zh;
    let _ = writeln!(
        out,
        "{}",
        if zh {
            format!(
                "读取 {} 条记录:评估 {},拒收 {};费用明细 {} 条",
                s.records_read, s.evaluated, s.rejected, s.fee_lines
            )
        } else {
            format!(
                "records read {}: evaluated {}, rejected {}; fee lines {}",
                s.records_read, s.evaluated, s.rejected, s.fee_lines
            )
        }
    );
    let _ = writeln!(
        out,
        "{}",
        match (&s.not_grouped, zh) {
            (None, true) => format!("患者 {} 人;输入已按患者分组", s.patients),
            (None, false) => format!("patients {}; input grouped by patient", s.patients),
            (Some(r), true) => format!(
                "患者 {} 人;输入未按患者分组(人员编号 {} 在第 {} 行再次出现,首次在第 {} 行){}",
                s.patients,
                r.psn_no,
                r.line,
                r.first_line,
                if s.regrouped {
                    ":已先按患者分组再评估,结果按输入顺序写出"
                } else {
                    ";可先用 heng group 分组"
                }
            ),
            (Some(r), false) => format!(
                "patients {}; input not grouped by patient ({} again on line {}, first on line {}){}",
                s.patients,
                r.psn_no,
                r.line,
                r.first_line,
                if s.regrouped {
                    ": grouped before evaluation, results written in input order"
                } else {
                    "; heng group groups it"
                }
            ),
        }
    );
    let header = if zh {
        ["规则", "名称", "违规", "高度可疑", "可疑", "金额"]
    } else {
        ["rule", "name", "violation", "high", "low", "amount"]
    };
    let _ = writeln!(
        out,
        "{:<24} {:<28} {:>9} {:>9} {:>9} {:>14}",
        header[0], header[1], header[2], header[3], header[4], header[5]
    );
    for (r, t) in pack.program.rules.iter().zip(&s.rules) {
        if t.count.iter().sum::<u64>() == 0 {
            continue;
        }
        let amount = money(t.amount.iter().sum());
        let name = super::pad(&r.name, 28);
        let _ = writeln!(
            out,
            "{:<24} {} {:>9} {:>9} {:>9} {:>14}",
            r.id, name, t.count[0], t.count[1], t.count[2], amount
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if zh {
            format!(
                "合计 {} 条发现,涉及金额 {} 元;评估错误 {};用时 {:.2} 秒({:.0} 条明细/秒)",
                s.findings,
                money(s.amount),
                s.eval_errors,
                secs,
                s.fee_lines as f64 / secs
            )
        } else {
            format!(
                "total {} findings, amount {}; eval errors {}; {:.2} s ({:.0} lines/s)",
                s.findings,
                money(s.amount),
                s.eval_errors,
                secs,
                s.fee_lines as f64 / secs
            )
        }
    );
    out
}
