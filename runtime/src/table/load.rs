//! Loading a knowledge-base table from its CSV text into typed rows, with one
//! diagnostic per bad cell pointing at the cell's exact bytes in the file.
//!
//! Rules (stdlib.md, "Knowledge-base tables"): UTF-8, an optional BOM, a header
//! row naming the columns; columns match the `table` declaration by header name,
//! unknown extra columns are ignored, a missing optional column leaves every cell
//! absent. An empty cell (after trimming) is absent in an optional column and an
//! error in a required one; the key column is always required and unique. Rows
//! whose cells are all empty (spreadsheet exports add them) are skipped.
//!
//! Row numbers in messages count CSV records as a spreadsheet shows them: the
//! header is row 1, the first data row is row 2.

use super::cell::{Column, Kind, Problem};
use super::{Cells, FxBuild, Table};
use crate::value::Value;
use csv::{ByteRecord, ReaderBuilder};
use heng_compiler::diagnostic::{Diagnostic, Text, codes};
use heng_compiler::ir::{EnumDecl, Program, TableDecl};
use heng_compiler::source::{FileId, Span};
use heng_compiler::text;
use heng_compiler::types::{self, TableId, Type};
use std::collections::HashMap;

/// At most this many diagnostics per table; the last one notes how many more there were.
const MAX_ERRORS: usize = 50;

/// Parses `csv_text`, the contents of `file`, as the rows of `table`.
///
/// Returns every problem found (up to fifty) when any cell is bad; the
/// table loads only when there is none.
pub fn load_table(
    program: &Program,
    table: TableId,
    file: FileId,
    csv_text: &str,
) -> Result<Table, Vec<Diagnostic>> {
    let decl = program.table(table);
    let bom = if csv_text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut loader = Loader {
        program,
        decl,
        file,
        text: csv_text,
        errors: Vec::new(),
        hidden: 0,
    };
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(&csv_text.as_bytes()[bom..]);
    let mut record = ByteRecord::new();

    // Header.
    let header_read = reader.read_byte_record(&mut record);
    let Ok(true) = header_read else {
        let d = Diagnostic::error(
            codes::TABLE_BAD_CSV,
            Span::new(file, bom, csv_text.len()),
            text!(
                "知识库表 {} 的文件没有表头行",
                "the file of table {} has no header row",
                decl.name
            ),
        )
        .label(text!("文件为空", "empty file"))
        .help(text!(
            "第一行写列名,用逗号分隔,如 {}",
            "write the column names on the first line, separated by commas, e.g. {}",
            column_list(decl)
        ));
        return Err(vec![d]);
    };
    let header_start = bom + record_start(&record);
    let header_len = record.len();
    let mut columns = loader.columns(&record, header_start);
    let key = decl.key;

    // Data rows.
    let rows_hint = csv_text.bytes().filter(|&b| b == b'\n').count();
    let width = decl.columns.len();
    let mut cells = Cells::new(width, key, rows_hint);
    // Byte offset and row number of each loaded row, to point back at an earlier key.
    let mut starts: Vec<(u32, u32)> = Vec::with_capacity(rows_hint);
    let mut row_no: usize = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Reading from memory fails only on invalid input; report and stop.
                let at = e
                    .position()
                    .map_or(csv_text.len(), |p| bom + p.byte() as usize);
                loader.error(
                    Diagnostic::error(
                        codes::TABLE_BAD_CSV,
                        Span::new(file, at, at),
                        text!("CSV 无法解析:{}", "cannot parse the CSV: {}", e),
                    )
                    .help(text!(
                        "用表格软件另存为 CSV(UTF-8)",
                        "save the sheet again as CSV (UTF-8)"
                    )),
                );
                break;
            }
        }
        row_no += 1;
        let start = bom + record_start(&record);
        if record.len() != header_len {
            if record.iter().all(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            let end = raw_field(csv_text, start, record.len() - 1).end;
            loader.error(
                Diagnostic::error(
                    codes::TABLE_BAD_CSV,
                    Span::new(file, start, end),
                    text!(
                        "第 {} 行有 {} 个单元格,表头有 {} 列",
                        "row {} has {} cells but the header has {} columns",
                        row_no,
                        record.len(),
                        header_len
                    ),
                )
                .label(text!("单元格个数不对", "wrong number of cells"))
                .secondary(
                    Span::new(file, header_start, raw_field(csv_text, header_start, header_len - 1).end),
                    text!("表头", "the header"),
                )
                .help(text!(
                    "检查这一行是否多了或少了逗号;含逗号或换行的单元格要用英文双引号括起来",
                    "check this row for missing or extra commas; a cell containing a comma or a line break must be quoted with \"",
                )),
            );
            continue;
        }
        if record.iter().all(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        cells.start_row();
        for (c, col) in columns.iter_mut().enumerate() {
            let Some(source) = col.source else {
                continue;
            };
            let raw = record.get(source).unwrap_or_default();
            // Most cells are empty: decide that before any UTF-8 or type work.
            let trimmed = raw.trim_ascii();
            let value = if trimmed.is_empty() {
                col.parse("")
            } else {
                match std::str::from_utf8(trimmed) {
                    Ok(s) => col.parse(s.trim()),
                    // Cannot happen: the input is a `str` and fields split at ASCII bytes.
                    Err(_) => Err(Problem::NotUtf8),
                }
            };
            let value = match value {
                Ok(v) => v,
                Err(problem) => {
                    let s = String::from_utf8_lossy(raw);
                    let span = loader.cell_span(start, source);
                    loader.bad_cell(row_no, c, col, s.trim(), span, problem);
                    Value::Absent
                }
            };
            cells.push(c, value);
        }
        starts.push((start as u32, row_no as u32));
    }
    let (table, duplicates) = cells.finish();
    let key_source = columns.get(key).and_then(|c| c.source);
    for (row, first) in duplicates.into_iter().filter(|_| !decl.many) {
        let (start, row_no) = starts[row as usize];
        let (first_start, first_row) = starts[first as usize];
        let source = key_source.unwrap_or_default();
        let span = loader.cell_span(start as usize, source);
        let first_span = loader.cell_span(first_start as usize, source);
        let k = table.cell(row, key).as_str().unwrap_or_default();
        loader.duplicate(row_no as usize, k, span, first_span, first_row);
    }
    if loader.errors.is_empty() {
        Ok(table)
    } else {
        Err(loader.finish())
    }
}

/// The byte offset (within the BOM-less text) where `record` begins.
fn record_start(record: &ByteRecord) -> usize {
    record.position().map_or(0, |p| p.byte() as usize)
}

/// The raw byte range of field `index` of the record that starts at or after
/// `start` (quotes included), found by scanning the text as the CSV reader does.
/// Only used to point diagnostics at cells, so speed does not matter.
fn raw_field(text: &str, start: usize, index: usize) -> std::ops::Range<usize> {
    let b = text.as_bytes();
    let mut i = start;
    // The reader's position can sit on the line break ending the previous record
    // or on blank lines it skipped.
    while i < b.len() && matches!(b[i], b'\r' | b'\n') {
        i += 1;
    }
    let mut field = 0;
    loop {
        let field_start = i;
        if b.get(i) == Some(&b'"') {
            // A quoted field runs to the next lone quote; `""` is an escaped quote.
            i += 1;
            loop {
                match b[i..].iter().position(|&c| c == b'"') {
                    None => {
                        i = b.len();
                        break;
                    }
                    Some(q) => i += q + 1,
                }
                if b.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    break;
                }
            }
        }
        // An unquoted field, or what follows a closing quote, runs to the delimiter.
        while i < b.len() && !matches!(b[i], b',' | b'\r' | b'\n') {
            i += 1;
        }
        if field == index || b.get(i) != Some(&b',') {
            return field_start..i;
        }
        field += 1;
        i += 1;
    }
}

struct Loader<'a> {
    program: &'a Program,
    decl: &'a TableDecl,
    file: FileId,
    /// The whole file, BOM included: spans are offsets into it.
    text: &'a str,
    errors: Vec<Diagnostic>,
    /// Errors past [`MAX_ERRORS`], counted but not kept.
    hidden: usize,
}

impl<'a> Loader<'a> {
    fn error(&mut self, d: Diagnostic) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(d);
        } else {
            self.hidden += 1;
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        heng_compiler::diagnostic::sort(&mut self.errors);
        if self.hidden > 0
            && let Some(last) = self.errors.pop()
        {
            let hidden = self.hidden;
            self.errors.push(last.note(text!(
                "另有 {} 处错误未列出;先改正上面的错误",
                "{} more errors not shown; fix the ones above first",
                hidden
            )));
        }
        self.errors
    }

    fn cell_span(&self, record_start: usize, field: usize) -> Span {
        let r = raw_field(self.text, record_start, field);
        Span::new(self.file, r.start, r.end)
    }

    /// Matches declared columns to header fields, reporting missing required ones.
    fn columns(&mut self, header: &ByteRecord, header_start: usize) -> Vec<Column<'a>> {
        let decl = self.decl;
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect();
        let header_end = match names.len() {
            0 => header_start,
            n => raw_field(self.text, header_start, n - 1).end,
        };
        let header_span = Span::new(self.file, header_start, header_end);
        let mut columns = Vec::with_capacity(decl.columns.len());
        for (c, field) in decl.columns.iter().enumerate() {
            let is_key = c == decl.key;
            let required = is_key || !field.optional();
            let mut source = names.iter().position(|n| n == &field.name);
            if let Some(i) = source
                && let Some(j) = names[i + 1..].iter().position(|n| n == &field.name)
            {
                let second = i + 1 + j;
                self.error(
                    Diagnostic::error(
                        codes::TABLE_BAD_CSV,
                        self.cell_span(header_start, second),
                        text!(
                            "表头中 {} 列出现了两次",
                            "column {} appears twice in the header",
                            field.name
                        ),
                    )
                    .label(text!("重复的列", "repeated column"))
                    .secondary(
                        self.cell_span(header_start, i),
                        text!("第一次出现", "first here"),
                    )
                    .help(text!("删掉或改名其中一列", "remove or rename one of them")),
                );
                source = None;
            }
            if source.is_none()
                && !required
                && let Some(i) = misspelt(&names, decl, &field.name)
            {
                // an optional column spelt wrong would silently lift its restriction
                self.error(
                    Diagnostic::error(
                        codes::TABLE_MISSING_COLUMN,
                        self.cell_span(header_start, i),
                        text!(
                            "表头 {} 不是知识库表 {} 的列,是不是 {}?",
                            "header {} is not a column of table {}; did you mean {}?",
                            names[i],
                            decl.name,
                            field.name
                        ),
                    )
                    .label(text!("应为 {}", "did you mean {}?", field.name))
                    .help(text!(
                        "把表头改为 {};否则这一列会被忽略,它的限制条件全部失效",
                        "rename the header to {}; otherwise the column is ignored and none of its restrictions apply",
                        field.name
                    )),
                );
            }
            if source.is_none() && required {
                let similar = names.iter().find(|n| n.eq_ignore_ascii_case(&field.name));
                let help = match similar {
                    Some(n) => text!(
                        "表头里有 {},列名区分大小写,应写作 {}",
                        "the header has {}; column names are case-sensitive, write {}",
                        n,
                        field.name
                    ),
                    None => text!(
                        "在表头加上 {} 列;这张表的列有:{}",
                        "add a column {} to the header; the table's columns are: {}",
                        field.name,
                        column_list(decl)
                    ),
                };
                self.error(
                    Diagnostic::error(
                        codes::TABLE_MISSING_COLUMN,
                        header_span,
                        text!(
                            "知识库表 {} 缺少必需的列 {}",
                            "table {} has no column {}, which is required",
                            decl.name,
                            field.name
                        ),
                    )
                    .label(text!("表头中没有 {}", "no {} in the header", field.name))
                    .help(help),
                );
            }
            let kind = match field.value_type() {
                Type::Text | Type::Code => Kind::Text,
                Type::Int => Kind::Int,
                Type::Decimal => Kind::Decimal,
                Type::Bool => Kind::Bool,
                Type::Date => Kind::Date,
                Type::DateTime => Kind::DateTime,
                Type::Enum(e) => Kind::Enum(self.program.enum_decl(*e)),
                Type::Prefixes => Kind::Prefixes,
                other => {
                    if let Some(i) = source {
                        let ty = types::Display(other, self.program).to_string();
                        self.error(
                            Diagnostic::error(
                                codes::TABLE_BAD_VALUE,
                                self.cell_span(header_start, i),
                                text!(
                                    "{} 列的类型 {} 不能从 CSV 读取",
                                    "column {} has type {}, which cannot be read from CSV",
                                    field.name,
                                    ty
                                ),
                            )
                            .secondary(field.span, text!("在这里声明", "declared here"))
                            .help(text!(
                                "表的列只能是 Text、Code、Int、Decimal、Bool、Date、DateTime、Prefixes 或枚举",
                                "table columns must be Text, Code, Int, Decimal, Bool, Date, DateTime, Prefixes or an enum"
                            )),
                        );
                    }
                    Kind::Unsupported
                }
            };
            let interner = (!is_key && matches!(kind, Kind::Text | Kind::Prefixes))
                .then(|| HashMap::with_hasher(FxBuild));
            columns.push(Column {
                name: &field.name,
                kind,
                required,
                source: if required && source.is_none() {
                    None
                } else {
                    source
                },
                interner,
            });
        }
        columns
    }

    /// Reports a bad cell.
    #[cold]
    fn bad_cell(
        &mut self,
        row: usize,
        c: usize,
        col: &Column<'_>,
        value: &str,
        span: Span,
        problem: Problem,
    ) {
        let name = col.name;
        let v = shorten(value);
        let is_key = c == self.decl.key;
        let (code, message, label, help) = match problem {
            Problem::Empty => (
                codes::TABLE_BAD_VALUE,
                if is_key {
                    text!(
                        "第 {} 行的主键列 {} 为空",
                        "row {}: the key column {} is empty",
                        row,
                        name
                    )
                } else {
                    text!(
                        "第 {} 行 {} 列为空,但该列必填",
                        "row {}, column {}: the cell is empty but the column is required",
                        row,
                        name
                    )
                },
                text!("空单元格", "empty cell"),
                if is_key {
                    text!(
                        "每一行都要填 {},查表靠它定位;不需要的行请删除",
                        "every row needs a {}: lookups find rows by it; delete rows you do not need",
                        name
                    )
                } else {
                    text!(
                        "填上取值;只有声明为可选(类型后带 ?)的列才能留空",
                        "fill in a value; only optional columns (type ending in ?) may be left empty"
                    )
                },
            ),
            Problem::NotInt => (
                codes::TABLE_BAD_VALUE,
                text!(
                    "第 {} 行 {} 列应为整数,实际是“{}”",
                    "row {}, column {}: expected a whole number, found \"{}\"",
                    row,
                    name,
                    v
                ),
                text!("不是整数", "not a whole number"),
                text!(
                    "写成不带小数点的整数,如 18",
                    "write a whole number without a decimal point, such as 18",
                ),
            ),
            Problem::NotDecimal => (
                codes::TABLE_BAD_VALUE,
                text!(
                    "第 {} 行 {} 列应为数值,实际是“{}”",
                    "row {}, column {}: expected a number, found \"{}\"",
                    row,
                    name,
                    v
                ),
                text!("不是数值", "not a number"),
                text!(
                    "写成 1234.56 或 40% 这样的数,不带千位分隔符和货币符号",
                    "write a number such as 1234.56 or 40%, without thousands separators or currency signs",
                ),
            ),
            Problem::NotBool => (
                codes::TABLE_BAD_VALUE,
                text!(
                    "第 {} 行 {} 列应为 1 或 0,实际是“{}”",
                    "row {}, column {}: expected 1 or 0, found \"{}\"",
                    row,
                    name,
                    v
                ),
                text!("不是真假值", "not a yes/no value"),
                text!(
                    "写 1 表示是、0 表示否(也可写 true、false)",
                    "write 1 for yes and 0 for no (true and false also work)",
                ),
            ),
            Problem::NotDate | Problem::NotDateTime => {
                let (zh, en) = if matches!(problem, Problem::NotDate) {
                    ("YYYY-MM-DD,如 2024-03-01", "YYYY-MM-DD, such as 2024-03-01")
                } else {
                    (
                        "YYYY-MM-DD HH:MM:SS,如 2024-03-01 08:30:00",
                        "YYYY-MM-DD HH:MM:SS, such as 2024-03-01 08:30:00",
                    )
                };
                (
                    codes::TABLE_BAD_VALUE,
                    text!(
                        "第 {} 行 {} 列应为日期,实际是“{}”",
                        "row {}, column {}: expected a date, found \"{}\"",
                        row,
                        name,
                        v
                    ),
                    text!("日期不存在或格式有误", "not a valid date"),
                    Text::new(format!("日期写成 {zh}"), format!("write dates as {en}")),
                )
            }
            Problem::BadEnum => {
                let (enum_name, allowed) = match col.kind {
                    Kind::Enum(e) => (e.name.as_str(), allowed_variants(e)),
                    _ => ("", text!("", "")),
                };
                (
                    codes::TABLE_BAD_ENUM,
                    text!(
                        "第 {} 行 {} 列的“{}”不是 {} 的取值",
                        "row {}, column {}: \"{}\" is not a value of {}",
                        row,
                        name,
                        v,
                        enum_name
                    ),
                    text!("未知取值", "unknown value"),
                    Text::new(
                        format!("可用的取值(写英文名或中文名均可):{}", allowed.zh),
                        format!(
                            "allowed values (the name or its Chinese label): {}",
                            allowed.en
                        ),
                    ),
                )
            }
            Problem::NotUtf8 => (
                codes::TABLE_BAD_CSV,
                text!(
                    "第 {} 行 {} 列不是有效的 UTF-8 文本",
                    "row {}, column {}: not valid UTF-8 text",
                    row,
                    name
                ),
                text!("编码有误", "bad encoding"),
                text!(
                    "把文件另存为 UTF-8 编码的 CSV",
                    "save the file as UTF-8 CSV"
                ),
            ),
        };
        let mut help = help;
        if !col.required && !matches!(problem, Problem::Empty | Problem::NotUtf8) {
            help.zh.push_str(";不限制时留空");
            help.en
                .push_str("; leave the cell empty for no restriction");
        }
        self.error(
            Diagnostic::error(code, span, message)
                .label(label)
                .help(help),
        );
    }

    #[cold]
    fn duplicate(&mut self, row: usize, key: &str, span: Span, first: Span, first_row: u32) {
        let name = &self.decl.columns[self.decl.key].name;
        self.error(
            Diagnostic::error(
                codes::TABLE_DUPLICATE_KEY,
                span,
                text!(
                    "第 {} 行 {} 列的“{}”与第 {} 行重复",
                    "row {}, column {}: \"{}\" repeats the key of row {}",
                    row,
                    name,
                    shorten(key),
                    first_row
                ),
            )
            .label(text!("重复的主键", "duplicate key"))
            .secondary(first, text!("第一次出现在这里", "first used here"))
            .help(text!(
                "每个 {} 只能有一行:合并这两行,或删掉其中一行",
                "each {} may have one row only: merge the two rows or delete one",
                name
            )),
        );
    }
}

fn allowed_variants(e: &EnumDecl) -> Text {
    let zh: Vec<String> = e
        .variants
        .iter()
        .map(|v| format!("{}({})", v.name, v.label))
        .collect();
    let en: Vec<String> = e
        .variants
        .iter()
        .map(|v| format!("{} ({})", v.name, v.label))
        .collect();
    Text::new(zh.join("、"), en.join(", "))
}

fn column_list(decl: &TableDecl) -> String {
    let names: Vec<&str> = decl.columns.iter().map(|c| c.name.as_str()).collect();
    names.join(",")
}

/// A cell's text for a message: at most 40 characters.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The header field that is probably a misspelling of the missing column `name`:
/// an undeclared header within a small edit distance of it.
fn misspelt(names: &[String], decl: &TableDecl, name: &str) -> Option<usize> {
    let undeclared = names
        .iter()
        .filter(|n| !decl.columns.iter().any(|c| &c.name == *n));
    let best = heng_compiler::check::similar::closest(name, undeclared.map(String::as_str))?;
    names.iter().position(|n| n == best)
}
