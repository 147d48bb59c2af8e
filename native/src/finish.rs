//! kg/builder.py's GraphBuilder._finish (finish_node, finish_edge): the merged state -> the
//! graph's rows in sorted order, so that Python only assembles the NetworkX dicts. Names
//! are chosen by Python's `choose_name` (for nodes with more than one form); PMID order is
//! `sort_pmids`'s, made here (tests/test_native.py checks it against `sort_pmids`).

use crate::rules::Rules;
use crate::state::{hash_str, Node, State};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

fn decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// An article's title as chosen so far, with its PMID as a Python str (the table is keyed
/// by the PMID's text through that str: no second copy of it).
pub struct Title {
    pub hash: u64,
    pub pmid: Py<PyString>,
    pub title: Py<PyString>,
}

/// Article titles by PMID, made on the calling thread while the workers read.
pub type Titles = hashbrown::HashTable<Title>;

/// Whether `t` is the title of `pmid`.
pub fn is_of(py: Python<'_>, t: &Title, pmid: &str) -> bool {
    t.pmid.bind(py).to_str().is_ok_and(|k| k == pmid)
}

/// `kg.normalize.pmid_sort_key`: ASCII-digit ids by value (length without leading zeros,
/// then the value itself up to 19 digits, then the digits) then text, then the rest by text
/// (code point order, which is UTF-8 byte order).
fn pmid_key(s: &str) -> (bool, usize, u64, &str, &str) {
    if decimal(s) {
        let digits = s.trim_start_matches('0');
        let value = if digits.len() <= 19 { digits.parse().unwrap_or(0) } else { 0 };
        (false, digits.len(), value, digits, s)
    } else {
        (true, 0, 0, "", s)
    }
}

/// Positions of `pmids` in `sort_pmids` order; None when Python must sort (`int()`
/// refuses very long numbers: sys.get_int_max_str_digits).
pub fn pmid_order<S: AsRef<str>>(pmids: &[S]) -> Option<Vec<u32>> {
    if pmids.iter().any(|s| decimal(s.as_ref()) && s.as_ref().len() > 640) {
        return None;
    }
    let keys: Vec<_> = pmids.iter().map(|s| pmid_key(s.as_ref())).collect();
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    Some(order)
}

/// A node's name: its one form, `choose_name` of several (Python: with the abbreviation
/// pairs its texts attest), or its id.
fn name<'py>(py: Python<'py>, r: &Rules, n: &Node, syms: &[Bound<'py, PyString>], id: &Bound<'py, PyString>)
             -> PyResult<Bound<'py, PyAny>> {
    let forms = &n.forms;
    if forms.len() == 1 {
        // choose_name of one form is that form (no other form to prefer)
        return Ok(PyString::new(py, forms.keys().next().unwrap()).into_any());
    }
    if forms.is_empty() {
        return Ok(id.clone().into_any());
    }
    let d = PyDict::new(py);
    for (f, c) in forms {
        d.set_item(&**f, PyList::new(py, [c[0], c[1]])?)?;
    }
    let pairs = PyList::new(py, n.pairs.iter().map(|&(a, b)| (&syms[a as usize], &syms[b as usize])))?;
    let chosen = r.choose_name.bind(py).call1((d, pairs))?;
    Ok(if chosen.is_none() { id.clone().into_any() } else { chosen })
}

/// Give freed heap memory back to the system: the state was built in worker threads'
/// malloc arenas, which the Python objects made from it do not reuse.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only returns free pages; it takes no pointers.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Each string's rank in code point order.
fn rank_by_text(texts: Vec<&str>) -> Vec<u32> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_unstable_by_key(|&i| texts[i]);
    let mut rank = vec![0u32; texts.len()];
    order.iter().enumerate().for_each(|(r, &i)| rank[i] = r as u32);
    rank
}

/// `(node_rows, type_conflicts, edge_rows, articles)` as `GraphBuilder._finish` returns
/// them, or `Err(titles)` to leave the whole finish to Python (`wanted` false, or what
/// Python's rules decide). Consumes the state's edges and PMID lists as it goes, to keep
/// the peak memory low.
pub fn finish<'py>(py: Python<'py>, r: &Rules, st: &mut State, wanted: bool, articles: Option<Titles>)
                  -> PyResult<Result<Bound<'py, PyTuple>, Option<Titles>>> {
    let order = match pmid_order(&st.pmids.strs) {
        Some(order) if wanted && !st.nodes.iter().any(|n| n.exists && n.types.is_empty()) => order,
        _ => return Ok(Err(articles)), // (a node without a type: Python's max() raises; let it)
    };
    let articles_kept = articles.is_some();
    let mut rank = vec![0u32; order.len()];
    for (i, &p) in order.iter().enumerate() {
        rank[p as usize] = i as u32;
    }
    st.sort_lists(Some(&rank));
    // one Python str per PMID serves as the titles' keys and in every PMID list
    let mut pmid_strs: Vec<Bound<'py, PyString>> = Vec::with_capacity(order.len());
    let arts = PyDict::new(py);
    let mut titles = articles.unwrap_or_default();
    for &p in &order {
        let pmid = st.pmids.s(p);
        match titles.find_entry(hash_str(pmid), |t| is_of(py, t, pmid)) {
            Ok(entry) => {
                let t = entry.remove().0;
                let key = t.pmid.into_bound(py);
                arts.set_item(&key, t.title)?;
                pmid_strs.push(key);
            }
            Err(_) => pmid_strs.push(PyString::new(py, pmid)),
        }
    }
    drop(titles);
    let arts = if articles_kept { arts.into_any() } else { py.None().into_bound(py) };
    st.pmids = Default::default();
    st.drop_indexes();
    release();
    let pmid_list = |v: &[u32]| PyList::new(py, v.iter().map(|&r| &pmid_strs[r as usize]));
    let syms: Vec<Bound<'py, PyString>> = st.syms.strs.iter().map(|s| PyString::new(py, s)).collect();
    let mut node_strs: Vec<Option<Bound<'py, PyString>>> = vec![None; st.nodes.len()];

    // nodes and symbols ranked by their text once, so that edges sort by numbers
    let node_rank = rank_by_text(st.nodes.iter().map(|n| &*n.id).collect());
    let sym_rank = rank_by_text(st.syms.strs.iter().map(|s| &**s).collect());
    let mut ix: Vec<usize> = (0..st.nodes.len()).filter(|&i| st.nodes[i].exists).collect();
    ix.sort_unstable_by_key(|&i| node_rank[i]);
    let (rows, conflicts) = (PyList::empty(py), PyList::empty(py));
    for i in ix {
        let n = &mut st.nodes[i];
        let id = PyString::new(py, &n.id);
        node_strs[i] = Some(id.clone());
        n.types.sort_unstable_by(|a, b| st.syms.s(a.0).cmp(st.syms.s(b.0)));
        let chosen = n.types.iter().max_by_key(|t| t.1).unwrap().0; // ties: the last name, as max((count, name))
        if n.types.len() > 1 {
            let types = PyDict::new(py);
            for &(t, c) in &n.types {
                types.set_item(&syms[t as usize], c)?;
            }
            let d = PyDict::new(py);
            d.set_item(intern!(py, "id"), &id)?;
            d.set_item(intern!(py, "types"), types)?;
            d.set_item(intern!(py, "chosen"), &syms[chosen as usize])?;
            conflicts.append(d)?;
        }
        let mut forms: Vec<(&str, u64)> = n.forms.iter().map(|(f, c)| (&**f, c[0])).collect();
        forms.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let synonyms = PyDict::new(py);
        for (f, c) in forms {
            synonyms.set_item(f, c)?;
        }
        let attrs = PyDict::new(py);
        attrs.set_item(intern!(py, "type"), &syms[chosen as usize])?;
        attrs.set_item(intern!(py, "name"), name(py, r, n, &syms, &id)?)?;
        attrs.set_item(intern!(py, "synonyms"), synonyms)?;
        attrs.set_item(intern!(py, "mentions"), n.mentions)?;
        attrs.set_item(intern!(py, "pmids"), pmid_list(&n.pmids)?)?;
        if !n.xrefs.is_empty() {
            n.xrefs.sort_unstable_by_key(|&x| sym_rank[x as usize]);
            attrs.set_item(intern!(py, "xrefs"), PyList::new(py, n.xrefs.iter().map(|&x| &syms[x as usize]))?)?;
        }
        n.pmids = Vec::new();
        n.forms = Default::default();
        rows.append((id, attrs))?;
    }
    release();

    let mut edges: Vec<_> = std::mem::take(&mut st.edges).into_iter().collect();
    let nodes = &st.nodes;
    edges.sort_unstable_by_key(|&((u, v, k), _)| (node_rank[u as usize], node_rank[v as usize], sym_rank[k as usize]));
    let edge_rows = PyList::empty(py);
    for ((u, v, k), mut e) in edges {
        let mut node_str = |i: u32| {
            node_strs[i as usize].get_or_insert_with(|| PyString::new(py, &nodes[i as usize].id)).clone()
        };
        let (u, v) = (node_str(u), node_str(v));
        e.source_types.sort_unstable_by(|a, b| st.syms.s(*a).cmp(st.syms.s(*b)));
        let attrs = PyDict::new(py);
        attrs.set_item(intern!(py, "pmids"), pmid_list(&e.pmids)?)?;
        attrs.set_item(intern!(py, "count"), e.pmids.len())?;
        attrs.set_item(intern!(py, "mentions"), e.count)?;
        attrs.set_item(intern!(py, "source_types"), PyList::new(py, e.source_types.iter().map(|&s| &syms[s as usize]))?)?;
        if let Some(novel) = &e.novel {
            attrs.set_item(intern!(py, "novel"), pmid_list(novel)?)?;
        }
        if let Some(score) = e.score {
            attrs.set_item(intern!(py, "score"), score)?;
        }
        edge_rows.append((u, v, &syms[k as usize], attrs))?;
    }
    release();

    Ok(Ok(PyTuple::new(py, [rows.into_any(), conflicts.into_any(), edge_rows.into_any(), arts])?))
}
