//! kg._native: PubTator text files -> GraphBuilder state, as kg.build._read_files, with
//! kg's rules called in Python once per distinct value (rules.rs).

mod driver;
mod finish;
mod gz;
mod parse;
mod rules;
mod state;
mod uni;

use parse::{Counts, Fatal, IoWhy, Reason};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyString, PyTuple};
use rules::Rules;
use rustc_hash::FxHashMap;
use state::{Opts, Unresolved};

fn repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_string())
}

fn reason_text(py: Python<'_>, r: &Reason) -> PyResult<String> {
    Ok(match r {
        Reason::Text(s) => s.clone(),
        Reason::NonNumericEnd(raw) => format!("non-numeric end offset {}", repr(py, raw)?),
        Reason::NonNumericStart(raw) => format!("annotation with a non-numeric start offset {}", repr(py, raw)?),
    })
}

fn unresolved_reason(py: Python<'_>, u: &Unresolved) -> PyResult<String> {
    let mut miss = Vec::new();
    if u.miss1 {
        miss.push(repr(py, &u.rel.id1)?);
    }
    if u.miss2 {
        miss.push(repr(py, &u.rel.id2)?);
    }
    Ok(format!("relation id {} matches no annotation of document {}", miss.join(" and "), u.doc_pmid))
}

/// Python's own words for a file that cannot be opened.
fn open_error(py: Python<'_>, path: &str, fallback: &str) -> String {
    let builtins = match py.import("builtins") {
        Ok(b) => b,
        Err(_) => return format!("OSError: {fallback}"),
    };
    match builtins.getattr("open").and_then(|o| o.call1((path, "rb"))) {
        Ok(f) => {
            let _ = f.call_method0("close");
            format!("OSError: {fallback}")
        }
        Err(e) => {
            let name = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "OSError".into());
            let msg = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
            format!("{name}: {msg}")
        }
    }
}

fn why_text(py: Python<'_>, path: &str, w: &IoWhy) -> String {
    let inner = match w {
        IoWhy::Msg(m) => m.clone(),
        IoWhy::Open(m) => open_error(py, path, m),
    };
    format!("cannot read further ({inner}); the documents before were kept")
}

fn counts_tuple<'py>(py: Python<'py>, c: &Counts) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, [c.lines, c.blank, c.comment, c.text, c.annotations, c.relations, c.rejected])
}

/// What `read_files` gives back: the graph and the report's parts, which the Python wrapper
/// (`kg.native.read_files`) turns into a `GraphBuilder`.
#[pyclass(frozen, get_all, module = "kg._native")]
struct ReadResult {
    /// whether `graph` holds finished rows `(node_rows, type_conflicts, edge_rows,
    /// articles)`, or else the builder state `(nodes, edges, articles)`
    finished: bool,
    graph: Py<PyTuple>,
    /// `(lines, documents)` per file, in the order given
    files: Py<PyList>,
    /// `LineCounts` fields in order: lines, blank, comment, text, annotations, relations, rejected
    lines: Py<PyTuple>,
    documents: u64,
    annotations_in_graph: u64,
    mentions_without_id: Py<PyDict>,
    ids_not_of_type: Py<PyDict>,
    pieces_without_id: Py<PyDict>,
    mention_mismatches: u64,
    relations_in_graph: u64,
    rejected: Py<PyList>,
    unresolved_relations: Py<PyList>,
    self_relations: Py<PyList>,
    unknown_relation_types: Py<PyDict>,
    /// seconds reading (worker threads), merging their states, finishing or converting
    seconds: (f64, f64, f64),
}

/// Read PubTator files (strict: raise `kg.errors.ParseError`/`InputError` as the Python
/// reader would).
#[pyfunction]
#[pyo3(signature = (paths, rules, strict, co_mentions, articles, threads, chunk_size, node_cls, edge_cls, finish, progress))]
#[allow(clippy::too_many_arguments)]
fn read_files<'py>(
    py: Python<'py>,
    paths: Vec<String>,
    rules: &Bound<'py, PyDict>,
    strict: bool,
    co_mentions: bool,
    articles: bool,
    threads: usize,
    chunk_size: usize,
    node_cls: &Bound<'py, PyAny>,
    edge_cls: &Bound<'py, PyAny>,
    finish: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<ReadResult> {
    let r = Rules::from_py(rules)?;
    let o = Opts { strict, co_mentions, articles };
    let files = paths.clone();
    let mut titles = finish::Titles::default();
    let mut failed: Option<PyErr> = None;
    let (mut bytes, mut docs, mut last) = (0u64, 0u64, None::<std::time::Instant>);
    // Runs on this thread between chunks: titles into Python (so Rust never holds them
    // all), progress now and then, and Ctrl-C (check_signals) stops the workers.
    let mut on_event = |ev: driver::Event| -> bool {
        Python::attach(|py| {
            let step = || -> PyResult<()> {
                add_titles(py, &r, &mut titles, ev.titles)?;
                bytes += ev.raw_bytes;
                docs += ev.docs;
                if let Some(cb) = &progress {
                    if last.is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(200)) {
                        cb.call1(py, (bytes, docs))?;
                        last = Some(std::time::Instant::now());
                    }
                }
                py.check_signals()
            };
            step().map_err(|e| failed = Some(e)).is_ok()
        })
    };
    let mut out = py.detach(|| driver::run(files, &r, &o, threads, chunk_size, &mut on_event));
    if let Some(e) = failed.or_else(|| r.take_error()) {
        return Err(e);
    }
    finish::release(); // the states merged away

    // -- errors first (file/line order), then the per-file tallies -------------------------
    let mut file_rows = Vec::new();
    let mut total = Counts::default();
    let mut rejected: Vec<(usize, u64, String, String)> = Vec::new();
    for (fi, chunks) in out.chunks.iter().enumerate() {
        let path = &paths[fi];
        for c in chunks {
            if let Some(f) = &c.fatal {
                return Err(fatal_error(py, &paths, f)?);
            }
        }
        let mut counts = Counts::default();
        let mut docs = 0u64;
        for c in chunks {
            counts.add(&c.synced);
            counts.add(&c.pending);
            docs += c.docs;
            for r in &c.rejected {
                rejected.push((fi, r.lineno, reason_text(py, &r.reason)?, r.text.clone()));
            }
        }
        if let Some(w) = &out.broken[fi] {
            let why = why_text(py, path, w);
            if strict {
                return Err(input_error(py, format!("{path}: {why}"))?);
            }
            let mut lost = Counts::default();
            for c in chunks.iter().rev() {
                lost.add(&c.pending);
                if c.yielded {
                    break;
                }
            }
            counts.sub(&lost);
            counts.lines += 1;
            counts.rejected += 1;
            rejected.push((fi, counts.lines as u64, why, String::new()));
        }
        total.add(&counts);
        file_rows.push((counts.lines, docs));
    }
    // a chunk's first document continues the document read before it when that has the
    // same path and PMID (consecutive blocks): one article, counted once, titled by its
    // first block (GraphBuilder.add)
    let mut last: Option<(&str, &str)> = None;
    for (fi, chunks) in out.chunks.iter().enumerate() {
        for c in chunks {
            if let Some(first) = c.first_pmid.as_deref() {
                if last == Some((&paths[fi], first)) {
                    out.state.documents -= 1;
                } else if let Some((pmid, title)) = &c.first_title {
                    add_titles(py, &r, &mut titles, vec![(pmid.clone(), title.clone())])?;
                }
            }
            if let Some(pmid) = c.last_pmid.as_deref() {
                last = Some((&paths[fi], pmid));
            }
        }
    }

    // -- graph: finished rows, or the builder state for Python to finish ------------------
    let titles = if articles { Some(titles) } else { None };
    let finishing = std::time::Instant::now();
    let (finished, graph) = match finish::finish(py, &r, &mut out.state, finish, titles)? {
        Ok(rows) => (true, rows),
        Err(titles) => (false, state_tuple(py, &mut out.state, node_cls, edge_cls, titles)?),
    };
    let st = &out.state;
    let files = PyList::empty(py);
    for (lines, docs) in &file_rows {
        files.append((*lines, *docs))?;
    }
    let counter = |m: &FxHashMap<Box<str>, u64>| -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in m {
            d.set_item(&**k, *v)?;
        }
        Ok(d.unbind())
    };
    let rej = PyList::empty(py);
    for (fi, line, reason, text) in &rejected {
        let d = PyDict::new(py);
        d.set_item("path", &paths[*fi])?;
        d.set_item("line", *line)?;
        d.set_item("reason", reason)?;
        d.set_item("text", text)?;
        rej.append(d)?;
    }
    let relation_record = |rel: &state::RelationLine, reason: &str| {
        let d = PyDict::new(py);
        d.set_item("path", &paths[rel.file])?;
        d.set_item("line", rel.lineno)?;
        d.set_item("pmid", &rel.pmid)?;
        d.set_item("type", &rel.typ)?;
        d.set_item("id1", &rel.id1)?;
        d.set_item("id2", &rel.id2)?;
        d.set_item("reason", reason)?;
        PyResult::Ok(d)
    };
    let (unr, selfs) = (PyList::empty(py), PyList::empty(py));
    for c in out.chunks.iter().flatten() {
        for u in &c.relations.unresolved {
            let reason = unresolved_reason(py, u)?;
            unr.append(relation_record(&u.rel, &reason)?)?;
        }
        for x in &c.relations.self_relations {
            selfs.append(relation_record(&x.rel, &x.reason)?)?;
        }
    }
    Ok(ReadResult {
        finished,
        graph: graph.unbind(),
        files: files.unbind(),
        lines: counts_tuple(py, &total)?.unbind(),
        documents: st.documents,
        annotations_in_graph: st.annotations_in_graph,
        mentions_without_id: counter(&st.mentions_without_id)?,
        ids_not_of_type: counter(&st.ids_not_of_type)?,
        pieces_without_id: counter(&st.pieces_without_id)?,
        mention_mismatches: st.mention_mismatches,
        relations_in_graph: st.relations_in_graph,
        rejected: rej.unbind(),
        unresolved_relations: unr.unbind(),
        self_relations: selfs.unbind(),
        unknown_relation_types: counter(&st.unknown_relation_types)?,
        seconds: (out.seconds.0, out.seconds.1, finishing.elapsed().as_secs_f64()),
    })
}

/// `(nodes, edges, articles)`: the builder state as `_Node`/`_Edge` objects and sets.
fn state_tuple<'py>(py: Python<'py>, st: &mut state::State, node_cls: &Bound<'py, PyAny>,
                    edge_cls: &Bound<'py, PyAny>, titles: Option<finish::Titles>) -> PyResult<Bound<'py, PyTuple>> {
    st.sort_lists(None);
    let st = &*st;
    let mut pmid_strs: Vec<Option<Bound<'py, PyString>>> = vec![None; st.pmids.strs.len()];
    let mut pmid = |i: u32| -> Bound<'py, PyString> {
        pmid_strs[i as usize].get_or_insert_with(|| PyString::new(py, st.pmids.s(i))).clone()
    };
    let mut pys: Vec<Option<Bound<'py, PyString>>> = vec![None; st.syms.strs.len()];
    let mut sym = |i: u32| -> Bound<'py, PyString> {
        pys[i as usize].get_or_insert_with(|| PyString::new(py, st.syms.s(i))).clone()
    };
    let nodes = PyDict::new(py);
    let mut node_ids: Vec<Option<Bound<'py, PyString>>> = vec![None; st.nodes.len()];
    let mut nid = |i: u32| -> Bound<'py, PyString> {
        node_ids[i as usize].get_or_insert_with(|| PyString::new(py, &st.nodes[i as usize].id)).clone()
    };
    for (i, n) in st.nodes.iter().enumerate() {
        if !n.exists {
            continue;
        }
        let obj = node_cls.call0()?;
        let types = PyDict::new(py);
        for &(t, c) in &n.types {
            types.set_item(sym(t), c)?;
        }
        let forms = PyDict::new(py);
        for (f, c) in &n.forms {
            forms.set_item(&**f, PyList::new(py, [c[0], c[1]])?)?;
        }
        let pm = PySet::empty(py)?;
        for &p in &n.pmids {
            pm.add(pmid(p))?;
        }
        obj.setattr(pyo3::intern!(py, "types"), types)?;
        obj.setattr(pyo3::intern!(py, "forms"), forms)?;
        obj.setattr(pyo3::intern!(py, "mentions"), n.mentions)?;
        obj.setattr(pyo3::intern!(py, "pmids"), pm)?;
        if !n.xrefs.is_empty() {
            let xrefs = PySet::empty(py)?;
            for &x in &n.xrefs {
                xrefs.add(sym(x))?;
            }
            obj.setattr(pyo3::intern!(py, "xrefs"), xrefs)?;
        }
        if !n.pairs.is_empty() {
            let pairs = PySet::empty(py)?;
            for &(a, b) in &n.pairs {
                pairs.add((sym(a), sym(b)))?;
            }
            obj.setattr(pyo3::intern!(py, "pairs"), pairs)?;
        }
        nodes.set_item(nid(i as u32), obj)?;
    }
    let edges = PyDict::new(py);
    for (&(u, v, k), e) in &st.edges {
        let obj = edge_cls.call0()?;
        let pm = PySet::empty(py)?;
        for &p in &e.pmids {
            pm.add(pmid(p))?;
        }
        let stypes = PySet::empty(py)?;
        for &s in &e.source_types {
            stypes.add(sym(s))?;
        }
        obj.setattr(pyo3::intern!(py, "pmids"), pm)?;
        obj.setattr(pyo3::intern!(py, "source_types"), stypes)?;
        match &e.novel {
            None => obj.setattr(pyo3::intern!(py, "novel"), py.None())?,
            Some(nv) => {
                let s = PySet::empty(py)?;
                for &p in nv {
                    s.add(pmid(p))?;
                }
                obj.setattr(pyo3::intern!(py, "novel"), s)?;
            }
        }
        obj.setattr(pyo3::intern!(py, "count"), e.count)?;
        obj.setattr(pyo3::intern!(py, "score"), e.score)?;
        let key = PyTuple::new(py, [nid(u), nid(v), sym(k)])?;
        edges.set_item(key, obj)?;
    }
    let arts = PyDict::new(py);
    for t in titles.unwrap_or_default() {
        arts.set_item(t.pmid, t.title)?;
    }
    PyTuple::new(py, [nodes.into_any(), edges.into_any(), arts.into_any()])
}

/// Each article's title, as `GraphBuilder.add` keeps it: the one title read, or
/// `choose_title(old, new)` (Python) when a PMID comes again (in another file, or after
/// other documents). Continued blocks never come here (see parse.rs).
fn add_titles(py: Python<'_>, r: &Rules, into: &mut finish::Titles, titles: Vec<(Box<str>, Box<str>)>) -> PyResult<()> {
    for (pmid, title) in titles {
        let hash = state::hash_str(&pmid);
        match into.find_mut(hash, |t| finish::is_of(py, t, &pmid)) {
            None => {
                let (pmid, title) = (PyString::new(py, &pmid).unbind(), PyString::new(py, &title).unbind());
                into.insert_unique(hash, finish::Title { hash, pmid, title }, |t| t.hash);
            }
            Some(old) => {
                let chosen = r.choose_title.bind(py).call1((old.title.bind(py), &*title))?;
                old.title = chosen.downcast_into::<PyString>()?.unbind();
            }
        }
    }
    Ok(())
}

/// The error the Python reader raises for the first problem of a strict read.
fn fatal_error(py: Python<'_>, paths: &[String], f: &Fatal) -> PyResult<PyErr> {
    let (reason, file, lineno, text) = match f {
        Fatal::Parse(r) => (reason_text(py, &r.reason)?, r.file, r.lineno, r.text.clone()),
        Fatal::Unresolved(u) => (unresolved_reason(py, u)?, u.rel.file, u.rel.lineno,
                                 format!("{}\t{}\t{}\t{}", u.rel.pmid, u.rel.typ, u.rel.id1, u.rel.id2)),
    };
    let cls = py.import("kg.errors")?.getattr("ParseError")?;
    Ok(PyErr::from_value(cls.call1((reason, &paths[file], lineno, text))?))
}

fn input_error(py: Python<'_>, message: String) -> PyResult<PyErr> {
    let cls = py.import("kg.errors")?.getattr("InputError")?;
    Ok(PyErr::from_value(cls.call1((message,))?))
}

/// Test hook: Python's `str.isspace`, as compiled in (uni.rs).
#[pyfunction]
fn _py_isspace(s: &str) -> bool {
    uni::is_space_str(s)
}

/// Test hook: `pmids` in the order the finish gives them (`kg.normalize.sort_pmids`'s).
#[pyfunction]
fn _sort_pmids(pmids: Vec<String>) -> Option<Vec<String>> {
    finish::pmid_order(&pmids).map(|order| order.into_iter().map(|i| pmids[i as usize].clone()).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ReadResult>()?;
    m.add_function(wrap_pyfunction!(read_files, m)?)?;
    m.add_function(wrap_pyfunction!(_py_isspace, m)?)?;
    m.add_function(wrap_pyfunction!(_sort_pmids, m)?)?;
    Ok(())
}
