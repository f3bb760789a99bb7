//! National code shapes (drugs X/Z + 22 characters, services 15 digits,
//! materials C + 19), and what the generator derives from a code: its kind, its
//! charge category, a name when the tables give none, a full code for a table
//! prefix, and a base price.

use super::catalogue::Kind;
use super::tables::TableRef;

/// FNV-1a: a fixed hash for prices and tie-breaks (never `HashMap` order).
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

pub fn json_escape(s: &str) -> Box<str> {
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    Box::from(&quoted[1..quoted.len() - 1])
}

pub fn kind_of(code: &str) -> Option<Kind> {
    match code.as_bytes().first()? {
        b'X' | b'Z' => Some(Kind::Drug),
        b'C' => Some(Kind::Material),
        b'0'..=b'9' => Some(Kind::Service),
        _ => None,
    }
}

/// The charge category (med_chrgitm_type) of a service, from the national
/// service catalogue's structure.
pub fn service_category(code: &str) -> &'static str {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("1101", "13"),
        ("1102", "02"),
        ("1109", "01"),
        ("1201", "07"),
        ("12", "05"),
        ("11", "12"),
        ("21", "03"),
        ("22", "03"),
        ("23", "03"),
        ("24", "05"),
        ("25", "04"),
        ("26", "04"),
        ("27", "04"),
        ("31", "05"),
        ("33", "06"),
        ("34", "05"),
        ("4", "05"),
    ];
    BY_PREFIX
        .iter()
        .find(|(p, _)| code.starts_with(p))
        .map_or("14", |(_, c)| c)
}

pub fn category_name(kind: Kind, chrgitm: &str) -> &'static str {
    match (kind, chrgitm) {
        (Kind::Drug, "11") => "中成药",
        (Kind::Drug, _) => "西药",
        (Kind::Material, _) => "医用耗材",
        (_, "01") => "床位费",
        (_, "02") => "诊查费",
        (_, "03") => "检查费",
        (_, "04") => "化验费",
        (_, "05") => "治疗费",
        (_, "06") => "手术费",
        (_, "07") => "护理费",
        (_, "12") => "一般诊疗费",
        (_, "13") => "挂号费",
        _ => "其他费",
    }
}

/// Base unit price in fen for an item, from a hash of its code.
pub fn base_price(code: &str, kind: Kind, chrgitm: &str) -> i64 {
    const EXPENSIVE_DRUGS: &[&str] = &["XL01", "XL03", "XL04", "XJ06", "XB03X", "XR07", "XB05AA"];
    let h = fnv(code.as_bytes());
    let (lo, hi) = match kind {
        Kind::Drug if EXPENSIVE_DRUGS.iter().any(|p| code.starts_with(p)) => (30_000, 250_000),
        Kind::Drug if h.is_multiple_of(5) => (15, 180),
        Kind::Drug if code.starts_with('Z') => (800, 6_000),
        Kind::Drug => (300, 9_000),
        Kind::Material => (500, 60_000),
        Kind::Service => match chrgitm {
            "13" => (400, 1_200),
            "02" => (800, 3_000),
            "01" => (2_500, 8_000),
            "07" => (1_500, 3_500),
            "03" => (3_000, 45_000),
            "04" => (500, 8_000),
            "06" => (80_000, 500_000),
            "05" => (1_000, 15_000),
            _ => (500, 5_000),
        },
    };
    lo + (h >> 8) as i64 % (hi - lo + 1)
}

/// The full code for a table code or prefix: padded to the national length with
/// filler that resolves to the same rows of every table as the prefix itself.
pub fn full_code(code: &str, tables: &[&TableRef]) -> Option<String> {
    let kind = kind_of(code)?;
    let fillers: &[&str] = match kind {
        Kind::Drug => &["XA00AAA000A001010100001", "XZ99ZZZ999Z999010100001"],
        Kind::Service => &["000000000000000", "999999999999999"],
        Kind::Material => &["C0000000000000000000", "C9999999999999999999"],
    };
    let same_rows = |full: &str| {
        tables
            .iter()
            .all(|t| t.table.prefix(full) == t.table.prefix(code))
    };
    if code.len() >= fillers[0].len() {
        return Some(code.to_string());
    }
    fillers
        .iter()
        .map(|f| format!("{code}{}", &f[code.len()..]))
        .find(|full| same_rows(full))
}
