//! Dates as day numbers (days since 1970-01-01) and times as minutes of the day:
//! the generator's arithmetic on them, the rules' notion of age, and writing them
//! in records.md form without going through a formatter.

/// Days since 1970-01-01.
pub type Day = i32;

/// The day number of a civil date (Howard Hinnant's `days_from_civil`).
pub const fn day(y: i32, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The civil date (year, month, day) of a day number.
pub fn civil(z: Day) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Whole years from `birth` to `on` (`on` ≥ `birth`), as the standard pack counts
/// age: a birthday counts on its date, 29 February on 28 February in other years.
pub fn years_between(birth: Day, on: Day) -> i64 {
    let (by, bm, bd) = civil(birth);
    let (y, m, d) = civil(on);
    let bd = if bm == 2 && bd == 29 && !is_leap(y) {
        28
    } else {
        bd
    };
    let mut years = i64::from(y - by);
    if (m, d) < (bm, bd) {
        years -= 1;
    }
    years
}

/// Appends `YYYY-MM-DD`.
pub fn push_date(out: &mut Vec<u8>, z: Day) {
    let (y, m, d) = civil(z);
    let y = y.clamp(0, 9999) as u32;
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (d / 10) as u8,
        b'0' + (d % 10) as u8,
    ]);
}

/// Appends `YYYY-MM-DDTHH:MM:00` for a day and a minute of that day.
pub fn push_datetime(out: &mut Vec<u8>, z: Day, minute: u32) {
    push_date(out, z);
    let (h, m) = (minute / 60 % 24, minute % 60);
    out.extend_from_slice(&[
        b'T',
        b'0' + (h / 10) as u8,
        b'0' + (h % 10) as u8,
        b':',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b':',
        b'0',
        b'0',
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2026, 10, 1), 20_727);
        for z in [-800_000, -1, 0, 59, 20_727, 20_757, 2_900_000] {
            let (y, m, d) = civil(z);
            assert_eq!(day(y, m, d), z);
        }
    }

    #[test]
    fn age_counts_birthdays_on_their_date() {
        let on = day(2026, 10, 8);
        assert_eq!(years_between(day(1985, 10, 8), on), 41);
        assert_eq!(years_between(day(1985, 10, 9), on), 40);
        // 29 February counts on 28 February in other years
        assert_eq!(years_between(day(2008, 2, 29), day(2026, 2, 28)), 18);
        assert_eq!(years_between(day(2008, 2, 29), day(2026, 2, 27)), 17);
    }

    #[test]
    fn dates_are_written_in_records_form() {
        let mut out = Vec::new();
        push_datetime(&mut out, day(2026, 10, 1), 8 * 60 + 5);
        out.push(b' ');
        push_date(&mut out, day(1959, 9, 19));
        assert_eq!(out, b"2026-10-01T08:05:00 1959-09-19");
    }
}
