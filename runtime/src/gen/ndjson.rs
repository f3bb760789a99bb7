//! Writes a generated visit as one line of NDJSON in the national platform's
//! field names (records.md), straight into a byte buffer: numbers and money from
//! integers (fen), names pre-escaped, no formatter and no allocation per line.

use super::calendar::{push_date, push_datetime};
use super::catalogue::Catalogue;
use super::patient::Patient;
use super::rules::Line;
use super::visit::Visit;

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Money in fen as yuan with exactly two decimals: 1250 → `12.50`.
fn push_fen(out: &mut Vec<u8>, fen: i64) {
    if fen < 0 {
        out.push(b'-');
    }
    let f = fen.unsigned_abs();
    push_u64(out, f / 100);
    out.extend_from_slice(&[b'.', b'0' + (f / 10 % 10) as u8, b'0' + (f % 10) as u8]);
}

/// A number padded with zeros to `width` digits.
fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    while n > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = (buf.len() - width.min(buf.len())).min(i);
    out.extend_from_slice(&buf[start..]);
}

/// `,"name":"value"` (the leading comma only when `comma`).
fn field(out: &mut Vec<u8>, comma: bool, name: &str, value: &str) {
    if comma {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
}

/// `,"name":` ready for a value.
fn key(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// The visit id: `MD` + patient number (8 digits) + visit number (2 digits).
fn push_id(out: &mut Vec<u8>, prefix: &[u8], patient: u64, seq: u32) {
    out.extend_from_slice(prefix);
    push_padded(out, patient + 1, 8);
    push_padded(out, u64::from(seq), 2);
}

/// An order's rx_id (and a line's drord_no): `YZ` + patient number (8 digits) +
/// visit number (2 digits) + order number (3 digits).
fn push_rx(out: &mut Vec<u8>, patient: u64, seq: u32, order: u16) {
    push_id(out, b"YZ", patient, seq);
    push_padded(out, u64::from(order), 3);
}

/// A doctor code: `D` + department digits + number.
fn push_doctor(out: &mut Vec<u8>, dept: &str, n: u32) {
    out.push(b'D');
    out.extend_from_slice(dept.get(1..).unwrap_or("").as_bytes());
    push_padded(out, u64::from(n), 2);
}

/// Appends the visit as one NDJSON line; returns the number of fee lines
/// written (refund lines included).
pub fn write_visit(out: &mut Vec<u8>, cat: &Catalogue, p: &Patient, v: &Visit) -> u64 {
    let f = &v.facts;
    out.extend_from_slice(b"{\"mdtrt_id\":\"");
    push_id(out, b"MD", p.index, v.seq);
    out.extend_from_slice(b"\",\"setl_id\":\"");
    push_id(out, b"ST", p.index, v.seq);
    out.extend_from_slice(b"\",\"psn_no\":\"P");
    push_padded(out, p.index + 1, 8);
    out.extend_from_slice(b"\",\"gend\":\"");
    out.push(p.gend);
    out.extend_from_slice(b"\",\"brdy\":\"");
    push_date(out, p.brdy);
    out.push(b'"');
    field(out, true, "insutype", f.insutype);
    field(out, true, "psn_type", p.psn_type);
    key(out, "cont_years");
    push_i64(out, p.cont_years);
    field(out, true, "fixmedins_code", &v.hospital.code);
    field(out, true, "hosp_lv", v.hospital.lv);
    field(out, true, "med_type", f.med_type);
    out.extend_from_slice(b",\"begntime\":\"");
    push_datetime(out, f.begin, v.begin_minute);
    out.push(b'"');
    if let Some(end) = f.end {
        out.extend_from_slice(b",\"endtime\":\"");
        push_datetime(out, end, v.end_minute);
        out.push(b'"');
    }
    if !v.dept.is_empty() {
        field(out, true, "adm_dept_codg", v.dept);
        out.extend_from_slice(b",\"atddr_no\":\"");
        push_doctor(out, v.dept, v.doctor);
        out.push(b'"');
    }
    match f.disease {
        Some(d) => field(out, true, "dise_codg", &d.code),
        None => out.extend_from_slice(b",\"dise_codg\":null"),
    }
    out.extend_from_slice(b",\"diseinfo\":[");
    for (i, d) in v.diags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        field(out, false, "diag_code", &d.code);
        if let Some(name) = d.name {
            field(out, true, "diag_name", name);
        }
        field(out, true, "maindiag_flag", if i == 0 { "1" } else { "0" });
        field(out, true, "diag_type", "1");
        out.push(b'}');
    }
    out.push(b']');
    if let Some(oprn) = v.oprn {
        out.extend_from_slice(b",\"oprninfo\":[{");
        field(out, false, "oprn_oprt_code", oprn);
        field(out, true, "main_oprn_flag", "1");
        out.extend_from_slice(b",\"oprn_date\":\"");
        push_date(out, (f.begin + 1).min(f.end.unwrap_or(f.begin)));
        out.extend_from_slice(b"\"}]");
    }
    out.extend_from_slice(b",\"feedetail\":[");
    let mut sn = 0u64;
    for line in &v.lines {
        sn += 1;
        write_line(out, cat, p, v, line, sn, None);
    }
    for (i, line) in v.lines.iter().enumerate() {
        if line.refund {
            sn += 1;
            let refund = Line {
                cnt: -1,
                minute: (line.minute + 30).min(1_439),
                ..*line
            };
            write_line(out, cat, p, v, &refund, sn, Some(i as u64 + 1));
        }
    }
    out.push(b']');
    if !v.orders.is_empty() {
        out.extend_from_slice(b",\"orders\":[");
        for (k, o) in v.orders.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"rx_id\":\"");
            push_rx(out, p.index, v.seq, k as u16 + 1);
            out.push(b'"');
            field(out, true, "hilist_code", &cat.item(o.item).code);
            out.extend_from_slice(b",\"cnt\":\"");
            push_i64(out, o.cnt);
            out.extend_from_slice(b"\",\"drord_begn_date\":\"");
            push_date(out, o.begin);
            out.extend_from_slice(b"\",\"drord_stop_date\":\"");
            push_date(out, o.stop);
            out.push(b'"');
            field(out, true, "drord_bhvr", if o.discharge { "1" } else { "0" });
            field(out, true, "long_drord_flag", if o.long { "1" } else { "0" });
            if !o.dept.is_empty() {
                out.extend_from_slice(b",\"drord_dr_codg\":\"");
                push_line_doctor(out, v, o.dept);
                out.push(b'"');
                field(out, true, "drord_dept_codg", o.dept);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
    sn
}

/// The doctor of a line or order billed by `dept`: the attending doctor in the
/// visit's department, else the first doctor of `dept`.
fn push_line_doctor(out: &mut Vec<u8>, v: &Visit, dept: &str) {
    if dept == v.dept {
        push_doctor(out, v.dept, v.doctor);
    } else {
        push_doctor(out, dept, 1);
    }
}

fn write_line(
    out: &mut Vec<u8>,
    cat: &Catalogue,
    p: &Patient,
    v: &Visit,
    line: &Line,
    sn: u64,
    refunds: Option<u64>,
) {
    let item = cat.item(line.item);
    if sn > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"feedetl_sn\":\"");
    push_u64(out, sn);
    out.push(b'"');
    if let Some(original) = refunds {
        out.extend_from_slice(b",\"init_feedetl_sn\":\"");
        push_u64(out, original);
        out.push(b'"');
    }
    if line.drord > 0 {
        out.extend_from_slice(b",\"drord_no\":\"");
        push_rx(out, p.index, v.seq, line.drord);
        out.push(b'"');
    }
    out.extend_from_slice(b",\"fee_ocur_time\":\"");
    push_datetime(out, line.day, line.minute);
    out.push(b'"');
    field(out, true, "med_list_codg", &item.code);
    field(out, true, "medins_list_codg", &item.local);
    field(out, true, "hilist_name", &item.name_json);
    field(out, true, "list_type", item.list_type);
    field(out, true, "med_chrgitm_type", item.chrgitm_type);
    field(out, true, "chrgitm_lv", line.lv);
    out.extend_from_slice(b",\"cnt\":\"");
    push_i64(out, line.cnt);
    out.extend_from_slice(b"\",\"pric\":\"");
    push_fen(out, line.pric);
    out.extend_from_slice(b"\",\"det_item_fee_sumamt\":\"");
    push_fen(out, line.cnt * line.pric);
    out.push(b'"');
    if !line.dept.is_empty() {
        field(out, true, "bilg_dept_codg", line.dept);
        out.extend_from_slice(b",\"bilg_dr_codg\":\"");
        push_line_doctor(out, v, line.dept);
        out.push(b'"');
    }
    field(
        out,
        true,
        "hosp_appr_flag",
        if line.approved { "1" } else { "0" },
    );
    field(
        out,
        true,
        "dscg_tkdrug_flag",
        if line.discharge { "1" } else { "0" },
    );
    if let Some(days) = line.prd_days {
        key(out, "prd_days");
        push_i64(out, days);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_ids_are_written_exactly() {
        let mut out = Vec::new();
        for fen in [0, 5, 1250, -1250, 123_456_789] {
            push_fen(&mut out, fen);
            out.push(b' ');
        }
        push_padded(&mut out, 42, 8);
        out.push(b' ');
        push_id(&mut out, b"MD", 0, 3);
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            "0.00 0.05 12.50 -12.50 1234567.89 00000042 MD0000000103"
        );
    }
}
