//! kg/builder.py's GraphBuilder.add (with _DocIndex, _typed_entity, _add_relation, _edge):
//! the builder's bookkeeping in Rust, every rule from Python (`rules.rs`), once per
//! distinct value.

use crate::rules::{RefLookup, Rules};
use crate::uni::{char_len, strip};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// FxHash of a string (the hash the interner and the titles table use).
#[inline]
pub fn hash_str(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// Strings numbered in order of first sight, each stored once (the table holds numbers).
#[derive(Default, Clone)]
pub struct Interner {
    table: hashbrown::HashTable<u32>,
    pub strs: Vec<Box<str>>,
}

impl Interner {
    #[inline]
    pub fn get(&mut self, s: &str) -> u32 {
        let hash = hash_str(s);
        let strs = &self.strs;
        if let Some(&i) = self.table.find(hash, |&i| &*strs[i as usize] == s) {
            return i;
        }
        let i = self.strs.len() as u32;
        self.strs.push(s.into());
        let strs = &self.strs;
        self.table.insert_unique(hash, i, |&j| hash_str(&strs[j as usize]));
        i
    }
    #[inline]
    pub fn s(&self, i: u32) -> &str {
        &self.strs[i as usize]
    }
}

#[derive(Default)]
pub struct Node {
    pub id: Box<str>,
    pub exists: bool,
    pub types: Vec<(u32, u64)>,
    pub forms: FxHashMap<Box<str>, [u64; 2]>,
    pub mentions: u64,
    /// PMID numbers (State::pmids); repeats of one document are skipped here, the rest by
    /// `sort_dedup` at the end: a Vec takes 4 bytes a PMID where a set takes 8-11.
    pub pmids: Vec<u32>,
    /// other identifiers of the entity (State::syms)
    pub xrefs: Vec<u32>,
    /// (short, long) forms the texts pair as abbreviation and long form (State::syms)
    pub pairs: Vec<(u32, u32)>,
}

#[inline]
fn push_new(v: &mut Vec<u32>, p: u32) {
    if v.last() != Some(&p) {
        v.push(p);
    }
}

/// Sort and drop repeats (of a PMID list), releasing spare capacity.
pub fn sort_dedup(v: &mut Vec<u32>) {
    v.sort_unstable();
    v.dedup();
    v.shrink_to_fit();
}

impl Node {
    #[inline]
    fn add_type(&mut self, t: u32, n: u64) {
        for e in self.types.iter_mut() {
            if e.0 == t {
                e.1 += n;
                return;
            }
        }
        self.types.push((t, n));
    }
    /// The annotation or typed id names this node in document `pmid`.
    #[inline]
    fn seen(&mut self, pmid: u32, xrefs: &[u32]) {
        self.exists = true;
        push_new(&mut self.pmids, pmid);
        union(&mut self.xrefs, xrefs);
    }
    #[inline]
    fn add_form(&mut self, form: &str, counted: bool, in_title: bool) {
        self.mentions += 1;
        let form = strip(form);
        if form.is_empty() || !counted {
            return;
        }
        let outside = if in_title { 0 } else { 1 };
        match self.forms.get_mut(form) {
            Some(c) => {
                c[0] += 1;
                c[1] += outside;
            }
            None => {
                self.forms.insert(form.into(), [1, outside]);
            }
        }
    }
}

#[derive(Default)]
pub struct Edge {
    pub pmids: Vec<u32>,
    pub source_types: Vec<u32>,
    pub novel: Option<Vec<u32>>,
    pub count: u64,
    /// the highest confidence score given (BC5CDR prediction files)
    pub score: Option<f64>,
}

/// Python's `max(old, new)` of two scores (the first unless the second is greater).
#[inline]
pub fn max_score(old: Option<f64>, new: f64) -> f64 {
    match old {
        Some(o) if new.partial_cmp(&o) != Some(std::cmp::Ordering::Greater) => o,
        _ => new,
    }
}

pub struct Ann<'a> {
    /// -1: document-level; large offsets saturate
    pub start: i64,
    pub end: i64,
    pub text: &'a str,
    pub typ: &'a str,
    pub ident: &'a str,
    pub parts: &'a str,
}

pub struct Rel<'a> {
    pub pmid: &'a str,
    pub typ: &'a str,
    pub id1: &'a str,
    pub id2: &'a str,
    pub note: &'a str,
    pub lineno: u64,
}

pub struct Doc<'a> {
    pub pmid: &'a str,
    pub title: Option<&'a str>,
    pub abstract_: Option<&'a str>,
    pub anns: Vec<Ann<'a>>,
    pub rels: Vec<Rel<'a>>,
}

impl<'a> Doc<'a> {
    pub fn new(pmid: &'a str) -> Self {
        Doc { pmid, title: None, abstract_: None, anns: Vec::new(), rels: Vec::new() }
    }
}

/// A relation line, for the report.
#[derive(Clone, Debug)]
pub struct RelationLine {
    pub file: usize,
    pub lineno: u64,
    pub pmid: String,
    pub typ: String,
    pub id1: String,
    pub id2: String,
}

impl RelationLine {
    fn of(rel: &Rel, file: usize) -> RelationLine {
        RelationLine {
            file,
            lineno: rel.lineno,
            pmid: rel.pmid.to_string(),
            typ: rel.typ.to_string(),
            id1: rel.id1.to_string(),
            id2: rel.id2.to_string(),
        }
    }
}

/// A relation whose ids match no annotation of its document (`miss1`/`miss2`: which).
#[derive(Clone, Debug)]
pub struct Unresolved {
    pub rel: RelationLine,
    pub miss1: bool,
    pub miss2: bool,
    pub doc_pmid: String,
}

/// A relation whose two sides are one entity (no self-loop is made).
#[derive(Clone, Debug)]
pub struct SelfRelation {
    pub rel: RelationLine,
    pub reason: String,
}

/// What a chunk's relations leave for the report, in line order.
#[derive(Default)]
pub struct RelationReport {
    pub unresolved: Vec<Unresolved>,
    pub self_relations: Vec<SelfRelation>,
}

/// A node id of a resolved annotation: a node, or an id completed per document.
enum Nid {
    Node(u32),
    Scoped(Box<str>),
}

/// Alias keys of an annotation's entities, each with the entities it names.
type Aliases = Box<[(Box<str>, Box<[Nid]>)]>;
/// The edges `(u, v)` a relation line makes.
type Pairs = Arc<[(u32, u32)]>;
/// A relation line's two sides (nodes) and whether its type is directed.
type Sides = (Box<[u32]>, Box<[u32]>, bool);

/// `resolve_annotation`'s answer with its strings made numbers of this state.
struct Res {
    etype: u32,
    ids: Box<[Nid]>,
    /// the nodes of `ids` when none is scoped to its document (the usual case)
    fixed: Option<Box<[u32]>>,
    pieces: Box<[Option<Nid>]>,
    pieces_without_id: u64,
    xrefs: Box<[Box<[u32]>]>,
    aliases: Aliases,
    unusable: bool,
}

/// (gap, previous form, form) of two consecutive mentions of one entity.
type AbbrevKey = (Box<str>, Box<str>, Box<str>);

/// An annotation's (type, identifier, extra column) as written.
type Key<'k> = (&'k str, &'k str, &'k str);

struct ResEntry {
    hash: u64,
    key: (Box<str>, Box<str>, Box<str>),
    res: Arc<Res>,
}

#[derive(Clone, Copy)]
pub struct RelInfo {
    pub key: u32,
    pub known: bool,
    pub directed: bool,
    pub raw: u32,
}

type Note = Option<(bool, Option<f64>)>;

#[derive(Default)]
pub struct State {
    pub syms: Interner,
    /// document ids (kept apart from `syms`, so that they can be ranked on their own)
    pub pmids: Interner,
    pub node_ix: FxHashMap<Box<str>, u32>,
    pub nodes: Vec<Node>,
    pub edges: FxHashMap<(u32, u32, u32), Edge>,
    /// (PMID, title) of the articles read since the driver last took them: titles go to
    /// Python chunk by chunk, so that they are never all held twice.
    pub titles: Vec<(Box<str>, Box<str>)>,
    /// caches of the Python rules' answers, per distinct value
    resolved: hashbrown::HashTable<ResEntry>,
    relations: FxHashMap<Box<str>, RelInfo>,
    notes: FxHashMap<Box<str>, (bool, Option<f64>)>,
    refs: FxHashMap<Box<str>, Arc<RefLookup>>,
    pairs1: FxHashMap<(u32, u32, bool), Pairs>,
    pairs: FxHashMap<Sides, Pairs>,
    type_problems: FxHashMap<Box<str>, Option<Box<str>>>,
    offset_problems: FxHashMap<Box<str>, Option<Box<str>>>,
    lowered: FxHashMap<Box<str>, Box<str>>,
    abbreviations: FxHashMap<AbbrevKey, Option<(u32, u32)>>,
    text: DocText,
    /// whether the resolve cache has stopped missing often (see prefetch)
    warm: bool,
    /// the entities of the article being read, so far (co-mentions)
    article_ids: rustc_hash::FxHashSet<u32>,
    pub documents: u64,
    pub annotations_in_graph: u64,
    pub relations_in_graph: u64,
    pub mention_mismatches: u64,
    pub mentions_without_id: FxHashMap<Box<str>, u64>,
    pub ids_not_of_type: FxHashMap<Box<str>, u64>,
    pub pieces_without_id: FxHashMap<Box<str>, u64>,
    pub unknown_relation_types: FxHashMap<Box<str>, u64>,
}

pub struct Opts {
    pub strict: bool,
    pub co_mentions: bool,
    pub articles: bool,
}

#[derive(Default)]
#[allow(clippy::type_complexity)]
struct DocIndex<'a> {
    raw: FxHashMap<&'a str, Vec<u32>>,
    /// (resolved, mention text, its nodes if scoped) of each annotation with an id
    annotations: Vec<(Arc<Res>, &'a str, Option<Box<[u32]>>)>,
    aliases: Option<FxHashMap<Box<str>, Vec<u32>>>,
    by_text: Option<FxHashMap<Box<str>, Vec<u32>>>,
}

#[inline]
fn union(dst: &mut Vec<u32>, src: &[u32]) {
    for &x in src {
        if !dst.contains(&x) {
            dst.push(x);
        }
    }
}

/// String equality without a libc call for short strings (the hot lookups compare ids and
/// types of a few bytes, millions of times).
#[inline]
fn short_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && (a.len() > 32 || a.iter().zip(b).all(|(x, y)| x == y)) && (a.len() <= 32 || a == b)
}

/// Slice equality, inlined (mostly one or two node numbers).
#[inline]
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn union_pair(dst: &mut Vec<(u32, u32)>, p: (u32, u32)) {
    if !dst.contains(&p) {
        dst.push(p);
    }
}

fn bump(counter: &mut FxHashMap<Box<str>, u64>, key: &str, n: u64) {
    match counter.get_mut(key) {
        Some(c) => *c += n,
        None => {
            counter.insert(key.into(), n);
        }
    }
}

/// A UTF-8 continuation byte (not the first byte of a character).
#[inline]
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// A document's text (title, a space, abstract: `GraphBuilder.add`'s), to check mentions
/// against their offsets (in characters). The buffer is reused from document to document.
#[derive(Default)]
struct DocText {
    text: String,
    present: bool,
    /// length in characters (= bytes when ASCII)
    chars: usize,
    ascii: bool,
    /// (characters, bytes) of the last position looked up: annotations mostly come in
    /// offset order, so a non-ASCII text is scanned about once
    cursor: (usize, usize),
}

impl DocText {
    fn set(&mut self, title: Option<&str>, abstract_: Option<&str>) {
        self.text.clear();
        self.present = title.is_some() || abstract_.is_some();
        if !self.present {
            return;
        }
        self.text.push_str(title.unwrap_or(""));
        self.text.push(' ');
        self.text.push_str(abstract_.unwrap_or(""));
        self.ascii = self.text.is_ascii();
        self.chars = if self.ascii { self.text.len() } else { self.text.bytes().filter(|&b| !is_continuation(b)).count() };
        self.cursor = (0, 0);
    }

    /// Byte offset of character `c` (c <= self.chars).
    fn byte(&mut self, c: usize) -> usize {
        if self.ascii {
            return c;
        }
        let (mut n, mut b) = self.cursor;
        let bytes = self.text.as_bytes();
        while n > c {
            // back, one character at a time (a mention before the last one looked up)
            b -= 1;
            while is_continuation(bytes[b]) {
                b -= 1;
            }
            n -= 1;
        }
        while b < bytes.len() {
            if !is_continuation(bytes[b]) {
                if n == c {
                    break;
                }
                n += 1;
            }
            b += 1;
        }
        self.cursor = (n, b);
        b
    }

    /// Python's `text[a:b]` (characters; out of range: clipped, or empty).
    fn slice(&mut self, a: i64, b: i64) -> &str {
        let (a, b) = (a.clamp(0, self.chars as i64) as usize, b.clamp(0, self.chars as i64) as usize);
        if !self.present || a >= b {
            return "";
        }
        let (x, y) = (self.byte(a), self.byte(b));
        &self.text[x..y]
    }

    /// False when the text at [start, end) is there and is not `mention`.
    fn agrees(&mut self, start: i64, end: i64, mention: &str) -> bool {
        if !(self.present && 0 <= start && start < end && end <= self.chars as i64) {
            return true;
        }
        let a = self.byte(start as usize);
        let b = self.byte(end as usize);
        &self.text[a..b] == mention
    }
}

impl State {
    pub fn node(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.node_ix.get(id) {
            return i;
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(Node { id: id.into(), ..Default::default() });
        self.node_ix.insert(id.into(), i);
        i
    }

    /// The cached answer of `resolve_annotation(key)`, and the key's hash.
    fn cached(&self, key: Key) -> (u64, Option<Arc<Res>>) {
        use std::hash::BuildHasher;
        let hash = rustc_hash::FxBuildHasher.hash_one(key);
        let eq = |e: &ResEntry| short_eq(&e.key.1, key.1) && short_eq(&e.key.0, key.0) && short_eq(&e.key.2, key.2);
        (hash, self.resolved.find(hash, eq).map(|e| e.res.clone()))
    }

    /// `resolve_annotation(raw_type, raw_id, extra)`, once per distinct triple.
    fn resolve(&mut self, r: &Rules, raw_type: &str, raw_id: &str, extra: &str) -> Arc<Res> {
        let key = (raw_type, raw_id, extra);
        match self.cached(key) {
            (_, Some(res)) => res,
            (hash, None) => {
                self.warm = false;
                let py = r.resolve_annotation(raw_type, raw_id, extra);
                self.store(r, hash, key, &py)
            }
        }
    }

    /// Ask Python at once about the distinct annotations of `docs` not seen before (while
    /// the cache is cold: once a batch finds almost nothing new, misses are asked one by one
    /// until one comes again).
    fn prefetch(&mut self, r: &Rules, docs: &[(Doc, bool)]) {
        if self.warm {
            return;
        }
        let mut want: Vec<(u64, Key)> = Vec::new();
        let mut asked: rustc_hash::FxHashSet<Key> = Default::default();
        for (doc, _) in docs {
            for ann in &doc.anns {
                let key = (ann.typ, ann.ident, ann.parts);
                if let (hash, None) = self.cached(key) {
                    if asked.insert(key) {
                        want.push((hash, key));
                    }
                }
            }
        }
        self.warm = want.len() < 8;
        if want.is_empty() {
            return;
        }
        let keys: Vec<Key> = want.iter().map(|&(_, k)| k).collect();
        for ((hash, key), py) in want.into_iter().zip(r.resolve_annotations(&keys)) {
            self.store(r, hash, key, &py);
        }
    }

    /// `add` each document, after one call to Python for the annotations it has not seen.
    /// (`continued`: the document is a further block of the article before; the blocks of
    /// one article come in one call.)
    pub fn add_docs(&mut self, r: &Rules, o: &Opts, docs: &[(Doc, bool)], file: usize,
                    out: &mut RelationReport) -> Result<(), Box<Unresolved>> {
        self.prefetch(r, docs);
        let mut article = 0;
        for (i, (doc, continued)) in docs.iter().enumerate() {
            if !continued {
                article = i;
            }
            self.add(r, o, doc, *continued, &docs[article..i], file, out)?;
        }
        Ok(())
    }

    /// Keep Python's answer about `key`, its strings made numbers of this state.
    fn store(&mut self, r: &Rules, hash: u64, key: Key, py: &crate::rules::Resolved) -> Arc<Res> {
        let nid = |st: &mut State, id: &str| {
            if id.ends_with(&*r.doc_scope) {
                Nid::Scoped(id.into())
            } else {
                Nid::Node(st.node(id))
            }
        };
        let ids: Box<[Nid]> = py.ids.iter().map(|i| nid(self, i)).collect();
        let pieces: Box<[Option<Nid>]> = py.pieces.iter().map(|p| p.as_deref().map(|i| nid(self, i))).collect();
        let xrefs = py.xrefs.iter().map(|x| x.iter().map(|s| self.syms.get(s)).collect()).collect();
        let aliases = py.aliases.iter().map(|(k, ids)| (k.as_str().into(), ids.iter().map(|i| nid(self, i)).collect())).collect();
        let fixed = ids.iter().map(|n| if let Nid::Node(i) = n { Some(*i) } else { None }).collect();
        let res = Arc::new(Res {
            etype: self.syms.get(&py.etype),
            fixed,
            pieces_without_id: pieces.iter().filter(|p| p.is_none()).count() as u64,
            ids,
            pieces,
            xrefs,
            aliases,
            unusable: py.unusable,
        });
        let key = (key.0.into(), key.1.into(), key.2.into());
        self.resolved.insert_unique(hash, ResEntry { hash, key, res: res.clone() }, |e| e.hash);
        res
    }

    /// The node of a resolved id in document `pmid`.
    fn nid(&mut self, r: &Rules, n: &Nid, pmid: &str) -> u32 {
        match n {
            Nid::Node(i) => *i,
            Nid::Scoped(id) => {
                let id = r.scoped_id(id, pmid);
                self.node(&id)
            }
        }
    }

    fn nids(&mut self, r: &Rules, ns: &[Nid], pmid: &str) -> Vec<u32> {
        ns.iter().map(|n| self.nid(r, n, pmid)).collect()
    }

    /// `canonical_relation` / `relation_directed`, once per distinct relation type.
    pub fn relation(&mut self, r: &Rules, raw: &str) -> RelInfo {
        if let Some(&x) = self.relations.get(raw) {
            return x;
        }
        let t = r.relation_type(raw);
        let x = RelInfo { key: self.syms.get(&t.key), known: t.known, directed: t.directed, raw: self.syms.get(raw) };
        self.relations.insert(raw.into(), x);
        x
    }

    /// `type_column_problem`, once per distinct type column.
    pub fn type_problem(&mut self, r: &Rules, raw: &str) -> Option<Box<str>> {
        if let Some(p) = self.type_problems.get(raw) {
            return p.clone(); // None, but for lines to be rejected
        }
        let p = r.type_column_problem(raw).map(|s| s.into_boxed_str());
        self.type_problems.insert(raw.into(), p.clone());
        p
    }

    /// `offset_problem` of a non-ASCII second column, once per distinct value.
    pub fn offset_problem(&mut self, r: &Rules, raw: &str) -> Option<&str> {
        if !self.offset_problems.contains_key(raw) {
            let p = r.offset_problem(raw).map(|s| s.into_boxed_str());
            self.offset_problems.insert(raw.into(), p);
        }
        self.offset_problems[raw].as_deref()
    }

    fn note(&mut self, r: &Rules, text: &str) -> Note {
        if text.is_empty() {
            return None;
        }
        if let Some(&x) = self.notes.get(text) {
            return Some(x);
        }
        let x = r.relation_note(text);
        self.notes.insert(text.into(), x);
        Some(x)
    }

    /// `abbreviation_pair` of two consecutive mentions of one entity, asked of Python when
    /// its precondition holds (`long (short)`: the gap is " (" or "(", a ")" follows), once
    /// per distinct (gap, previous form, form): the pair is then a function of the forms.
    fn abbreviation(&mut self, r: &Rules, text: &mut DocText, prev_end: i64, prev_form: &str, ann: &Ann)
                    -> Option<(u32, u32)> {
        let gap = text.slice(prev_end, ann.start);
        if gap != " (" && gap != "(" {
            return None;
        }
        let gap: Box<str> = gap.into();
        if text.slice(ann.end, ann.end + 1) != ")" {
            return None;
        }
        let key = (gap, prev_form.into(), ann.text.into());
        if let Some(&p) = self.abbreviations.get(&key) {
            return p;
        }
        // the text the rule reads: the gap, the mention, the ")" after it
        let local = format!("{}{})", key.0, ann.text);
        let start = key.0.chars().count();
        let end = start + ann.text.chars().count();
        let p = r.abbreviation_pair(&local, 0, prev_form, start, end, ann.text)
            .map(|(short, long)| (self.syms.get(&short), self.syms.get(&long)));
        self.abbreviations.insert(key, p);
        p
    }

    /// Python's `text.lower()`.
    fn lower(&mut self, r: &Rules, text: &str) -> Box<str> {
        if text.is_ascii() {
            return text.to_ascii_lowercase().into();
        }
        if let Some(l) = self.lowered.get(text) {
            return l.clone();
        }
        let l: Box<str> = r.lower(text).into();
        self.lowered.insert(text.into(), l.clone());
        l
    }

    /// `GraphBuilder.add`; `continued`: the document goes on the article before (same PMID,
    /// consecutive blocks of one file), whose `earlier` blocks its relations may name.
    /// Err(unresolved relation) in strict mode.
    #[allow(clippy::too_many_arguments)]
    fn add<'a>(&mut self, r: &Rules, o: &Opts, doc: &Doc<'a>, continued: bool, earlier: &[(Doc<'a>, bool)],
               file: usize, out: &mut RelationReport) -> Result<(), Box<Unresolved>> {
        if !continued {
            self.documents += 1;
            self.article_ids.clear();
        }
        let pmid = self.pmids.get(doc.pmid);
        let title_len = doc.title.map(char_len).unwrap_or(0) as i64;
        let mut text = std::mem::take(&mut self.text);
        text.set(doc.title, doc.abstract_);
        let mut index = if doc.rels.is_empty() { None } else { Some(DocIndex::default()) };
        if let Some(ix) = index.as_mut() {
            for ann in earlier.iter().flat_map(|(block, _)| &block.anns) {
                let res = self.resolve(r, ann.typ, ann.ident, ann.parts);
                if res.ids.is_empty() {
                    continue;
                }
                let scoped: Option<Box<[u32]>> = match res.fixed {
                    Some(_) => None,
                    None => Some(self.nids(r, &res.ids, doc.pmid).into()),
                };
                union(ix.raw.entry(ann.ident).or_default(), scoped.as_deref().or(res.fixed.as_deref()).unwrap());
                ix.annotations.push((res.clone(), ann.text, scoped));
            }
        }
        let mut doc_ids: Vec<u32> = Vec::new();
        // the previous mention with offsets (its nodes, end, form): `long form (SF)`?
        let (mut prev_ids, mut prev_end, mut prev_form): (Vec<u32>, i64, &str) = (Vec::new(), 0, "");
        for ann in &doc.anns {
            let res = self.resolve(r, ann.typ, ann.ident, ann.parts);
            if res.ids.is_empty() {
                let etype = self.syms.s(res.etype);
                bump(&mut self.mentions_without_id, etype, 1);
                if res.unusable {
                    bump(&mut self.ids_not_of_type, etype, 1);
                }
                continue;
            }
            let scoped: Option<Box<[u32]>> = match res.fixed {
                Some(_) => None,
                None => Some(self.nids(r, &res.ids, doc.pmid).into()),
            };
            let ids: &[u32] = scoped.as_deref().or(res.fixed.as_deref()).unwrap();
            self.annotations_in_graph += 1;
            let agrees = text.agrees(ann.start, ann.end, ann.text);
            if !agrees {
                self.mention_mismatches += 1;
            }
            let in_title = 0 <= ann.start && ann.start < title_len;
            if res.pieces_without_id > 0 {
                bump(&mut self.pieces_without_id, self.syms.s(res.etype), res.pieces_without_id);
            }
            for (k, &n) in ids.iter().enumerate() {
                let node = &mut self.nodes[n as usize];
                node.add_type(res.etype, 1);
                node.seen(pmid, &res.xrefs[k]);
            }
            if !res.pieces.is_empty() && !ann.parts.is_empty() && ann.parts.split('|').count() == res.pieces.len() {
                // BC5CDR: one sub-mention per piece of the composite id
                for (piece, form) in res.pieces.iter().zip(ann.parts.split('|')) {
                    if let Some(p) = piece {
                        let n = self.nid(r, p, doc.pmid);
                        self.nodes[n as usize].add_form(form, agrees, in_title);
                    }
                }
            } else {
                for &n in ids {
                    let node = &mut self.nodes[n as usize];
                    if ann.start < 0 {
                        for f in ann.text.split('|') {
                            node.add_form(f, agrees, in_title); // document-level: every form
                        }
                    } else {
                        node.add_form(ann.text, agrees, in_title);
                    }
                }
            }
            if agrees && ann.start >= 0 {
                if same(&prev_ids, ids) {
                    if let Some((short, long)) = self.abbreviation(r, &mut text, prev_end, prev_form, ann) {
                        for &n in ids {
                            union_pair(&mut self.nodes[n as usize].pairs, (short, long));
                        }
                    }
                }
                prev_ids.clear();
                prev_ids.extend_from_slice(ids);
                (prev_end, prev_form) = (ann.end, ann.text);
            }
            if o.co_mentions {
                union(&mut doc_ids, ids);
            }
            if let Some(ix) = index.as_mut() {
                union(ix.raw.entry(ann.ident).or_default(), ids);
                ix.annotations.push((res.clone(), ann.text, scoped));
            }
        }
        self.text = text;
        if let Some(ix) = index.as_mut() {
            for rel in &doc.rels {
                self.add_relation(r, o, doc, rel, ix, pmid, file, out)?;
            }
        }
        if o.co_mentions {
            // each pair of the article once: its new entities with each other and the ones before
            let key = self.syms.get("Co_Mention");
            let nodes = &self.nodes;
            let seen = std::mem::take(&mut self.article_ids);
            let mut new: Vec<u32> = doc_ids.into_iter().filter(|i| !seen.contains(i)).collect();
            new.sort_unstable_by(|a, b| nodes[*a as usize].id.cmp(&nodes[*b as usize].id)); // code point order
            for (a, &u) in new.iter().enumerate() {
                for &v in new[a + 1..].iter().chain(seen.iter()) {
                    let (u, v) = if self.nodes[u as usize].id <= self.nodes[v as usize].id { (u, v) } else { (v, u) };
                    self.edge(u, v, key, pmid, None, None);
                }
            }
            self.article_ids = seen;
            self.article_ids.extend(new);
        }
        Ok(())
    }

    fn build_aliases(&mut self, r: &Rules, ix: &mut DocIndex, doc_pmid: &str) {
        let mut aliases: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        for (res, _, _) in &ix.annotations {
            for (key, ids) in res.aliases.iter() {
                let ids = self.nids(r, ids, doc_pmid);
                match aliases.get_mut(&**key) {
                    Some(v) => union(v, &ids),
                    None => {
                        aliases.insert(key.clone(), ids);
                    }
                }
            }
        }
        ix.aliases = Some(aliases);
    }

    /// The mention texts of the document (NetMedEx's "standardized" files name entities so).
    fn build_by_text(&mut self, r: &Rules, ix: &mut DocIndex) {
        let mut by_text: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        for (res, text, scoped) in &ix.annotations {
            let key = self.lower(r, strip(text));
            union(by_text.entry(key).or_default(), scoped.as_deref().or(res.fixed.as_deref()).unwrap());
        }
        ix.by_text = Some(by_text);
    }

    /// `_DocIndex.resolve`: the nodes a relation id names.
    fn resolve_ref(&mut self, r: &Rules, ix: &mut DocIndex, id: &str, doc_pmid: &str, pmid: u32) -> Vec<u32> {
        if let Some(found) = ix.raw.get(id).filter(|f| !f.is_empty()) {
            return found.clone();
        }
        if ix.aliases.is_none() {
            self.build_aliases(r, ix, doc_pmid);
        }
        let aliases = ix.aliases.as_ref().unwrap();
        if let Some(found) = aliases.get(id).filter(|f| !f.is_empty()) {
            return found.clone();
        }
        let lookup = match self.refs.get(id) {
            Some(l) => l.clone(),
            None => {
                let l = Arc::new(r.relation_ref(id));
                self.refs.insert(id.into(), l.clone());
                l
            }
        };
        if let Some((etype, ident)) = &lookup.typed {
            return self.typed_entity(r, etype, ident, doc_pmid, pmid, ix);
        }
        let mut out = Vec::new();
        for keys in &lookup.groups {
            for key in keys {
                if let Some(hit) = aliases.get(key.as_str()) {
                    union(&mut out, hit);
                }
            }
            if !out.is_empty() {
                return out;
            }
        }
        if ix.by_text.is_none() {
            self.build_by_text(r, ix);
        }
        let key = self.lower(r, id);
        ix.by_text.as_ref().unwrap().get(&key).cloned().unwrap_or_default()
    }

    /// `_typed_entity`: nodes for a typed relation id, made when no annotation names them.
    fn typed_entity(&mut self, r: &Rules, etype: &str, ident: &str, doc_pmid: &str, pmid: u32,
                    ix: &DocIndex) -> Vec<u32> {
        let res = self.resolve(r, etype, ident, "");
        let aliases = ix.aliases.as_ref().unwrap();
        let mut out = Vec::new();
        for (k, n) in res.ids.iter().enumerate() {
            let n = self.nid(r, n, doc_pmid);
            let node = &mut self.nodes[n as usize];
            if !aliases.contains_key(&*node.id) {
                node.add_type(res.etype, 1); // not annotated in this document: count its type once
            }
            node.seen(pmid, &res.xrefs[k]);
            union(&mut out, &[n]);
        }
        out
    }

    /// `relation_pairs(left, right, directed)`, once per distinct pair of sides.
    fn pairs(&mut self, r: &Rules, left: &[u32], right: &[u32], directed: bool) -> Pairs {
        if let ([u], [v]) = (left, right) {
            if let Some(p) = self.pairs1.get(&(*u, *v, directed)) {
                return p.clone();
            }
        } else if let Some(p) = self.pairs.get(&(left.into(), right.into(), directed)) {
            return p.clone();
        }
        let ids = |side: &[u32]| -> Vec<&str> { side.iter().map(|&n| &*self.nodes[n as usize].id).collect() };
        let got = r.relation_pairs(&ids(left), &ids(right), directed);
        let p: Pairs = got.iter().map(|(u, v)| (self.node(u), self.node(v))).collect();
        if let ([u], [v]) = (left, right) {
            self.pairs1.insert((*u, *v, directed), p.clone());
        } else {
            self.pairs.insert((left.into(), right.into(), directed), p.clone());
        }
        p
    }

    #[allow(clippy::too_many_arguments)]
    fn add_relation(&mut self, r: &Rules, o: &Opts, doc: &Doc, rel: &Rel, ix: &mut DocIndex, pmid: u32,
                    file: usize, out: &mut RelationReport) -> Result<(), Box<Unresolved>> {
        let info = self.relation(r, rel.typ);
        let left = self.resolve_ref(r, ix, rel.id1, doc.pmid, pmid);
        let right = self.resolve_ref(r, ix, rel.id2, doc.pmid, pmid);
        if left.is_empty() || right.is_empty() {
            let u = Unresolved {
                rel: RelationLine::of(rel, file),
                miss1: left.is_empty(),
                miss2: right.is_empty(),
                doc_pmid: doc.pmid.to_string(),
            };
            if o.strict {
                return Err(Box::new(u));
            }
            out.unresolved.push(u);
            return Ok(());
        }
        let pairs = self.pairs(r, &left, &right, info.directed);
        if pairs.is_empty() {
            let mut ids: Vec<&str> = left.iter().map(|&n| &*self.nodes[n as usize].id).collect();
            ids.sort_unstable();
            out.self_relations.push(SelfRelation {
                rel: RelationLine::of(rel, file),
                reason: format!("both sides are one entity: {}", ids.join(", ")),
            });
            return Ok(());
        }
        if !info.known {
            bump(&mut self.unknown_relation_types, rel.typ, 1);
        }
        self.relations_in_graph += 1;
        let note = self.note(r, rel.note);
        for &(u, v) in pairs.iter() {
            self.edge(u, v, info.key, pmid, Some(info.raw), note);
        }
        Ok(())
    }

    fn edge(&mut self, u: u32, v: u32, key: u32, pmid: u32, source_type: Option<u32>, note: Note) {
        let e = self.edges.entry((u, v, key)).or_default();
        push_new(&mut e.pmids, pmid);
        e.count += 1;
        if let Some(s) = source_type {
            union(&mut e.source_types, &[s]);
        }
        match note {
            None => {}
            Some((_, Some(score))) => e.score = Some(max_score(e.score, score)),
            Some((novel, None)) => {
                let list = e.novel.get_or_insert_with(Vec::new);
                if novel {
                    push_new(list, pmid);
                }
            }
        }
    }

    /// Sort every PMID list and drop its repeats, once all threads' states are merged;
    /// with `rank`, the numbers are first replaced by their rank in output order.
    pub fn sort_lists(&mut self, rank: Option<&[u32]>) {
        let fix = |v: &mut Vec<u32>| {
            if let Some(r) = rank {
                v.iter_mut().for_each(|p| *p = r[*p as usize]);
            }
            sort_dedup(v);
        };
        for n in &mut self.nodes {
            fix(&mut n.pmids);
        }
        for e in self.edges.values_mut() {
            fix(&mut e.pmids);
            if let Some(v) = e.novel.as_mut() {
                fix(v);
            }
        }
    }

    /// Free the lookup tables that only reading needs (before the state is converted).
    pub fn drop_indexes(&mut self) {
        self.node_ix = Default::default();
        self.resolved = Default::default();
        self.relations = Default::default();
        self.notes = Default::default();
        self.refs = Default::default();
        self.pairs1 = Default::default();
        self.pairs = Default::default();
        self.type_problems = Default::default();
        self.offset_problems = Default::default();
        self.lowered = Default::default();
        self.abbreviations = Default::default();
    }

    /// Fold another thread's state into this one.
    pub fn merge(&mut self, other: State) {
        let symmap: Vec<u32> = other.syms.strs.iter().map(|s| self.syms.get(s)).collect();
        let pmidmap: Vec<u32> = other.pmids.strs.iter().map(|s| self.pmids.get(s)).collect();
        let mut nodemap: Vec<u32> = Vec::with_capacity(other.nodes.len());
        for n in other.nodes {
            let i = self.node(&n.id);
            nodemap.push(i);
            let mine = &mut self.nodes[i as usize];
            if n.exists {
                mine.exists = true;
            }
            for (t, c) in n.types {
                mine.add_type(symmap[t as usize], c);
            }
            for (f, c) in n.forms {
                let m = mine.forms.entry(f).or_insert([0, 0]);
                m[0] += c[0];
                m[1] += c[1];
            }
            mine.mentions += n.mentions;
            mine.pmids.extend(n.pmids.iter().map(|&p| pmidmap[p as usize]));
            let xrefs: Vec<u32> = n.xrefs.iter().map(|&x| symmap[x as usize]).collect();
            union(&mut mine.xrefs, &xrefs);
            for (a, b) in n.pairs {
                union_pair(&mut mine.pairs, (symmap[a as usize], symmap[b as usize]));
            }
        }
        for ((u, v, k), e) in other.edges {
            let key = (nodemap[u as usize], nodemap[v as usize], symmap[k as usize]);
            let mine = self.edges.entry(key).or_default();
            mine.pmids.extend(e.pmids.iter().map(|&p| pmidmap[p as usize]));
            for s in e.source_types {
                union(&mut mine.source_types, &[symmap[s as usize]]);
            }
            mine.count += e.count;
            if let Some(nv) = e.novel {
                let list = mine.novel.get_or_insert_with(Vec::new);
                list.extend(nv.iter().map(|&p| pmidmap[p as usize]));
            }
            if let Some(s) = e.score {
                mine.score = Some(max_score(mine.score, s));
            }
        }
        self.documents += other.documents;
        self.annotations_in_graph += other.annotations_in_graph;
        self.relations_in_graph += other.relations_in_graph;
        self.mention_mismatches += other.mention_mismatches;
        for (mine, theirs) in [
            (&mut self.mentions_without_id, other.mentions_without_id),
            (&mut self.ids_not_of_type, other.ids_not_of_type),
            (&mut self.pieces_without_id, other.pieces_without_id),
            (&mut self.unknown_relation_types, other.unknown_relation_types),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_insert(0) += v;
            }
        }
    }
}
