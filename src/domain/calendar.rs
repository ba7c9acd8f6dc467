//! UTC calendar dates for tables, filters and exports, without a date crate in the browser
//! bundle (Howard Hinnant's civil-date algorithms, https://howardhinnant.github.io/date_algorithms.html).

/// `YYYY-MM-DD HH:MM` (UTC) of a unix time.
pub fn day(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `YYYY-MM-DD` (years 1 to 9999) → unix seconds at 00:00 UTC.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if parts.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_print_in_utc() {
        assert_eq!(day(0), "1970-01-01 00:00");
        assert_eq!(day(1_795_219_200 + 3_600 * 13 + 60 * 5), "2026-11-21 13:05");
        assert_eq!(day(1_709_164_800), "2024-02-29 00:00");
    }

    #[test]
    fn dates_parse_to_midnight_utc() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-21"), Some(1_795_219_200));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "",
            "2026-13-01",
            "2026-11",
            "2026-11-21-1",
            "x-1-1",
            "99999999999999-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn printing_a_parsed_date_gives_it_back() {
        for text in ["0001-01-01", "1999-12-31", "2000-02-29", "9999-12-31"] {
            let unix = parse_date(text).unwrap();
            assert_eq!(day(unix), format!("{text} 00:00"));
        }
    }
}
