//! kg's rules, applied by calling their one definition in Python (`kg/normalize.py`, handed
//! over by `kg/native.py`) on distinct values: the state caches each answer (per worker
//! thread), so Python runs once per distinct annotation type/id, relation type, relation id,
//! note, pair of relation sides, and the GIL is taken only on a cache miss.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The Python functions and the small tables the parser needs.
pub struct Rules {
    resolve_annotation: Py<PyAny>,
    relation_type: Py<PyAny>,
    relation_note: Py<PyAny>,
    relation_pairs: Py<PyAny>,
    relation_ref: Py<PyAny>,
    scoped_id: Py<PyAny>,
    type_column_problem: Py<PyAny>,
    abbreviation_pair: Py<PyAny>,
    offset_problem: Py<PyAny>,
    pub choose_name: Py<PyAny>,
    pub choose_title: Py<PyAny>,
    /// suffix of a node id scoped to its document (`kg.normalize.DOC_SCOPE`)
    pub doc_scope: String,
    /// types a document-level annotation line may carry (`PMID\ttype\tid`)
    pub doc_level: FxHashSet<String>,
    /// `sys.get_int_max_str_digits()`: `int()` refuses longer offsets
    pub int_max_digits: usize,
    failed: AtomicBool,
    error: Mutex<Option<PyErr>>,
    /// answers one worker got, for the others (each asks its own cache first); never held
    /// while the GIL is taken
    shared: Mutex<Shared>,
}

type Triple = (String, String, String);
/// A relation line's two sides (node ids) and whether its type is directed; its edges.
type Sides = (Vec<String>, Vec<String>, bool);
type Pairs = Arc<Vec<(String, String)>>;

#[derive(Default)]
struct Shared {
    resolved: FxHashMap<Triple, Arc<Resolved>>,
    pairs: FxHashMap<Sides, Pairs>,
    abbreviations: FxHashMap<Triple, Option<(String, String)>>,
}

fn triple(a: &str, b: &str, c: &str) -> Triple {
    (a.to_string(), b.to_string(), c.to_string())
}

/// `kg.normalize.resolve_annotation`'s answer, as strings.
#[derive(Default)]
pub struct Resolved {
    pub etype: String,
    pub ids: Vec<String>,
    pub pieces: Vec<Option<String>>,
    pub xrefs: Vec<Vec<String>>,
    pub aliases: Vec<(String, Vec<String>)>,
    pub unusable: bool,
}

impl Resolved {
    fn from_py(r: &Bound<'_, PyAny>) -> PyResult<Resolved> {
        Ok(Resolved {
            etype: r.getattr("type")?.extract()?,
            ids: r.getattr("ids")?.extract()?,
            pieces: r.getattr("pieces")?.extract()?,
            xrefs: r.getattr("xrefs")?.extract()?,
            aliases: r.getattr("aliases")?.extract()?,
            unusable: r.getattr("unusable")?.is_truthy()?,
        })
    }
}

/// A relation type: edge key, whether the vocabulary knows it, whether it is directed.
#[derive(Default)]
pub struct RelType {
    pub key: String,
    pub known: bool,
    pub directed: bool,
}

/// How a relation id that its document's annotations do not name as written is looked up.
#[derive(Default)]
pub struct RefLookup {
    /// a typed id `Type|ID`: (type, id), resolved like an annotation
    pub typed: Option<(String, String)>,
    /// groups of alias keys, tried in order (the first group with a hit wins)
    pub groups: Vec<Vec<String>>,
}

impl Rules {
    pub fn from_py(d: &Bound<'_, PyDict>) -> PyResult<Rules> {
        let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
            d.get_item(k)?.ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("missing rule {k}")))
        };
        let f = |k: &str| -> PyResult<Py<PyAny>> { Ok(get(k)?.unbind()) };
        Ok(Rules {
            resolve_annotation: f("resolve_annotation")?,
            relation_type: f("relation_type")?,
            relation_note: f("relation_note")?,
            relation_pairs: f("relation_pairs")?,
            relation_ref: f("relation_ref")?,
            scoped_id: f("scoped_id")?,
            type_column_problem: f("type_column_problem")?,
            abbreviation_pair: f("abbreviation_pair")?,
            offset_problem: f("offset_problem")?,
            choose_name: f("choose_name")?,
            choose_title: f("choose_title")?,
            doc_scope: get("doc_scope")?.extract()?,
            doc_level: get("doc_level")?.extract::<Vec<String>>()?.into_iter().collect(),
            int_max_digits: get("int_max_digits")?.extract()?,
            failed: AtomicBool::new(false),
            error: Mutex::new(None),
            shared: Mutex::default(),
        })
    }

    /// Run `f` holding the GIL; an exception is kept (the first one) and stops the read,
    /// and the caller goes on with `T::default()` until the workers stop.
    fn call<T: Default>(&self, f: impl FnOnce(Python<'_>) -> PyResult<T>) -> T {
        if self.failed() {
            return T::default();
        }
        Python::attach(|py| match f(py) {
            Ok(v) => v,
            Err(e) => {
                self.failed.store(true, Ordering::Relaxed);
                self.error.lock().unwrap().get_or_insert(e);
                T::default()
            }
        })
    }

    /// Whether a Python rule raised (the read is then abandoned).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    pub fn take_error(&self) -> Option<PyErr> {
        self.error.lock().unwrap().take()
    }

    pub fn resolve_annotation(&self, raw_type: &str, raw_id: &str, extra: &str) -> Arc<Resolved> {
        self.resolve_annotations(&[(raw_type, raw_id, extra)]).pop().unwrap_or_default()
    }

    /// `resolve_annotation` of each key, those no worker asked before in one call (one GIL
    /// acquisition).
    pub fn resolve_annotations(&self, keys: &[(&str, &str, &str)]) -> Vec<Arc<Resolved>> {
        let mut out: Vec<Option<Arc<Resolved>>> = {
            let shared = self.shared.lock().unwrap();
            keys.iter().map(|&(a, b, c)| shared.resolved.get(&triple(a, b, c)).cloned()).collect()
        };
        let missing: Vec<(&str, &str, &str)> = keys.iter().zip(&out).filter(|(_, o)| o.is_none()).map(|(k, _)| *k).collect();
        if !missing.is_empty() {
            let got: Vec<Resolved> = self.call(|py| {
                let f = self.resolve_annotation.bind(py);
                missing.iter().map(|k| Resolved::from_py(&f.call1(*k)?)).collect()
            });
            let mut got = got.into_iter().map(Arc::new);
            let mut shared = self.shared.lock().unwrap();
            for (k, o) in keys.iter().zip(out.iter_mut()) {
                if o.is_none() {
                    let r = got.next().unwrap_or_default();
                    if !self.failed() {
                        shared.resolved.insert(triple(k.0, k.1, k.2), r.clone());
                    }
                    *o = Some(r);
                }
            }
        }
        out.into_iter().map(Option::unwrap_or_default).collect()
    }

    pub fn relation_type(&self, raw: &str) -> RelType {
        self.call(|py| {
            let (key, known, directed) = self.relation_type.bind(py).call1((raw,))?.extract()?;
            Ok(RelType { key, known, directed })
        })
    }

    /// A relation line's 5th column: (novel, score).
    pub fn relation_note(&self, text: &str) -> (bool, Option<f64>) {
        self.call(|py| self.relation_note.bind(py).call1((text,))?.extract())
    }

    /// The edges `(u, v)` one relation line makes between its two sides' node ids.
    pub fn relation_pairs(&self, left: &[&str], right: &[&str], directed: bool) -> Pairs {
        let owned = |side: &[&str]| side.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let key = (owned(left), owned(right), directed);
        if let Some(p) = self.shared.lock().unwrap().pairs.get(&key) {
            return p.clone();
        }
        let p: Pairs = Arc::new(self.call(|py| {
            let (l, r) = (PyList::new(py, left)?, PyList::new(py, right)?);
            self.relation_pairs.bind(py).call1((l, r, directed))?.extract()
        }));
        if !self.failed() {
            self.shared.lock().unwrap().pairs.insert(key, p.clone());
        }
        p
    }

    pub fn relation_ref(&self, raw: &str) -> RefLookup {
        self.call(|py| {
            let (typed, groups) = self.relation_ref.bind(py).call1((raw,))?.extract()?;
            Ok(RefLookup { typed, groups })
        })
    }

    /// A document-scoped node id completed with its document's PMID.
    pub fn scoped_id(&self, node_id: &str, pmid: &str) -> String {
        self.call(|py| self.scoped_id.bind(py).call1((node_id, pmid))?.extract())
    }

    /// Why an annotation's type column is not a type (None: it may be one).
    pub fn type_column_problem(&self, raw: &str) -> Option<String> {
        self.call(|py| self.type_column_problem.bind(py).call1((raw,))?.extract())
    }

    /// Why a non-ASCII second column that is not a relation type is rejected (Python's
    /// `str.isdigit` takes `²`), or None.
    pub fn offset_problem(&self, raw: &str) -> Option<String> {
        self.call(|py| self.offset_problem.bind(py).call1((raw,))?.extract())
    }

    /// `abbreviation_pair(text, prev_end, prev_form, start, end, form)`: (short, long).
    pub fn abbreviation_pair(&self, text: &str, prev_end: usize, prev_form: &str, start: usize, end: usize,
                             form: &str) -> Option<(String, String)> {
        let key = triple(text, prev_form, form); // (the offsets follow from these)
        if let Some(p) = self.shared.lock().unwrap().abbreviations.get(&key) {
            return p.clone();
        }
        let p: Option<(String, String)> =
            self.call(|py| self.abbreviation_pair.bind(py).call1((text, prev_end, prev_form, start, end, form))?.extract());
        if !self.failed() {
            self.shared.lock().unwrap().abbreviations.insert(key, p.clone());
        }
        p
    }

    /// Python's `str.lower()` of a non-ASCII text.
    pub fn lower(&self, text: &str) -> String {
        self.call(|py| PyString::new(py, text).call_method0("lower")?.extract())
    }
}

/// Run `f` (a worker thread's whole work) with a Python thread state made once for the
/// thread, the GIL released: the rules' calls then only take the GIL, instead of making
/// and freeing a thread state (and its frame stack: mmap, page faults) on every call.
pub fn with_thread_state<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    Python::attach(|py| py.detach(f))
}
