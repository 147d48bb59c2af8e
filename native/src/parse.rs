//! kg/pubtator.py's parse_pubtator over one chunk of bytes that starts at a document
//! boundary (file start, or just after a blank line). The line layout is read here; what
//! a column means is asked of Python (`rules.rs`), once per distinct value.

use crate::rules::Rules;
use crate::state::{Ann, Doc, Opts, Rel, RelationReport, State, Unresolved};
use crate::uni::{is_space_str, strip};

#[derive(Default, Clone, Copy, Debug)]
pub struct Counts {
    pub lines: i64,
    pub blank: i64,
    pub comment: i64,
    pub text: i64,
    pub annotations: i64,
    pub relations: i64,
    pub rejected: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.blank += o.blank;
        self.comment += o.comment;
        self.text += o.text;
        self.annotations += o.annotations;
        self.relations += o.relations;
        self.rejected += o.rejected;
    }
    pub fn sub(&mut self, o: &Counts) {
        self.lines -= o.lines;
        self.blank -= o.blank;
        self.comment -= o.comment;
        self.text -= o.text;
        self.annotations -= o.annotations;
        self.relations -= o.relations;
        self.rejected -= o.rejected;
    }
}

#[derive(Clone, Debug)]
pub enum Reason {
    Text(String),
    /// `non-numeric end offset {raw!r}`: repr is made in Python
    NonNumericEnd(String),
    /// `annotation with a non-numeric start offset {raw!r}`
    NonNumericStart(String),
}

#[derive(Clone, Debug)]
pub struct Rej {
    pub file: usize,
    pub lineno: u64,
    pub reason: Reason,
    pub text: String,
}

/// What stops a chunk (strict mode): the first rejected line or unresolved relation.
#[derive(Clone, Debug)]
pub enum Fatal {
    Parse(Rej),
    Unresolved(Box<Unresolved>),
}

#[derive(Clone, Debug)]
pub enum IoWhy {
    Msg(String),
    /// File could not be opened: the message is made by Python's own `open`
    Open(String),
}

#[derive(Default)]
pub struct ChunkOut {
    pub synced: Counts,
    pub pending: Counts,
    pub yielded: bool,
    pub docs: u64,
    pub rejected: Vec<Rej>,
    pub relations: RelationReport,
    pub fatal: Option<Fatal>,
    /// PMIDs of the chunk's first and last documents: a first document with the PMID of
    /// the file's document before (in an earlier chunk) continues it (see lib.rs)
    pub first_pmid: Option<String>,
    pub last_pmid: Option<String>,
    /// (PMID, title) of the first document (articles kept), added once that is known
    pub first_title: Option<(Box<str>, Box<str>)>,
}

/// Python's UnicodeDecodeError reason and start for invalid UTF-8.
fn decode_error(raw: &[u8], e: &std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let reason = match e.error_len() {
        None => "unexpected end of data",
        Some(_) => {
            let b = raw[at];
            if (0x80..=0xC1).contains(&b) || b >= 0xF5 {
                "invalid start byte"
            } else {
                "invalid continuation byte"
            }
        }
    };
    format!("undecodable bytes ({reason} at byte {at})")
}

fn rstrip_crlf(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

/// PMIDs and offsets are ASCII `[0-9]+` (`kg.normalize.is_ascii_digits`).
fn is_ascii_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `int(s)` of ASCII digits without leading zeros, or None where `int()` refuses it
/// (more digits than `sys.get_int_max_str_digits()`).
fn py_int(s: &str, limit: usize) -> Option<&str> {
    if limit > 0 && s.len() > limit {
        return None;
    }
    let t = s.trim_start_matches('0');
    Some(if t.is_empty() { "0" } else { t })
}

fn int_lt(a: &str, b: &str) -> bool {
    (a.len(), a) < (b.len(), b)
}

fn to_i64(s: &str) -> i64 {
    if s.len() > 18 {
        i64::MAX
    } else {
        s.parse().unwrap_or(i64::MAX)
    }
}

pub struct Ctx<'t> {
    pub r: &'t Rules,
    pub o: &'t Opts,
    pub file: usize,
}

/// Parse `buf` (lines first_lineno..) into `st`. `truncated`: the stream broke after
/// `buf`: the last line without its line end is not read, and the open document is lost
/// (the Python reader is interrupted by the exception).
pub fn parse_chunk(cx: &Ctx, st: &mut State, buf: &[u8], first_lineno: u64, truncated: bool, out: &mut ChunkOut) {
    if let Err(f) = parse_inner(cx, st, buf, first_lineno, truncated, out) {
        out.fatal = Some(f);
    }
}

fn parse_inner<'a>(cx: &Ctx, st: &mut State, buf: &'a [u8], first_lineno: u64, truncated: bool,
                   out: &mut ChunkOut) -> Result<(), Fatal> {
    let strict = cx.o.strict;
    let file = cx.file;
    let mut c = Counts::default(); // pending, as the Python locals
    let mut doc: Option<Doc<'a>> = None;
    // documents read, not yet added: added a few hundred at a time, so that the rules are
    // asked about their distinct annotations in one call (one GIL acquisition)
    let mut ready: Vec<(Doc<'a>, bool)> = Vec::new();
    let mut spare: Vec<(Vec<Ann<'a>>, Vec<Rel<'a>>)> = Vec::new(); // emptied documents' lists, reused
    macro_rules! flush {
        () => {{
            if let Err(u) = st.add_docs(cx.r, cx.o, &ready, file, &mut out.relations) {
                return Err(Fatal::Unresolved(u));
            }
            for (Doc { mut anns, mut rels, .. }, _) in ready.drain(..) {
                anns.clear();
                rels.clear();
                spare.push((anns, rels));
            }
        }};
    }
    macro_rules! new_doc {
        ($pmid:expr) => {{
            let mut d = Doc::new($pmid);
            if let Some((anns, rels)) = spare.pop() {
                (d.anns, d.rels) = (anns, rels);
            }
            d
        }};
    }
    let mut lineno = first_lineno - 1;
    let mut pos = 0usize;
    let n_buf = buf.len();

    macro_rules! reject {
        ($reason:expr, $text:expr) => {{
            c.rejected += 1;
            let r = Rej { file, lineno, reason: $reason, text: $text.to_string() };
            if strict {
                flush!(); // the documents before come first (an unresolved relation there)
                return Err(Fatal::Parse(r));
            }
            out.rejected.push(r);
            continue;
        }};
    }
    // PMID of the chunk's last document so far: consecutive blocks of one PMID are one
    // article (GraphBuilder.add: counted once, titled by the first block)
    let mut prev: Option<&'a str> = None;
    macro_rules! emit {
        ($d:expr) => {{
            let d = $d;
            out.yielded = true;
            out.synced.add(&c);
            c = Counts::default();
            let continued = prev == Some(d.pmid);
            if cx.o.articles && !continued {
                let t = (d.pmid.into(), d.title.unwrap_or("").into());
                if prev.is_none() {
                    out.first_title = Some(t);
                } else {
                    st.titles.push(t);
                }
            }
            if prev.is_none() {
                out.first_pmid = Some(d.pmid.to_string());
            }
            prev = Some(d.pmid);
            if !continued && ready.len() >= 256 {
                flush!(); // (an article's blocks are added together)
            }
            ready.push((d, continued));
            out.docs += 1;
        }};
    }

    while pos < n_buf {
        let (raw, next) = match memchr::memchr(b'\n', &buf[pos..]) {
            Some(i) => (&buf[pos..pos + i], pos + i + 1),
            None => {
                if truncated {
                    break;
                }
                (&buf[pos..], n_buf)
            }
        };
        pos = next;
        lineno += 1;
        c.lines += 1;
        let line: &'a str = match std::str::from_utf8(raw) {
            Ok(s) => s,
            Err(e) => {
                let why = decode_error(raw, &e);
                let text = String::from_utf8_lossy(raw);
                reject!(Reason::Text(why), rstrip_crlf(&text));
            }
        };
        let mut line = rstrip_crlf(line);
        if line.starts_with('\u{feff}') {
            line = line.trim_start_matches('\u{feff}');
        }
        if line.is_empty() || (line.as_bytes()[0] != b'#' && !line.as_bytes()[0].is_ascii_alphanumeric() && is_space_str(line)) {
            c.blank += 1;
            if let Some(d) = doc.take() {
                emit!(d);
            }
            continue;
        }
        let lb = line.as_bytes();
        if lb[0] == b'#' {
            c.comment += 1;
            continue;
        }
        // Title / abstract
        if let Some(bar) = memchr::memchr(b'|', lb) {
            if bar > 0
                && lb.len() >= bar + 3
                && lb[bar + 2] == b'|'
                && (lb[bar + 1] == b't' || lb[bar + 1] == b'a')
                && memchr::memchr(b'\t', &lb[..bar]).is_none()
            {
                let pmid = strip(&line[..bar]);
                if pmid.is_empty() {
                    reject!(Reason::Text("title or abstract line without a PMID".to_string()), line);
                }
                let is_t = lb[bar + 1] == b't';
                let mut text = &line[bar + 3..];
                if lb[bar - 1] == b' ' && text.starts_with(' ') {
                    text = &text[1..]; // `PMID |t| title`: spaced separators
                }
                if let Some(d) = doc.as_ref() {
                    let has = if is_t { d.title.is_some() } else { d.abstract_.is_some() };
                    if pmid != d.pmid || has {
                        let d = doc.take().unwrap();
                        emit!(d);
                    }
                }
                let d = { if doc.is_none() { doc = Some(new_doc!(pmid)); } doc.as_mut().unwrap() };
                if is_t {
                    d.title = Some(text);
                } else {
                    d.abstract_ = Some(text);
                }
                c.text += 1;
                continue;
            }
        }
        let mut cols: [&'a str; 8] = [""; 8];
        let mut n = 0usize;
        {
            let mut from = 0usize;
            for i in memchr::memchr_iter(b'\t', lb) {
                if n < 8 {
                    cols[n] = &line[from..i];
                }
                n += 1;
                from = i + 1;
            }
            if n < 8 {
                cols[n] = &line[from..];
            }
            n += 1;
        }
        let pmid = strip(cols[0]);
        if n < 3 || pmid.is_empty() || pmid.contains(' ') {
            reject!(Reason::Text(format!("not a PubTator line ({n} tab-separated columns)")), line);
        }
        if let Some(d) = doc.as_ref() {
            if pmid != d.pmid {
                if d.title.is_some() || d.abstract_.is_some() {
                    let why = format!("PMID {pmid} inside the block of document {}", d.pmid);
                    reject!(Reason::Text(why), line);
                }
                c.lines -= 1;
                let d = doc.take().unwrap();
                emit!(d);
                c.lines = 1;
            }
        }
        let d = { if doc.is_none() { doc = Some(new_doc!(pmid)); } doc.as_mut().unwrap() };
        let mut second = strip(cols[1]);
        if is_ascii_digits(second) {
            if n < 5 {
                reject!(Reason::Text(format!("annotation with {n} columns, needs at least 5")), line);
            }
            let end_s = strip(cols[2]);
            if !is_ascii_digits(end_s) {
                reject!(Reason::NonNumericEnd(cols[2].to_string()), line);
            }
            let (start, end): (i64, i64) = if second.len() <= 18 && end_s.len() <= 18 {
                let a: i64 = second.parse().unwrap_or(i64::MAX);
                let b: i64 = end_s.parse().unwrap_or(i64::MAX);
                if b < a {
                    reject!(Reason::Text(format!("end offset {b} before start {a}")), line);
                }
                (a, b)
            } else {
                let limit = cx.r.int_max_digits;
                let (start, end) = match (py_int(second, limit), py_int(end_s, limit)) {
                    (Some(a), Some(b)) => (a, b),
                    _ => reject!(Reason::Text("offset is not a usable number".to_string()), line),
                };
                if int_lt(end, start) {
                    reject!(Reason::Text(format!("end offset {end} before start {start}")), line);
                }
                (to_i64(start), to_i64(end))
            };
            if let Some(problem) = st.type_problem(cx.r, cols[4]) {
                reject!(Reason::Text(problem.to_string()), line);
            }
            d.anns.push(Ann {
                start,
                end,
                text: cols[3],
                typ: strip(cols[4]),
                ident: if n > 5 { strip(cols[5]) } else { "" },
                parts: if n > 6 { strip(cols[6]) } else { "" },
            });
            c.annotations += 1;
            continue;
        }
        if is_ascii_digits(second.trim_start_matches('-')) {
            reject!(Reason::Text(format!("negative offset {second}")), line);
        }
        if !second.is_ascii() {
            if let Some(problem) = st.offset_problem(cx.r, second) {
                reject!(Reason::Text(problem.to_string()), line); // `²`: a digit, not an ASCII one
            }
        }
        // a relation line with a space for a tab (`PMID\tAssociation Osteoporosis\tMAPK1`), only
        // when the first word is a known relation type (`Translation 7488T/C` is not)
        if n == 3 && second.find(' ').is_some_and(|sp| st.relation(cx.r, &second[..sp]).known) {
            let sp = second.find(' ').unwrap();
            let (rel_type, first_id) = (&second[..sp], &second[sp + 1..]);
            let last = cols[2];
            cols[0] = pmid;
            cols[1] = rel_type;
            cols[2] = first_id;
            cols[3] = last;
            second = rel_type;
            n = 4;
        }
        if n <= 5 && cx.r.doc_level.contains(second) {
            d.anns.push(Ann {
                start: -1,
                end: -1,
                text: if n > 3 { cols[3] } else { "" },
                typ: second,
                ident: strip(cols[2]),
                parts: "",
            });
            c.annotations += 1;
            continue;
        }
        if n < 4 {
            reject!(Reason::Text(format!("relation with {n} columns, needs 4")), line);
        }
        if n > 5 {
            // a relation has at most 5 columns: an annotation whose start offset is no number
            reject!(Reason::NonNumericStart(cols[1].to_string()), line);
        }
        if second.is_empty() {
            reject!(Reason::Text("relation with an empty type".to_string()), line);
        }
        d.rels.push(Rel {
            pmid,
            typ: second,
            id1: strip(cols[2]),
            id2: strip(cols[3]),
            note: if n > 4 { strip(cols[4]) } else { "" },
            lineno,
        });
        c.relations += 1;
    }
    if !truncated {
        if let Some(d) = doc.take() {
            emit!(d); // final sync() then the last document
        }
    } // else: the open document is lost; its counts too, unless an earlier sync covers them (settled per file)
    flush!();
    out.pending = c;
    out.last_pmid = prev.map(str::to_string);
    Ok(())
}
