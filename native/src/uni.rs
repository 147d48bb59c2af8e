//! Python's `str.isspace` / `str.strip()` / `len()` for the parser (PubTator columns are
//! stripped as Python strips them). The table is generated from Python 3.11.7 `str.isspace`;
//! tests/test_native.py checks it against the running interpreter for every code point.
pub static SPACE: &[(u32, u32)] = &[(0x9, 0xD), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)];

fn in_table(t: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    t.binary_search_by(|&(lo, hi)| {
        if hi < c {
            std::cmp::Ordering::Less
        } else if lo > c {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    })
    .is_ok()
}

/// Python `str.isspace` for one character.
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ')
    } else {
        in_table(SPACE, c)
    }
}

/// Python `str.isspace` for a string (false when empty).
pub fn is_space_str(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_space)
}

/// Python `str.strip()` with no argument.
#[inline]
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python `len(str)`: code points.
#[inline]
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}
