//! `heng run --history FILE`: earlier visits, history only (never audited), read
//! once and kept on disk. Each readable line is copied to a scratch file and only
//! where each patient's lines lie is held in memory; a patient's visits are read
//! back when a visit of that patient in the batch needs its history. So memory
//! grows with the number of patients in the file, not with its size.

use super::{HistorySource, Map};
use crate::input::{InputError, NdjsonReader, Schema, read_visit};
use crate::value::Value;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The earlier visits of a history file, by patient.
#[derive(Default)]
pub struct HistoryFile {
    schema: Option<Schema>,
    store: Option<Store>,
    /// Per patient: where each of its visits' lines lies in the store (byte
    /// offset, length), in file order.
    by_patient: Map<String, Vec<(u64, u32)>>,
    /// Visits read.
    pub read: u64,
    /// Lines that could not be read, with why (the first [`HistoryFile::KEPT`]).
    pub rejected: Vec<InputError>,
    /// How many lines could not be read.
    pub rejected_count: u64,
}

impl HistoryFile {
    /// Rejected lines kept for the report; the rest are only counted.
    pub const KEPT: usize = 100;

    /// Reads every line of `input` as a visit of `schema` (refunds applied),
    /// keeping the readable ones in a scratch file in the system's temporary
    /// folder.
    pub fn read(schema: &Schema, input: impl Read) -> io::Result<HistoryFile> {
        HistoryFile::read_in(schema, input, &std::env::temp_dir())
    }

    /// [`HistoryFile::read`] with the scratch file in `scratch`.
    pub fn read_in(schema: &Schema, input: impl Read, scratch: &Path) -> io::Result<HistoryFile> {
        let (store, file) = Store::create(scratch)?;
        let mut out = BufWriter::new(file);
        let mut history = HistoryFile {
            schema: Some(schema.clone()),
            ..HistoryFile::default()
        };
        let mut at = 0u64;
        let mut reader = NdjsonReader::new(schema, input);
        while let Some(line) = reader.next_line() {
            let read = line.and_then(|(n, text)| {
                let visit = read_visit(schema, n, &text)?;
                reader.accept(n, visit).map(|v| (v, text))
            });
            match read {
                Ok((visit, text)) => {
                    out.write_all(text.as_bytes())?;
                    history
                        .by_patient
                        .entry(visit.psn_no.to_string())
                        .or_default()
                        .push((at, text.len() as u32));
                    at += text.len() as u64;
                    history.read += 1;
                }
                Err(e) => {
                    history.rejected_count += 1;
                    if history.rejected.len() < Self::KEPT {
                        history.rejected.push(e);
                    }
                }
            }
        }
        if let Some(e) = reader.io_error() {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        out.flush()?;
        history.store = Some(store);
        Ok(history)
    }
}

impl HistorySource for HistoryFile {
    fn visits(&self, psn_no: &str) -> Vec<Value> {
        let (Some(schema), Some(store), Some(places)) =
            (&self.schema, &self.store, self.by_patient.get(psn_no))
        else {
            return Vec::new();
        };
        places
            .iter()
            .filter_map(|&(at, len)| {
                // the line was read once already: it reads again unless the
                // scratch file was tampered with, and then it is left out
                let bytes = store.read_at(at, len as usize).ok()?;
                let text = String::from_utf8(bytes).ok()?;
                let visit = read_visit(schema, 0, &text).ok()?;
                Some(Value::Record(visit.record))
            })
            .collect()
    }
}

/// The scratch file of a history, removed when dropped.
struct Store {
    path: PathBuf,
    file: File,
}

impl Store {
    /// A new scratch file in `dir`, and a second handle to write it with.
    fn create(dir: &Path) -> io::Result<(Store, File)> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("heng-history-{}-{n}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let writer = file.try_clone()?;
        Ok((Store { path, file }, writer))
    }

    #[cfg(unix)]
    fn read_at(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }

    #[cfg(windows)]
    fn read_at(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        use std::os::windows::fs::FileExt;
        let mut buf = vec![0; len];
        let mut done = 0;
        while done < len {
            match self.file.seek_read(&mut buf[done..], at + done as u64)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => done += n,
            }
        }
        Ok(buf)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::Path;

    fn schema() -> Schema {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
        let loaded = crate::pack::load(&dir, &[]);
        crate::input::check_schema(&loaded.pack.unwrap().program).unwrap()
    }

    fn visit(id: &str, psn: &str, day: u32) -> String {
        format!(
            r#"{{"mdtrt_id":"{id}","psn_no":"{psn}","gend":"1","brdy":"1980-01-01","med_type":"11","begntime":"2026-09-{day:02}T08:00:00","feedetail":[{{"feedetl_sn":"1","fee_ocur_time":"2026-09-{day:02}T09:00:00","med_list_codg":"X","hilist_name":"x","cnt":"1","pric":"1","det_item_fee_sumamt":"1"}}]}}"#
        )
    }

    #[test]
    fn a_history_file_is_kept_on_disk_and_read_back_by_patient() {
        let scratch =
            std::env::temp_dir().join(format!("heng-history-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let text = [
            visit("H1", "P1", 1),
            "{not json".to_owned(),
            String::new(),
            visit("H2", "P2", 2),
            visit("H3", "P1", 3),
            visit("H1", "P3", 4), // a repeated visit id: not read
        ]
        .join("\n");
        let history = HistoryFile::read_in(&schema(), text.as_bytes(), &scratch).unwrap();
        assert_eq!((history.read, history.rejected_count), (3, 2));
        assert_eq!(
            history.rejected.iter().map(|e| e.line).collect::<Vec<_>>(),
            [2, 6]
        );
        let ids = |psn: &str| -> Vec<String> {
            history
                .visits(psn)
                .iter()
                .map(|v| match v {
                    Value::Record(r) => r
                        .fields
                        .iter()
                        .find_map(|f| f.as_str().map(str::to_owned))
                        .unwrap(),
                    _ => String::new(),
                })
                .collect()
        };
        assert_eq!(ids("P1"), ["H1", "H3"], "file order");
        assert_eq!(ids("P2"), ["H2"]);
        assert!(ids("P3").is_empty() && ids("P9").is_empty());
        assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 1);
        drop(history);
        assert_eq!(
            std::fs::read_dir(&scratch).unwrap().count(),
            0,
            "the scratch file is removed"
        );
    }
}
