//! Port of kg/normalize.py's logic. The tables come from Python at call time.

use crate::uni::{is_digit, is_digit_str, lower, strip};
use rustc_hash::{FxHashMap, FxHashSet};

pub struct Tables {
    pub entity_types: FxHashMap<String, String>,
    pub types_folded: FxHashMap<String, String>,
    pub no_id: FxHashSet<String>,
    /// lower-cased source spelling (and name) -> relation name
    pub rel_sources: FxHashMap<String, String>,
    /// relation name -> directed
    pub rel_directed: FxHashMap<String, bool>,
    pub prefixes: FxHashMap<String, String>,
    pub doc_level: FxHashSet<String>,
    pub int_max_digits: usize,
}

const COMPOSITE: [char; 4] = ['|', ';', ',', '+'];

impl Tables {
    /// `canonical_type`
    pub fn canonical_type<'a>(&'a self, raw: &'a str) -> &'a str {
        if let Some(t) = self.entity_types.get(raw) {
            return t;
        }
        match self.types_folded.get(lower(raw).as_ref()) {
            Some(t) => t,
            None => raw,
        }
    }

    /// `_curie`; "" stands for None (both are falsy wherever the result is used).
    pub fn curie(&self, raw: &str, etype: &str) -> String {
        let mut ident = strip(raw);
        if self.no_id.contains(ident) {
            return String::new();
        }
        if let Some(paren) = ident.find('(') {
            if paren > 0 {
                ident = strip(&ident[..paren]);
            }
        }
        if is_digit_str(ident) {
            if etype == "Gene" {
                return format!("NCBIGene:{ident}");
            }
            if etype == "Species" {
                return format!("NCBITaxon:{ident}");
            }
            return ident.to_string();
        }
        if let Some(colon) = ident.find(':') {
            let prefix = &ident[..colon];
            let local = strip(&ident[colon + 1..]);
            if local.is_empty() {
                return String::new();
            }
            let p = strip(prefix);
            let low = lower(p);
            if low == "cvcl" || low == "cellosaurus" {
                return format!("CVCL_{}", local.strip_prefix("CVCL_").unwrap_or(local));
            }
            return match self.prefixes.get(low.as_ref()) {
                Some(mapped) => format!("{mapped}:{local}"),
                None => format!("{p}:{local}"),
            };
        }
        if is_mesh(ident) {
            let mut out = String::with_capacity(ident.len() + 5);
            out.push_str("MESH:");
            out.push_str(&ident.to_uppercase());
            return out;
        }
        ident.to_string()
    }

    /// `_variant_parts`: ordered (key, value), first one of a key wins.
    pub fn variant_parts<'a>(&self, raw: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut parts: Vec<(&str, &str)> = Vec::new();
        fn setdefault<'a>(parts: &mut Vec<(&'a str, &'a str)>, k: &'a str, v: &'a str) {
            if !parts.iter().any(|(key, _)| *key == k) {
                parts.push((k, v));
            }
        }
        for piece in strip(raw).split(';') {
            let piece = strip(piece);
            if piece.is_empty() || self.no_id.contains(piece) {
                continue;
            }
            let (key, colon, value) = match piece.find(':') {
                Some(i) => (&piece[..i], true, &piece[i + 1..]),
                None => (piece, false, ""),
            };
            if colon
                && !key.contains('|')
                && !key.is_empty()
                && !is_digit(key.chars().next().unwrap())
                && !matches!(key, "c" | "p" | "g" | "m" | "n" | "r")
            {
                setdefault(&mut parts, key, strip(value));
                continue;
            }
            // piece[:2].lower() == "rs" and piece[2:].isdigit()
            let mut it = piece.char_indices();
            let two_end = match (it.next(), it.next()) {
                (Some(_), Some((i, c))) => i + c.len_utf8(),
                _ => piece.len(),
            };
            if lower(&piece[..two_end]) == "rs" && is_digit_str(&piece[two_end..]) {
                setdefault(&mut parts, "RS#", &piece[two_end..]);
            } else if piece.contains('|') {
                setdefault(&mut parts, "tmVar", piece);
            } else if is_hgvs(piece) {
                setdefault(&mut parts, "HGVS", piece);
            } else {
                setdefault(&mut parts, "other", piece);
            }
        }
        parts
    }

    pub fn variant_id(&self, raw: &str) -> Option<String> {
        let parts = self.variant_parts(raw);
        let get = |k: &str| parts.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let rs = get("RS#").unwrap_or("");
        let rs = rs.strip_prefix("rs").unwrap_or(rs);
        if !rs.is_empty() {
            return Some(format!("dbSNP:rs{rs}"));
        }
        let suffix = match get("CorrespondingGene") {
            Some(g) if !g.is_empty() => format!(";CorrespondingGene:{g}"),
            _ => String::new(),
        };
        if let Some(t) = get("tmVar") {
            if !t.is_empty() {
                return Some(format!("tmVar:{t}{suffix}"));
            }
        }
        if let Some(h) = get("HGVS") {
            if !h.is_empty() {
                return Some(format!("HGVS:{h}{suffix}"));
            }
        }
        get("other").map(|s| s.to_string())
    }

    pub fn variant_aliases(&self, raw: &str) -> Vec<String> {
        let parts = self.variant_parts(raw);
        let get = |k: &str| parts.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let mut out = Vec::new();
        if let Some(t) = get("tmVar") {
            out.push(format!("tmVar:{t}"));
            out.push(t.to_string());
        }
        if let Some(h) = get("HGVS") {
            out.push(format!("HGVS:{h}"));
            out.push(h.to_string());
        }
        if let Some(r) = get("RS#") {
            out.push(format!("RS#:{r}"));
            out.push(format!("rs{r}"));
        }
        out
    }

    /// `entity_ids`
    pub fn entity_ids(&self, raw: &str, etype: &str) -> Vec<String> {
        let ident = strip(raw);
        if self.no_id.contains(ident) {
            return Vec::new();
        }
        if etype == "Variant" {
            return self.variant_id(ident).filter(|v| !v.is_empty()).into_iter().collect();
        }
        if !ident.contains(COMPOSITE) {
            let c = self.curie(ident, etype);
            return if c.is_empty() { Vec::new() } else { vec![c] };
        }
        let mut out: Vec<String> = Vec::new();
        for piece in ident.split(COMPOSITE) {
            let c = self.curie(piece, etype);
            if !c.is_empty() && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// `canonical_relation` -> (key, known)
    pub fn canonical_relation(&self, raw: &str) -> (String, bool) {
        if let Some(name) = self.rel_sources.get(lower(raw).as_ref()) {
            return (name.clone(), true);
        }
        (safe_name(raw), false)
    }

    pub fn relation_directed(&self, name: &str) -> bool {
        self.rel_directed.get(name).copied().unwrap_or(true)
    }
}

/// `piece[1:2] == "." and piece[0] in "cgmnpr"`
fn is_hgvs(piece: &str) -> bool {
    let mut cs = piece.chars();
    matches!(cs.next(), Some('c' | 'g' | 'm' | 'n' | 'p' | 'r')) && cs.next() == Some('.')
}

pub fn split_composite(s: &str) -> std::str::Split<'_, [char; 4]> {
    s.split(COMPOSITE)
}

/// `[CDcd]\d{6,9}` full match (`\d`: Unicode decimal digits, as Python's re).
fn is_mesh(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some('C' | 'D' | 'c' | 'd') => {}
        _ => return false,
    }
    let mut n = 0;
    for c in cs {
        if crate::uni::decimal_value(c).is_none() {
            return false;
        }
        n += 1;
    }
    (6..=9).contains(&n)
}

/// `safe_name`
pub fn safe_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    let name = out.trim_matches('_');
    if name.is_empty() {
        return "Unknown".to_string();
    }
    if name.as_bytes()[0].is_ascii_alphabetic() {
        name.to_string()
    } else {
        format!("T_{name}")
    }
}
