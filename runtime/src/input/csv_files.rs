//! CSV input (records.md): a visits file and a fee-lines file, and optionally
//! files of diagnoses, operations and orders, with the NDJSON field names as
//! column names, joined on `mdtrt_id`. Each visit row, with the rows of its child
//! files, becomes the JSON object its NDJSON line would be and goes through the
//! same reader: the same types, checks and error records (an error's line is the
//! visits file's row). An empty cell is an absent value.
//!
//! The files are read as streams, so child rows must come grouped by visit in the
//! visits' order (as exports list them). A child row that fits no visit in that
//! order becomes an error record naming its file and row, so nothing is lost.

use super::InputError;
use heng_compiler::text;
use serde_json::{Map, Value as Json};
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

/// One CSV file of child rows and the visit field it fills.
struct Child {
    /// e.g. `feedetail`
    field: String,
    path: PathBuf,
    reader: Reader,
    headers: Vec<String>,
    id_column: usize,
    /// The next row not yet given to a visit: (row number, cells).
    pending: Option<(u64, csv::StringRecord)>,
}

/// Visits read from CSV files, as JSON text per visit.
pub struct CsvVisits {
    visits: Reader,
    path: PathBuf,
    headers: Vec<String>,
    id_column: usize,
    children: Vec<Child>,
    /// Row number of the last visit read (the header is row 1).
    row: u64,
    /// Errors of child rows that fit no visit, reported at the end.
    leftovers: Vec<InputError>,
    finished: bool,
    io_error: Option<io::Error>,
    bytes: u64,
}

/// A CSV file being read.
type Reader = csv::Reader<BufReader<File>>;

/// Opens a CSV file: its reader, its column names and the join column.
fn open(path: &Path) -> Result<(Reader, Vec<String>, usize), String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: cannot read the header row: {e}", path.display()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let id_column = headers
        .iter()
        .position(|h| h == "mdtrt_id")
        .ok_or_else(|| format!("{}: no mdtrt_id column to join on", path.display()))?;
    Ok((reader, headers, id_column))
}

impl CsvVisits {
    /// The visits file and, per list field of the visit (`feedetail`, `diseinfo`,
    /// `oprninfo`, `orders`), a file of its rows.
    pub fn open(visits: &Path, children: &[(&str, &Path)]) -> Result<CsvVisits, String> {
        let (reader, headers, id_column) = open(visits)?;
        let children = children
            .iter()
            .map(|(field, path)| {
                let (reader, headers, id_column) = open(path)?;
                let mut child = Child {
                    field: (*field).to_owned(),
                    path: path.to_path_buf(),
                    reader,
                    headers,
                    id_column,
                    pending: None,
                };
                child.advance()?;
                Ok(child)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(CsvVisits {
            visits: reader,
            path: visits.to_path_buf(),
            headers,
            id_column,
            children,
            row: 1,
            leftovers: Vec::new(),
            finished: false,
            io_error: None,
            bytes: 0,
        })
    }

    /// Input bytes consumed so far, over all files.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn io_error(&self) -> Option<&io::Error> {
        self.io_error.as_ref()
    }

    fn error(line: u64, field: &str, reason: heng_compiler::diagnostic::Text) -> InputError {
        InputError {
            line,
            mdtrt_id: None,
            field: field.to_owned(),
            reason,
        }
    }

    /// The next visit as JSON text, or why a row cannot be one.
    pub fn next_line(&mut self) -> Option<Result<(u64, String), InputError>> {
        if self.finished {
            return self.leftovers.pop().map(Err);
        }
        let mut record = csv::StringRecord::new();
        match self.visits.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => {
                self.finished = true;
                self.drain_children();
                self.leftovers.reverse();
                return self.leftovers.pop().map(Err);
            }
            Err(e) => {
                self.row += 1;
                let reason = text!(
                    "{} 无法解析:{}",
                    "{}: cannot parse the CSV: {}",
                    self.path.display(),
                    e
                );
                if let csv::ErrorKind::Io(_) = e.kind() {
                    self.finished = true;
                    self.io_error = Some(io::Error::other(e.to_string()));
                }
                return Some(Err(Self::error(self.row, "", reason)));
            }
        }
        self.row = record.position().map_or(self.row + 1, |p| p.line());
        self.bytes = record.position().map_or(self.bytes, |p| p.byte());
        let id = record.get(self.id_column).unwrap_or("").trim().to_owned();
        let mut object = row_object(&self.headers, &record, None);
        for child in &mut self.children {
            let mut items = Vec::new();
            while let Some((_, r)) = &child.pending {
                if r.get(child.id_column).unwrap_or("").trim() != id || id.is_empty() {
                    break;
                }
                items.push(Json::Object(row_object(
                    &child.headers,
                    r,
                    Some(child.id_column),
                )));
                if let Err(e) = child.advance() {
                    return Some(Err(Self::error(
                        self.row,
                        &child.field,
                        text!("{}", "{}", e),
                    )));
                }
            }
            if !items.is_empty() {
                object.insert(child.field.clone(), Json::Array(items));
            }
        }
        Some(Ok((self.row, Json::Object(object).to_string())))
    }

    /// Child rows no visit took: one error record each.
    fn drain_children(&mut self) {
        for child in &mut self.children {
            while let Some((row, r)) = child.pending.take() {
                let id = r.get(child.id_column).unwrap_or("").trim().to_owned();
                self.leftovers.push(InputError {
                    line: row,
                    mdtrt_id: Some(id.clone()),
                    field: child.field.clone(),
                    reason: text!(
                        "{} 第 {} 行:没有与之对应的就诊(就诊ID \"{}\"),或未按就诊文件的顺序分组",
                        "{} row {}: no visit takes it (visit id \"{}\"), or its rows are not grouped in the visits file's order",
                        child.path.display(),
                        row,
                        id
                    ),
                });
                if child.advance().is_err() {
                    break;
                }
            }
        }
    }
}

impl Child {
    /// Reads the next row into `pending`.
    fn advance(&mut self) -> Result<(), String> {
        let mut record = csv::StringRecord::new();
        self.pending = match self.reader.read_record(&mut record) {
            Ok(true) => Some((record.position().map_or(0, |p| p.line()), record)),
            Ok(false) => None,
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        Ok(())
    }
}

/// A row as a JSON object of its non-empty cells (all as strings, which the
/// reader converts by the field's type), without the join column of a child row.
fn row_object(
    headers: &[String],
    record: &csv::StringRecord,
    skip: Option<usize>,
) -> Map<String, Json> {
    headers
        .iter()
        .zip(record.iter())
        .enumerate()
        .filter(|(i, (_, cell))| Some(*i) != skip && !cell.trim().is_empty())
        .map(|(_, (h, cell))| (h.clone(), Json::String(cell.to_owned())))
        .collect()
}
