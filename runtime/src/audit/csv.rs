//! CSV input through the NDJSON path: the visits the CSV files make are written,
//! each at the line number of its visits-file row (blank lines, which readers
//! skip but count, fill the rest), to an NDJSON file in the scratch folder, which
//! [`run_file`](super::run_file) then reads like any input: grouped by patient
//! first when rules read history, settled in two passes when the settlement has
//! batch totals. So CSV input behaves exactly as the same visits as NDJSON, and
//! an error names its visits-file row. Rows that make no visit (a row the CSV
//! reader cannot parse, child rows no visit takes) are error records after the
//! run's.

use super::file::Scratch;
use super::{Summary, input_error_json};
use crate::input::CsvVisits;
use heng_compiler::diagnostic::Lang;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The visits of CSV files as an NDJSON file, removed when dropped.
pub struct CsvAsNdjson {
    _scratch: Scratch,
    /// The NDJSON file to run.
    pub visits: PathBuf,
    /// Rows that made no visit, as error records.
    errors: PathBuf,
    rejected: u64,
}

impl CsvAsNdjson {
    /// Reads every visit of `csv` into a new NDJSON file under `scratch`.
    pub fn write(csv: &mut CsvVisits, scratch: &Path, lang: Lang) -> io::Result<CsvAsNdjson> {
        let scratch = Scratch::new(scratch)?;
        let (visits, errors) = (scratch.0.join("visits.ndjson"), scratch.0.join("errors"));
        let mut rejected = 0;
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&visits)?);
        let mut failed = BufWriter::new(File::create(&errors)?);
        let mut line = 1;
        while let Some(next) = csv.next_line() {
            match next {
                Ok((row, json)) => {
                    while line < row {
                        out.write_all(b"\n")?;
                        line += 1;
                    }
                    out.write_all(json.as_bytes())?;
                    out.write_all(b"\n")?;
                    line += 1;
                }
                Err(e) => {
                    rejected += 1;
                    writeln!(failed, "{}", input_error_json(&e, lang))?;
                }
            }
        }
        if let Some(e) = csv.io_error() {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        out.flush()?;
        failed.flush()?;
        Ok(CsvAsNdjson {
            _scratch: scratch,
            visits,
            errors,
            rejected,
        })
    }

    /// After the run: the rows that made no visit go to `errors`, and count as
    /// read and rejected in `summary`.
    pub fn finish(&self, errors: &mut dyn Write, summary: &mut Summary) -> io::Result<()> {
        for line in io::BufReader::new(File::open(&self.errors)?).lines() {
            writeln!(errors, "{}", line?)?;
        }
        summary.records_read += self.rejected;
        summary.rejected += self.rejected;
        Ok(())
    }
}
