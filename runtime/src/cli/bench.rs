//! `heng bench`: the workloads of spec/performance.md in one table, with the
//! ratios against their baselines, or as JSON; `--scale` generates the batch.

use heng_compiler::diagnostic::Lang;
use heng_runtime::bench::{self, Options, Report, Scale};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Generate a batch with `heng gen` (tiny: 1,600 visits; small: 16,000;
    /// month: 1,600,000, about 12 million fee lines and 5 GB in the system's
    /// temporary folder) and measure on it: W1 and W2 over all of it, W3 and W4 over its
    /// first visits. Without it, W3 and W4 use --input.
    #[arg(long, value_enum)]
    scale: Option<Scale>,
    /// Seed of the generated batch.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The pack folder.
    #[arg(long, default_value = "stdlib-rules")]
    pack: PathBuf,
    /// NDJSON visits held in memory for W3.
    #[arg(long, default_value = "examples/sample-batch.ndjson")]
    input: PathBuf,
    /// Copies of the input held in memory.
    #[arg(long, default_value_t = 100)]
    copies: usize,
    /// Timing rounds (the best counts).
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Rows of the synthetic item_limits table loaded for W5.
    #[arg(long, default_value_t = 500_000)]
    table_rows: usize,
    /// Also run W1: audit this NDJSON batch with the whole pack, writing findings
    /// (to a temporary folder).
    #[arg(long, value_name = "FILE")]
    w1: Option<PathBuf>,
    /// Runs of W1 on every thread and of W2, the best counting (the median is
    /// shown too): one run of the month can meet a stall of the disk or of a
    /// shared machine.
    #[arg(long, default_value_t = 1, value_name = "N")]
    batch_rounds: usize,
    /// Worker threads for W1 (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// At most this many fee lines for W7 (whole visits; every engine gets the
    /// same). W7 runs only in a build with `--features peers`.
    #[arg(long, default_value_t = 200_000)]
    w7_lines: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, lang: Lang) -> ExitCode {
    let opts = Options {
        scale: args.scale,
        seed: args.seed,
        copies: args.copies,
        rounds: args.rounds,
        table_rows: args.table_rows,
        w1_input: args.w1.clone(),
        batch_rounds: args.batch_rounds,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        w7_lines: args.w7_lines,
    };
    let show = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let mut progress = |stage: &str| {
        if show {
            eprintln!("… {stage}");
        }
    };
    match bench::run(&args.pack, &args.input, &opts, &mut progress) {
        Ok(report) => {
            if args.json {
                let json = serde_json::to_string_pretty(&report).unwrap_or_default();
                println!("{json}");
            } else {
                print!("{}", table(&report, lang));
            }
            // runs on one thread and on many must write the same bytes, and the
            // settlement's money must add up
            let differs = report.w1.as_ref().is_some_and(|w1| !w1.identical);
            let unbalanced = report
                .w2
                .as_ref()
                .is_some_and(|w2| w2.identities_failed > 0);
            if differs || unbalanced {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn table(r: &Report, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let (w3, w5) = (&r.w3, &r.w5);
    let mut out = String::new();
    if let Some(w1) = &r.w1 {
        if let Some(g) = &w1.generated {
            out.push_str(&if zh {
                format!(
                    "生成数据(heng gen,规模 {},种子 {}):{} 次就诊,{:.0} MB,用时 {:.1} 秒\n",
                    g.scale.name(),
                    g.seed,
                    g.visits,
                    g.bytes as f64 / 1e6,
                    g.seconds
                )
            } else {
                format!(
                    "data (heng gen, scale {}, seed {}): {} visits, {:.0} MB, generated in {:.1} s\n",
                    g.scale.name(),
                    g.seed,
                    g.visits,
                    g.bytes as f64 / 1e6,
                    g.seconds
                )
            });
        }
        let rss = w1.peak_rss_mib.map(|m| format!("{m:.0} MiB"));
        let same = match (zh, w1.identical) {
            (true, true) => "结果逐字节相同",
            (true, false) => "结果不同!",
            (false, true) => "identical output",
            (false, false) => "OUTPUT DIFFERS",
        };
        out.push_str(&if zh {
            format!(
                "W1 整包审核(NDJSON 输入,结果写出):{} 次就诊,{} 条明细,{} 条结果\n    {} 线程 {:.2} 秒{},每秒 {:.0} 条明细(目标 ≥ 600000),内存峰值 {}\n    单线程 {:.2} 秒(基线),加速 {:.2}×,{}\n",
                w1.visits, w1.fee_lines, w1.findings, w1.threads, w1.seconds,
                rounds_note(zh, w1.rounds, w1.median_seconds), w1.lines_per_sec,
                rss.unwrap_or_else(|| "不详".into()), w1.single_thread_seconds, w1.speedup, same
            )
        } else {
            format!(
                "W1 whole pack (NDJSON in, findings out): {} visits, {} fee lines, {} findings\n    {} threads {:.2} s{}, {:.0} lines/s (target ≥ 600000), peak RSS {}\n    one thread {:.2} s (baseline), speedup {:.2}×, {}\n",
                w1.visits, w1.fee_lines, w1.findings, w1.threads, w1.seconds,
                rounds_note(zh, w1.rounds, w1.median_seconds), w1.lines_per_sec,
                rss.unwrap_or_else(|| "n/a".into()), w1.single_thread_seconds, w1.speedup, same
            )
        });
    }
    if let Some(w2) = &r.w2 {
        let totals: Vec<String> = w2
            .totals
            .iter()
            .map(|(n, t)| format!("{n} = {t}"))
            .collect();
        let sums = match (zh, w2.identities_failed) {
            (true, 0) => "每次就诊金额恒等式均成立".to_string(),
            (true, n) => format!("{n} 次就诊金额恒等式不成立!"),
            (false, 0) => "the identities hold on every visit".to_string(),
            (false, n) => format!("IDENTITIES FAIL ON {n} VISITS"),
        };
        out.push_str(&if zh {
            format!(
                "W2 待遇结算与 DIP(同一批数据,仅结算不审核,dip_budget={}):{} 次就诊结算,{}
    {} 线程 {:.2} 秒{}(目标:整月 ≤ 10 秒),每秒 {:.0} 次就诊;同批 W1 {:.2} 秒(基线),W2/W1 = {:.2};{}
",
                heng_runtime::bench::w2::DIP_BUDGET, w2.settled, totals.join(", "), w2.threads,
                w2.seconds, rounds_note(zh, w2.rounds, w2.median_seconds), w2.visits_per_sec,
                w2.audit_seconds, w2.ratio_to_audit, sums
            )
        } else {
            format!(
                "W2 settlement and DIP (the same batch, settled without auditing, dip_budget={}): {} visits settled, {}\n    {} threads {:.2} s{} (target: the month ≤ 10 s), {:.0} visits/s; W1 on the batch {:.2} s (baseline), W2/W1 = {:.2}; {}\n",
                heng_runtime::bench::w2::DIP_BUDGET, w2.settled, totals.join(", "), w2.threads,
                w2.seconds, rounds_note(zh, w2.rounds, w2.median_seconds), w2.visits_per_sec,
                w2.audit_seconds, w2.ratio_to_audit, sums
            )
        });
    }
    out.push_str(&if zh {
        format!(
            "W3 仅求值(单线程,数据已在内存):{} 次就诊,{} 条明细,{} 条规则,{} 条结果\n",
            w3.visits, w3.fee_lines, w3.rules, w3.findings
        )
    } else {
        format!(
            "W3 evaluation only (one thread, records in memory): {} visits, {} fee lines, {} rules, {} findings\n",
            w3.visits, w3.fee_lines, w3.rules, w3.findings
        )
    });
    out.push_str(t(
        "    M/s = 每秒百万次“明细×规则”求值\n",
        "    M/s = million line-rule evaluations per second\n",
    ));
    let rate = |ms: f64| w3.evaluations as f64 / ms / 1e3;
    let mut row = |label: &str, ms: f64, note: String| {
        out.push_str(&format!(
            "    {} {ms:>9.1} ms {:>8.1} M/s  {note}\n",
            super::pad(label, 18),
            rate(ms)
        ));
    };
    row(t("解释器", "interpreter"), w3.interpreter_ms, String::new());
    row(
        t("JIT(含渲染结果)", "JIT, findings"),
        w3.native_ms,
        format!(
            "{}{:.1}×({} ≥ 5×)",
            t("解释器耗时 / JIT ", "interpreter time / JIT "),
            w3.native_speedup,
            t("目标", "target")
        ),
    );
    row(
        t("JIT(仅判定)", "JIT, decisions"),
        w3.native_decide_ms,
        String::new(),
    );
    match (w3.handwritten_ms, &w3.handwritten_note) {
        (Some(h), _) => row(
            t("手写 Rust", "hand-written Rust"),
            h,
            format!(
                "{}{:.2}({} ≤ 1.5)",
                t("JIT 判定耗时 / 手写 ", "JIT decision time / hand-written "),
                w3.native_vs_handwritten.unwrap_or(0.0),
                t("目标", "target")
            ),
        ),
        (None, note) => out.push_str(&format!(
            "    {}: {}\n",
            t("无手写基线", "no hand-written baseline"),
            note.as_deref().unwrap_or("")
        )),
    }
    let w4 = &r.w4;
    out.push_str(&if zh {
        format!(
            "W4 单次就诊审核(进程内,已预热,单线程,从 JSON 到结果):{} 次\n    p50 {:.1} µs,p99 {:.1} µs(目标 ≤ 50 µs),最慢 {:.1} µs;已读入的就诊仅求值:p50 {:.1} µs,p99 {:.1} µs\n",
            w4.checks, w4.p50_us, w4.p99_us, w4.max_us, w4.eval_p50_us, w4.eval_p99_us
        )
    } else {
        format!(
            "W4 one visit checked (in process, warm, one thread, JSON to findings): {} checks\n    p50 {:.1} µs, p99 {:.1} µs (target ≤ 50 µs), max {:.1} µs; a visit already read, evaluation only: p50 {:.1} µs, p99 {:.1} µs\n",
            w4.checks, w4.p50_us, w4.p99_us, w4.max_us, w4.eval_p50_us, w4.eval_p99_us
        )
    });
    out.push_str(&format!(
        "W5 {}\n    {} {:>9.1} ms\n    {} {:>9.1} ms  {} {}, {} {}\n    {} {:>9.1} ms  ({} ≤ 300 ms)\n    {} {:>9.1} ms  {} {}({} ≤ 500 ms)\n",
        t("构建", "build"),
        super::pad(t("加载并检查规则包", "load and check"), 18),
        w5.check_ms,
        super::pad(t("编译为本机代码", "compile natively"), 18),
        w5.compile_ms,
        w5.rules_native,
        t("条本机", "native"),
        w5.rules_interpreted,
        t("条解释执行", "interpreted"),
        super::pad(t("合计", "total"), 18),
        w5.check_ms + w5.compile_ms,
        t("目标", "target"),
        super::pad(t("加载 item_limits", "load item_limits"), 18),
        w5.table_ms,
        w5.table_rows,
        t("行合成目录", "rows, synthetic"),
        t("目标", "target"),
    ));
    match (&r.w6, &r.w6_note) {
        (Some(w6), _) => out.push_str(&w6_lines(w6, zh)),
        (None, note) => out.push_str(&format!(
            "W6 {}: {}\n",
            t("编辑器", "editor"),
            note.as_deref().unwrap_or_default()
        )),
    }
    match (&r.w7, &r.w7_note) {
        (Some(w7), _) => out.push_str(&w7_table(w7, zh)),
        (None, note) => out.push_str(&format!(
            "W7 {}: {}\n",
            t("同类引擎对比", "peers"),
            note.as_deref().unwrap_or(bench::W7_NEEDS_PEERS)
        )),
    }
    out
}

fn w6_lines(w6: &bench::w6::W6, zh: bool) -> String {
    let (lines, files, edits) = (w6.pack_lines, w6.files, w6.edits);
    let (p50, max, check, ratio) = (w6.p50_ms, w6.max_ms, w6.check_p50_ms, w6.ratio_to_check);
    if zh {
        format!(
            "W6 编辑器(语言服务器,单字符修改后的诊断):{lines} 行规则包({files} 个文件),{edits} 次修改\n    p50 {p50:.1} ms(目标 ≤ 50 ms),最长 {max:.1} ms;不经服务器直接检查 p50 {check:.1} ms,比值 {ratio:.2}\n"
        )
    } else {
        format!(
            "W6 editor (language server, diagnostics after a one-character edit): a {lines}-line pack ({files} files), {edits} edits\n    p50 {p50:.1} ms (target ≤ 50 ms), max {max:.1} ms; the same check called directly p50 {check:.1} ms, ratio {ratio:.2}\n"
        )
    }
}

fn w7_table(w7: &bench::w7::W7, zh: bool) -> String {
    let t = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let mut out = if zh {
        format!(
            "W7 同类引擎对比(同一批记录上的 5 条明细规则,各单线程):{} 次就诊,{} 条明细(上限 {}),命中 {} 对(明细, 规则)\n    同类引擎拿到的是拍平的明细记录,表查询已预先解析;Heng 自己读就诊、自己查表。记录/秒 = 每秒求值的明细数\n",
            w7.visits, w7.fee_lines, w7.line_cap, w7.flagged
        )
    } else {
        format!(
            "W7 peers (the 5 line rules peers can express, same records, one thread each): {} visits, {} fee lines (cap {}), {} (line, rule) pairs flagged\n    peers get flat records with the table lookups pre-resolved; Heng reads the visits and looks up its tables itself. records/s = fee lines evaluated per second\n",
            w7.visits, w7.fee_lines, w7.line_cap, w7.flagged
        )
    };
    let records = t("记录/秒", "records/s");
    let row = |out: &mut String, label: &str, ms: f64, rate: f64, note: String| {
        out.push_str(&format!(
            "    {} {ms:>9.1} ms {rate:>12.0} {records}  {note}\n",
            super::pad(label, 40),
        ));
    };
    row(
        &mut out,
        t("Heng JIT(仅判定)", "Heng JIT, decisions"),
        w7.heng_ms,
        w7.heng_records_per_sec,
        String::new(),
    );
    row(
        &mut out,
        t("Heng JIT(含编码就诊)", "Heng JIT, encoding visits included"),
        w7.heng_with_encoding_ms,
        w7.heng_with_encoding_records_per_sec,
        String::new(),
    );
    for p in &w7.peers {
        match (p.ms, p.records_per_sec, p.heng_ratio) {
            (Some(ms), Some(rate), Some(ratio)) => row(
                &mut out,
                &p.engine,
                ms,
                rate,
                format!(
                    "{}{ratio:.1}×{}",
                    t("Heng / 此引擎 ", "Heng / peer "),
                    p.load_ms.map_or(String::new(), |l| format!(
                        "{}{l:.0} ms",
                        t(",加载 ", ", load ")
                    ))
                ),
            ),
            _ => out.push_str(&format!(
                "    {}: {}\n",
                p.engine,
                p.note.as_deref().unwrap_or("")
            )),
        }
    }
    let ratio = |r: Option<f64>| r.map_or(t("不详", "n/a").to_string(), |r| format!("{r:.1}×"));
    let (fastest, sql) = (
        ratio(w7.ratio_to_fastest_rule_engine()),
        ratio(w7.ratio_to_sql()),
    );
    out.push_str(&if zh {
        format!("    Heng / 最快的规则引擎:{fastest}(目标 ≥ 10×);Heng / DuckDB:{sql}(目标 ≥ 1×)\n")
    } else {
        format!("    Heng / fastest rule engine: {fastest} (target ≥ 10×); Heng / DuckDB: {sql} (target ≥ 1×)\n")
    });
    out
}

/// After a batch workload's best time: of how many runs, and their median
/// (nothing for one run).
fn rounds_note(zh: bool, rounds: usize, median: f64) -> String {
    match (rounds, zh) {
        (0 | 1, _) => String::new(),
        (n, true) => format!("({n} 轮中最好,中位数 {median:.2} 秒)"),
        (n, false) => format!(" (best of {n}, median {median:.2} s)"),
    }
}
