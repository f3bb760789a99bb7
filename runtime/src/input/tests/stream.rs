//! The NDJSON stream: line numbering, blank lines, limits, blocks and duplicate ids.

use super::*;

fn reader(input: &[u8]) -> NdjsonReader<Cursor<Vec<u8>>> {
    NdjsonReader::new(&schema(), Cursor::new(input.to_vec()))
}

fn visit_line(id: &str) -> String {
    let mut json = example();
    json["mdtrt_id"] = id.into();
    line_of(&json)
}

#[test]
fn stream_skips_blank_lines_and_numbers_physical_lines() {
    let input = format!(
        "{}\r\n\n   \r\n{}\n{}",
        visit_line("A"),
        visit_line("B"),
        visit_line("C")
    );
    let results: Vec<_> = reader(input.as_bytes()).collect();
    let got: Vec<(u64, String)> = results
        .into_iter()
        .map(|r| {
            let v = r.unwrap();
            (v.line, v.mdtrt_id.to_string())
        })
        .collect();
    assert_eq!(got, vec![(1, "A".into()), (4, "B".into()), (5, "C".into())]);
}

#[test]
fn stream_ignores_a_byte_order_mark() {
    let input = format!("\u{feff}{}\n", visit_line("A"));
    let results: Vec<_> = reader(input.as_bytes()).collect();
    assert_eq!(results.len(), 1);
    assert!(results[0].is_ok(), "{:?}", results[0]);
}

#[test]
fn duplicate_mdtrt_id_rejects_the_second() {
    let input = format!(
        "{}\n{}\n{}\n",
        visit_line("A"),
        visit_line("B"),
        visit_line("A")
    );
    let results: Vec<_> = reader(input.as_bytes()).collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let e = results[2].as_ref().unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.field, "mdtrt_id");
    assert_eq!(e.mdtrt_id.as_deref(), Some("A"));
    assert!(e.reason.en.contains("first on line 1"), "{}", e.reason.en);
}

#[test]
fn ids_short_and_long_repeat_only_when_equal() {
    // ids around the 15 bytes packed in one key, and ids that differ only by
    // their length or a last byte
    let ids = [
        "",
        "A",
        "A ",
        "MD0000000101",
        "MD000000010100",
        "MD0000000101000",
        "MD00000001010000",
        "MD00000001010001",
        "就诊甲乙丙",
        "就诊甲乙丙丁",
    ];
    let mut seen = crate::input::VisitIds::default();
    for (i, id) in ids.iter().enumerate() {
        let id = crate::value::SmolStr::new(id);
        assert!(seen.accept(i as u64 + 1, &id).is_ok(), "{id:?} new");
    }
    for (i, id) in ids.iter().enumerate() {
        let id = crate::value::SmolStr::new(id);
        let e = seen.accept(100, &id).unwrap_err();
        assert!(
            e.reason.en.contains(&format!("first on line {}", i + 1)),
            "{id:?}: {}",
            e.reason.en
        );
    }
}

#[test]
fn a_rejected_visit_does_not_reserve_its_id() {
    let mut bad = example();
    bad["mdtrt_id"] = "A".into();
    bad["brdy"] = "2026-02-30".into();
    let input = format!("{}\n{}\n", line_of(&bad), visit_line("A"));
    let results: Vec<_> = reader(input.as_bytes()).collect();
    assert!(results[0].is_err());
    assert!(results[1].is_ok());
}

#[test]
fn very_long_line_is_rejected_and_reading_goes_on() {
    let short = visit_line("A");
    let max = short.len() + 10;
    let long = format!(
        "{{\"mdtrt_id\": \"B\", \"padding\": \"{}\"}}",
        "x".repeat(10_000)
    );
    let input = format!("{short}\n{long}\r\n{}\n", visit_line("C"));
    // A small buffer, so the long line arrives in many pieces.
    let results: Vec<_> = NdjsonReader::new(
        &schema(),
        std::io::BufReader::with_capacity(64, Cursor::new(input.into_bytes())),
    )
    .with_max_line_bytes(max)
    .collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().mdtrt_id, "A");
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.field, "");
    assert_eq!(
        e.reason.en,
        format!("line too long: {} bytes, the limit is {max}", long.len())
    );
    let c = results[2].as_ref().unwrap();
    assert_eq!((c.line, c.mdtrt_id.as_str()), (3, "C"));
}

#[test]
fn a_line_of_exactly_the_limit_is_read() {
    let line = visit_line("A");
    let input = format!("{line}\r\n");
    let results: Vec<_> = reader(input.as_bytes())
        .with_max_line_bytes(line.len())
        .collect();
    assert!(results[0].is_ok(), "{:?}", results[0]);
}

#[test]
fn invalid_utf8_rejects_the_line_and_reading_goes_on() {
    let mut input = visit_line("A").into_bytes();
    input.extend_from_slice(b"\n{\"mdtrt_id\": \"B\xff\xfe\"}\n");
    input.extend_from_slice(visit_line("C").as_bytes());
    let results: Vec<_> = reader(&input).collect();
    assert_eq!(results.len(), 3);
    let e = results[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.field, "");
    assert_eq!(e.reason.en, "the line is not valid UTF-8 (at byte 16)");
    assert_eq!(results[2].as_ref().unwrap().line, 3);
}

#[test]
fn block_boundaries_anywhere_read_the_same_stream() {
    // a byte order mark, CRLF, blank lines, a line over the limit (whole blocks of
    // it), invalid UTF-8, a duplicate id and a last line without a line break
    let mut input = format!("\u{feff}{}\r\n\n  \r\n", visit_line("A")).into_bytes();
    input.extend_from_slice(format!("{{\"pad\": \"{}\"}}\r\n", "x".repeat(3000)).as_bytes());
    input.extend_from_slice(b"{\"mdtrt_id\": \"B\xff\"}\n");
    input.extend_from_slice(format!("{}\n{}", visit_line("A"), visit_line("C")).as_bytes());
    let max = visit_line("A").len() + 100;
    let read = |block: Option<usize>| -> Vec<Result<(u64, String), (u64, String)>> {
        let mut r = reader(&input).with_max_line_bytes(max);
        if let Some(b) = block {
            r = r.with_block_bytes(b);
        }
        r.map(|v| match v {
            Ok(v) => Ok((v.line, v.mdtrt_id.to_string())),
            Err(e) => Err((e.line, e.reason.en.to_string())),
        })
        .collect()
    };
    let whole = read(None);
    assert_eq!(whole.len(), 5, "{whole:?}");
    assert_eq!(whole[0], Ok((1, "A".into())));
    assert_eq!(
        whole[1],
        Err((4, format!("line too long: 3011 bytes, the limit is {max}")))
    );
    assert_eq!(whole[4], Ok((7, "C".into())));
    for block in [1, 2, 3, 7, 64, 333, max - 1, max, max + 1, 4096] {
        assert_eq!(read(Some(block)), whole, "blocks of {block} bytes");
    }
}

#[test]
fn blocks_cut_between_patients_hold_whole_patients() {
    use super::blocks::{BlockReader, Chunk};
    // patients of 1 to 7 visits (some longer than a block), a blank line, a line
    // without a readable psn_no, and a last line without a line break
    let mut input = String::new();
    let mut id = 0;
    for (p, visits) in [3, 1, 7, 2, 1, 5].iter().enumerate() {
        for _ in 0..*visits {
            let mut json = example();
            json["mdtrt_id"] = format!("V{id}").into();
            json["psn_no"] = format!("P{p}").into();
            id += 1;
            input.push_str(&line_of(&json));
            input.push('\n');
        }
        if p == 2 {
            input.push_str("\n{broken\n");
        }
    }
    input.pop();
    let psn = |line: &str| {
        super::top_level_strings(line, &["psn_no"]).and_then(|mut k| k.pop().flatten())
    };
    let visit_len = input.lines().next().unwrap().len();
    for block_bytes in [1, 100, visit_len, 2 * visit_len + 5, 4 * visit_len, 1 << 20] {
        let mut reader = BlockReader::new(input.as_bytes())
            .with_block_bytes(block_bytes)
            .with_patient_boundaries();
        let mut text = Vec::new();
        let mut seen: Vec<Option<String>> = Vec::new();
        while let Some(chunk) = reader.next_chunk() {
            let Chunk::Block(block) = chunk else {
                panic!("{chunk:?}")
            };
            text.extend_from_slice(&block.text);
            let mut here: Vec<Option<String>> = block.lines().map(|l| psn(l.unwrap().1)).collect();
            here.dedup();
            for p in here.iter().flatten() {
                assert!(
                    !seen.contains(&Some(p.clone())),
                    "{p} split, blocks of {block_bytes}"
                );
            }
            seen.extend(here);
        }
        assert_eq!(text, input.as_bytes(), "blocks of {block_bytes}");
    }
}

/// A byte order mark before the first patient does not make its first line a
/// patient of its own.
#[test]
fn a_byte_order_mark_does_not_split_the_first_patient() {
    let line = |v: &str| format!(r#"{{"psn_no":"P1","mdtrt_id":"{v}"}}"#);
    let input = format!("\u{feff}{}\n{}\n", line("V1"), line("V2"));
    let mut reader = BlockReader::new(input.as_bytes())
        .with_block_bytes(1)
        .with_patient_boundaries();
    let Some(Chunk::Block(block)) = reader.next_chunk() else {
        panic!("a block")
    };
    assert_eq!(block.lines().count(), 2, "both visits of P1 in one block");
    assert!(reader.next_chunk().is_none());
}

/// A file read mapped into memory is cut into the same blocks, with the same
/// line numbers and errors, as the same file read: at every block size, with
/// and without patient boundaries, through long lines, blank lines, CRLF, a
/// byte order mark and a last line without a break.
#[test]
fn a_mapped_file_is_cut_as_the_same_file_read() {
    let mut input = String::from("\u{feff}");
    for (p, visits) in [3, 1, 7, 2].iter().enumerate() {
        for v in 0..*visits {
            let mut json = example();
            json["mdtrt_id"] = format!("V{p}-{v}").into();
            json["psn_no"] = format!("P{p}").into();
            input.push_str(&line_of(&json));
            input.push_str(if v % 2 == 0 { "\n" } else { "\r\n" });
        }
        input.push_str(&"x".repeat(1200 * p));
        input.push_str("\n\n  \n");
    }
    input.push_str(&visit_line("last"));
    let dir = std::env::temp_dir().join(format!("heng-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("input.ndjson");
    std::fs::write(&path, &input).unwrap();
    let chunks = |r: &mut dyn FnMut() -> Option<Chunk>| {
        std::iter::from_fn(r)
            .map(|c| match c {
                Chunk::Block(b) => {
                    let lines: Vec<_> = b
                        .lines()
                        .map(|l| l.map(|(n, t)| (n, t.to_string())).map_err(|e| e.line))
                        .collect();
                    let text = String::from_utf8_lossy(&b.text).into_owned();
                    Ok((b.first_line, text, lines))
                }
                Chunk::Error(e) => Err(format!("{e:?}")),
            })
            .collect::<Vec<_>>()
    };
    let visit_len = input.lines().nth(1).unwrap().len();
    let limits = [1000, visit_len + 100];
    for (block_bytes, max) in [1, 100, visit_len, 2 * visit_len + 5, 1 << 20]
        .into_iter()
        .flat_map(|b| limits.map(|m| (b, m)))
    {
        for patients in [false, true] {
            let open = |mapped: bool| {
                let file = std::fs::File::open(&path).unwrap();
                let r = BlockReader::new(file)
                    .with_block_bytes(block_bytes)
                    .with_max_line_bytes(max);
                let r = if mapped { r.mapped() } else { r };
                if patients {
                    r.with_patient_boundaries()
                } else {
                    r
                }
            };
            let (mut read, mut mapped) = (open(false), open(true));
            let want = chunks(&mut || read.next_chunk());
            let too_long = |c: &Result<(u64, String, Vec<Result<_, u64>>), _>| match c {
                Ok((_, _, lines)) => lines.iter().any(|l| l.is_err()),
                Err(_) => true,
            };
            assert!(want.iter().any(too_long), "a line too long");
            let got = chunks(&mut || mapped.next_chunk());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    g == w,
                    "chunk {i}, blocks of {block_bytes}, limit {max}, patients {patients}:\n{g:?}\n{w:?}"
                );
            }
            assert_eq!(
                got.len(),
                want.len(),
                "blocks of {block_bytes}, patients {patients}"
            );
            assert_eq!(mapped.bytes_read(), input.len() as u64);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A reader that fails after its first line.
struct Failing(Cursor<Vec<u8>>);

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn io_error_ends_the_stream() {
    let input = format!("{}\n", visit_line("A"));
    let mut stream = NdjsonReader::new(
        &schema(),
        std::io::BufReader::new(Failing(Cursor::new(input.into_bytes()))),
    );
    assert!(stream.next().unwrap().is_ok());
    let e = stream.next().unwrap().unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.reason.en.contains("disk on fire"));
    assert!(stream.next().is_none());
    assert!(stream.io_error().is_some());
}

#[test]
fn errors_as_json() {
    let e = InputError {
        line: 3,
        mdtrt_id: Some("M1".into()),
        field: "feedetail[0].cnt".into(),
        reason: Text::new("缺少必填字段", "required field is missing"),
    };
    assert_eq!(
        e.to_json(Lang::En).to_string(),
        r#"{"field":"feedetail[0].cnt","line":3,"mdtrt_id":"M1","reason":"required field is missing"}"#
    );
}
