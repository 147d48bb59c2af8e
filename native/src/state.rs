//! Port of kg/build.py's GraphBuilder.add (with _DocIndex, _typed_entity, _add_relation, _edge).

use crate::normalize::{split_composite, Tables};
use crate::uni::{char_len, lower, strip};
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
    fn add_pmid(&mut self, p: u32) {
        push_new(&mut self.pmids, p);
    }
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
}

#[derive(Default)]
pub struct Edge {
    pub pmids: Vec<u32>,
    pub source_types: Vec<u32>,
    pub novel: Option<Vec<u32>>,
    pub count: u64,
}

pub struct Ann<'a> {
    /// -1: document-level; large offsets saturate
    pub start: i64,
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
    pub novel: &'a str,
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

#[derive(Clone, Debug)]
pub struct Unresolved {
    pub file: usize,
    pub lineno: u64,
    pub pmid: String,
    pub typ: String,
    pub id1: String,
    pub id2: String,
    pub miss1: bool,
    pub miss2: bool,
    pub doc_pmid: String,
}

type Ids = Arc<[u32]>;

#[derive(Default)]
pub struct State {
    pub syms: Interner,
    /// document ids (kept apart from `syms`, so that they can be ranked on their own)
    pub pmids: Interner,
    pub node_ix: FxHashMap<Box<str>, u32>,
    pub nodes: Vec<Node>,
    pub edges: FxHashMap<(u32, u32, u32), Edge>,
    /// (PMID, title) of the documents read since the driver last took them: titles go to
    /// Python chunk by chunk, so that they are never all held twice.
    pub titles: Vec<(Box<str>, Box<str>)>,
    idcache: FxHashMap<Box<str>, u32>,
    slots: Vec<FxHashMap<Box<str>, Ids>>,
    /// raw annotation type -> (canonical type sym, idcache slot)
    typecache: FxHashMap<Box<str>, (u32, u32)>,
    relcache: FxHashMap<Box<str>, (u32, bool, bool, u32)>,
    pub documents: u64,
    pub annotations_in_graph: u64,
    pub relations_in_graph: u64,
    pub mentions_without_id: FxHashMap<Box<str>, u64>,
    pub unknown_relation_types: FxHashMap<Box<str>, u64>,
}

pub struct Opts {
    pub strict: bool,
    pub co_mentions: bool,
    pub articles: bool,
}

struct DocIndex<'a> {
    raw: FxHashMap<&'a str, Ids>,
    annotations: Vec<(&'a str, &'a str, u32, Ids)>,
    aliases: Option<FxHashMap<String, Vec<u32>>>,
    by_text: FxHashMap<String, Vec<u32>>,
}

#[inline]
fn union(dst: &mut Vec<u32>, src: &[u32]) {
    for &x in src {
        if !dst.contains(&x) {
            dst.push(x);
        }
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

    fn slot(&mut self, etype: &str) -> u32 {
        if let Some(&s) = self.idcache.get(etype) {
            return s;
        }
        let s = self.slots.len() as u32;
        self.slots.push(FxHashMap::default());
        self.idcache.insert(etype.into(), s);
        s
    }

    fn entity_ids(&mut self, t: &Tables, raw: &str, etype: &str) -> Ids {
        let slot = self.slot(etype);
        self.entity_ids_in(t, raw, etype, slot)
    }

    #[inline]
    fn entity_ids_in(&mut self, t: &Tables, raw: &str, etype: &str, slot: u32) -> Ids {
        if let Some(ids) = self.slots[slot as usize].get(raw) {
            return ids.clone();
        }
        let strs = t.entity_ids(raw, etype);
        let ids: Ids = strs.iter().map(|s| self.node(s)).collect::<Vec<_>>().into();
        self.slots[slot as usize].insert(raw.into(), ids.clone());
        ids
    }

    #[inline]
    fn type_of(&mut self, t: &Tables, raw: &str) -> (u32, u32) {
        if let Some(&x) = self.typecache.get(raw) {
            return x;
        }
        let etype = t.canonical_type(raw);
        let x = (self.syms.get(etype), self.slot(etype));
        self.typecache.insert(raw.into(), x);
        x
    }

    /// `GraphBuilder.add`; Err(unresolved relation) in strict mode.
    pub fn add(&mut self, t: &Tables, o: &Opts, doc: &Doc, file: usize,
               unresolved: &mut Vec<Unresolved>) -> Result<(), Box<Unresolved>> {
        self.documents += 1;
        let pmid = self.pmids.get(doc.pmid);
        if o.articles {
            self.titles.push((doc.pmid.into(), doc.title.unwrap_or("").into()));
        }
        let title_len = doc.title.map(char_len).unwrap_or(0) as i64;
        let mut index = if doc.rels.is_empty() {
            None
        } else {
            Some(DocIndex { raw: FxHashMap::default(), annotations: Vec::new(), aliases: None, by_text: FxHashMap::default() })
        };
        let mut doc_ids: Vec<u32> = Vec::new();
        for ann in &doc.anns {
            let (etype_sym, slot) = self.type_of(t, ann.typ);
            let ids = match self.slots[slot as usize].get(ann.ident) {
                Some(ids) => ids.clone(),
                None => {
                    let etype = self.syms.s(etype_sym).to_string();
                    self.entity_ids_in(t, ann.ident, &etype, slot)
                }
            };
            if ids.is_empty() {
                let etype = self.syms.s(etype_sym);
                match self.mentions_without_id.get_mut(etype) {
                    Some(n) => *n += 1,
                    None => {
                        let k: Box<str> = etype.into();
                        self.mentions_without_id.insert(k, 1);
                    }
                }
                continue;
            }
            self.annotations_in_graph += 1;
            let parts: Vec<&str> = if !ann.parts.is_empty() && ids.len() > 1 {
                ann.parts.split('|').collect()
            } else {
                Vec::new()
            };
            let in_title = 0 <= ann.start && ann.start < title_len;
            for (i, &nix) in ids.iter().enumerate() {
                let node = &mut self.nodes[nix as usize];
                node.exists = true;
                node.add_type(etype_sym, 1);
                node.add_pmid(pmid);
                let one = |form: &str, node: &mut Node| {
                    node.mentions += 1;
                    let form = strip(form);
                    if !form.is_empty() {
                        match node.forms.get_mut(form) {
                            Some(c) => {
                                c[0] += 1;
                                if !in_title {
                                    c[1] += 1;
                                }
                            }
                            None => {
                                node.forms.insert(form.into(), [1, if in_title { 0 } else { 1 }]);
                            }
                        }
                    }
                };
                if parts.len() == ids.len() {
                    one(parts[i], node);
                } else if ann.start < 0 {
                    for f in ann.text.split('|') {
                        one(f, node);
                    }
                } else {
                    one(ann.text, node);
                }
            }
            if o.co_mentions {
                union(&mut doc_ids, &ids);
            }
            if let Some(ix) = index.as_mut() {
                match ix.raw.get_mut(ann.ident) {
                    None => {
                        ix.raw.insert(ann.ident, ids.clone());
                    }
                    Some(hit) => {
                        if !ids.iter().all(|x| hit.contains(x)) {
                            let mut v = hit.to_vec();
                            union(&mut v, &ids);
                            *hit = v.into();
                        }
                    }
                }
                ix.annotations.push((ann.ident, ann.text, etype_sym, ids.clone()));
            }
        }
        if let Some(ix) = index.as_mut() {
            for rel in &doc.rels {
                self.add_relation(t, o, doc, rel, ix, pmid, file, unresolved)?;
            }
        }
        if o.co_mentions {
            let key = self.syms.get("Co_Mention");
            let mut ids: Vec<(&str, u32)> = Vec::with_capacity(doc_ids.len());
            // sorted by id text (code point order == UTF-8 byte order)
            let nodes = &self.nodes;
            for &i in &doc_ids {
                ids.push((&nodes[i as usize].id, i));
            }
            ids.sort_unstable();
            let ids: Vec<u32> = ids.into_iter().map(|(_, i)| i).collect();
            for a in 0..ids.len() {
                for b in a + 1..ids.len() {
                    self.edge(ids[a], ids[b], key, pmid, None, "");
                }
            }
        }
        Ok(())
    }

    fn build_aliases(&mut self, t: &Tables, ix: &mut DocIndex) {
        let mut aliases: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        let anns = std::mem::take(&mut ix.annotations);
        for (raw, text, esym, ids) in &anns {
            let etype = &self.syms.s(*esym).to_string();
            union(aliases.entry(strip(raw).to_string()).or_default(), ids);
            for &nid in ids.iter() {
                let id = self.nodes[nid as usize].id.to_string();
                union(aliases.entry(id).or_default(), &[nid]);
            }
            if etype == "Variant" {
                for key in t.variant_aliases(raw) {
                    union(aliases.entry(key).or_default(), ids);
                }
            } else if ids.len() > 1 {
                for piece in split_composite(raw) {
                    let pids = self.entity_ids(t, piece, etype);
                    union(aliases.entry(strip(piece).to_string()).or_default(), &pids);
                }
            }
            union(ix.by_text.entry(lower(strip(text)).into_owned()).or_default(), ids);
        }
        ix.annotations = anns;
        ix.aliases = Some(aliases);
    }

    fn resolve(&mut self, t: &Tables, ix: &mut DocIndex, r: &str, pmid: u32) -> Ids {
        if let Some(found) = ix.raw.get(r) {
            if !found.is_empty() {
                return found.clone();
            }
        }
        self.resolve_slow(t, ix, r, pmid).into()
    }

    fn resolve_slow(&mut self, t: &Tables, ix: &mut DocIndex, r: &str, pmid: u32) -> Vec<u32> {
        if ix.aliases.is_none() {
            self.build_aliases(t, ix);
        }
        let aliases = ix.aliases.as_ref().unwrap();
        if let Some(found) = aliases.get(r) {
            if !found.is_empty() {
                return found.clone();
            }
        }
        if let Some(bar) = r.find('|') {
            let etype = &r[..bar];
            if t.entity_types.contains_key(etype) {
                let ct = t.canonical_type(etype).to_string();
                return self.typed_entity(t, &ct, &r[bar + 1..], pmid, ix);
            }
        }
        let mut out: Vec<u32> = Vec::new();
        for piece in r.split(['|', ';', ',']) {
            let piece = strip(piece);
            match aliases.get(piece).filter(|h| !h.is_empty()) {
                Some(hit) => union(&mut out, hit),
                None => {
                    let c = t.curie(piece, "");
                    if let Some(hit) = aliases.get(c.as_str()) {
                        union(&mut out, hit);
                    }
                }
            }
        }
        if !out.is_empty() {
            return out;
        }
        for key in t.variant_aliases(r) {
            if let Some(hit) = aliases.get(&key) {
                union(&mut out, hit);
            }
        }
        if !out.is_empty() {
            return out;
        }
        match ix.by_text.get(lower(r).as_ref()) {
            Some(hit) => hit.clone(),
            None => out,
        }
    }

    fn typed_entity(&mut self, t: &Tables, etype: &str, ident: &str, pmid: u32, ix: &DocIndex) -> Vec<u32> {
        let ids = self.entity_ids(t, ident, etype);
        let etype_sym = self.syms.get(etype);
        let aliases = ix.aliases.as_ref().unwrap();
        let mut out = Vec::new();
        for &nid in ids.iter() {
            if out.contains(&nid) {
                continue;
            }
            out.push(nid);
            let node = &mut self.nodes[nid as usize];
            node.exists = true;
            if !aliases.contains_key(&*node.id) {
                node.add_type(etype_sym, 1);
            }
            node.add_pmid(pmid);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn add_relation(&mut self, t: &Tables, o: &Opts, doc: &Doc, rel: &Rel, ix: &mut DocIndex, pmid: u32,
                    file: usize, unresolved: &mut Vec<Unresolved>) -> Result<(), Box<Unresolved>> {
        let (key, known, directed, typ) = match self.relcache.get(rel.typ) {
            Some(&x) => x,
            None => {
                let (key, known) = t.canonical_relation(rel.typ);
                let directed = t.relation_directed(&key);
                let x = (self.syms.get(&key), known, directed, self.syms.get(rel.typ));
                self.relcache.insert(rel.typ.into(), x);
                x
            }
        };
        let left = self.resolve(t, ix, rel.id1, pmid);
        let right = self.resolve(t, ix, rel.id2, pmid);
        if left.is_empty() || right.is_empty() {
            let u = Unresolved {
                file,
                lineno: rel.lineno,
                pmid: rel.pmid.to_string(),
                typ: rel.typ.to_string(),
                id1: rel.id1.to_string(),
                id2: rel.id2.to_string(),
                miss1: left.is_empty(),
                miss2: right.is_empty(),
                doc_pmid: doc.pmid.to_string(),
            };
            if o.strict {
                return Err(Box::new(u));
            }
            unresolved.push(u);
            return Ok(());
        }
        if !known {
            *self.unknown_relation_types.entry(rel.typ.into()).or_insert(0) += 1;
        }
        self.relations_in_graph += 1;
        let sort = |v: Ids, nodes: &Vec<Node>| -> Ids {
            if v.len() < 2 {
                return v;
            }
            let mut v = v.to_vec();
            v.sort_unstable_by(|a, b| nodes[*a as usize].id.cmp(&nodes[*b as usize].id));
            v.into()
        };
        let left = sort(left, &self.nodes);
        let right = sort(right, &self.nodes);
        for &u0 in left.iter() {
            let mut u = u0;
            for &v0 in right.iter() {
                let mut v = v0;
                if !directed && self.nodes[v as usize].id < self.nodes[u as usize].id {
                    std::mem::swap(&mut u, &mut v); // as Python: `u, v = v, u` leaks into later v
                }
                self.edge(u, v, key, pmid, Some(typ), rel.novel);
            }
        }
        Ok(())
    }

    fn edge(&mut self, u: u32, v: u32, key: u32, pmid: u32, source_type: Option<u32>, novel: &str) {
        let e = self.edges.entry((u, v, key)).or_default();
        push_new(&mut e.pmids, pmid);
        e.count += 1;
        if let Some(s) = source_type {
            if !e.source_types.contains(&s) {
                e.source_types.push(s);
            }
        }
        if !novel.is_empty() {
            let list = e.novel.get_or_insert_with(Vec::new);
            if lower(novel).starts_with("novel") {
                push_new(list, pmid);
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
        self.idcache = Default::default();
        self.slots = Default::default();
        self.typecache = Default::default();
        self.relcache = Default::default();
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
        }
        for ((u, v, k), e) in other.edges {
            let key = (nodemap[u as usize], nodemap[v as usize], symmap[k as usize]);
            let mine = self.edges.entry(key).or_default();
            mine.pmids.extend(e.pmids.iter().map(|&p| pmidmap[p as usize]));
            for s in e.source_types {
                let s = symmap[s as usize];
                if !mine.source_types.contains(&s) {
                    mine.source_types.push(s);
                }
            }
            mine.count += e.count;
            if let Some(nv) = e.novel {
                let list = mine.novel.get_or_insert_with(Vec::new);
                list.extend(nv.iter().map(|&p| pmidmap[p as usize]));
            }
        }
        self.documents += other.documents;
        self.annotations_in_graph += other.annotations_in_graph;
        self.relations_in_graph += other.relations_in_graph;
        for (k, v) in other.mentions_without_id {
            *self.mentions_without_id.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.unknown_relation_types {
            *self.unknown_relation_types.entry(k).or_insert(0) += v;
        }
    }
}
