//! Files -> chunks (cut at blank lines) -> worker threads, each with its own State;
//! chunk results are put back in file/line order.

use crate::rules::Rules;
use crate::parse::{parse_chunk, ChunkOut, Ctx, IoWhy};
use crate::state::{Opts, State};
use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

/// What a worker reports to the calling thread after each chunk.
pub struct Event {
    /// bytes of the file as stored (gzip: compressed) read for this chunk
    pub raw_bytes: u64,
    pub docs: u64,
    /// (PMID, title) of the chunk's documents (when articles are kept)
    pub titles: Vec<(Box<str>, Box<str>)>,
}

/// Counts the bytes read from a file, for progress.
struct Counting<R> {
    inner: R,
    n: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

pub struct Task {
    pub file: usize,
    pub chunk: usize,
    pub data: Vec<u8>,
    pub first_lineno: u64,
    /// the stream broke after `data` (message as Python would word it)
    pub broken: Option<IoWhy>,
    pub raw_bytes: u64,
}

pub struct Outcome {
    pub state: State,
    pub chunks: Vec<Vec<ChunkOut>>, // per file, per chunk index
    pub broken: Vec<Option<IoWhy>>,  // per file
    /// seconds reading in the threads, then merging their states
    pub seconds: (f64, f64),
}

/// Positions just after a blank line ("\n\n" or "\n\r\n") in buf[from..], last first.
fn boundaries(buf: &[u8], from: usize) -> impl Iterator<Item = usize> + '_ {
    let lo = from.saturating_sub(2);
    memchr::memrchr_iter(b'\n', &buf[lo..]).filter_map(move |i| {
        let i = lo + i; // a line ends at i; is that line empty or "\r"?
        let blank = (i >= 1 && buf[i - 1] == b'\n') || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n');
        blank.then_some(i + 1)
    })
}

/// How many lines before a cut are looked at for the PMID of the document before it.
const LOOK_BACK: usize = 64;

/// The PMIDs a line could carry, as the parser reads a title line (before the first `|`)
/// or a tab-separated line (before the first tab); none for a blank or comment line.
fn line_tokens(line: &[u8], out: &mut Vec<Box<str>>) {
    let text = String::from_utf8_lossy(line);
    let line = crate::uni::strip(text.trim_start_matches('\u{feff}'));
    if line.is_empty() || line.starts_with('#') {
        return;
    }
    for sep in ['|', '\t'] {
        let token = crate::uni::strip(line.split(sep).next().unwrap_or(""));
        out.push(token.into());
    }
}

/// Tokens of the last `LOOK_BACK` lines (with tokens) of buf[..end].
fn tokens_before(buf: &[u8], end: usize) -> Vec<Box<str>> {
    let mut out = Vec::new();
    let mut lines = 0;
    let mut stop = end;
    for i in memchr::memrchr_iter(b'\n', &buf[..end]).chain(std::iter::once(usize::MAX)) {
        let from = if i == usize::MAX { 0 } else { i + 1 };
        let n = out.len();
        line_tokens(&buf[from..stop], &mut out);
        lines += usize::from(out.len() > n);
        if lines >= LOOK_BACK || i == usize::MAX {
            break;
        }
        stop = i;
    }
    out
}

/// Tokens of the first `LOOK_BACK` lines (with tokens) of buf[..], None unless a blank
/// line follows one of them (the first document after the cut is then complete).
fn tokens_after(buf: &[u8]) -> Option<Vec<Box<str>>> {
    let mut out = Vec::new();
    let (mut lines, mut complete) = (0, false);
    let mut rest = buf;
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        let n = out.len();
        line_tokens(line, &mut out);
        if out.len() > n {
            lines += 1;
        } else if lines > 0 && crate::uni::strip(&String::from_utf8_lossy(line)).is_empty() {
            complete = true;
        }
        if lines >= LOOK_BACK {
            break;
        }
    }
    (complete || lines >= LOOK_BACK).then_some(out)
}

/// Where to cut buf (just after a blank line in the data read last, buf[from..]; the
/// earlier ones were passed over already): never between two blocks
/// that may be one article (consecutive blocks of one PMID, see GraphBuilder.add), whose
/// blocks one worker must read together. A cut is taken when none of the PMIDs the lines
/// after it could carry (up to `LOOK_BACK` lines, a complete block at least) is one the
/// lines before it could carry (the last `LOOK_BACK`, with `before`: the previous chunk's).
fn cut_point(buf: &[u8], from: usize, before: &[Box<str>]) -> Option<usize> {
    for cut in boundaries(buf, from) {
        let Some(after) = tokens_after(&buf[cut..]) else { continue };
        let mut prior: rustc_hash::FxHashSet<Box<str>> = tokens_before(buf, cut).into_iter().collect();
        if prior.len() < 2 * LOOK_BACK {
            prior.extend(before.iter().cloned());
        }
        if !after.iter().any(|t| prior.contains(t)) {
            return Some(cut);
        }
    }
    None
}

fn io_why(e: &std::io::Error, gz: bool) -> String {
    use std::io::ErrorKind;
    if gz {
        let msg = e.to_string();
        if let Some(m) = msg.strip_prefix(crate::gz::PY_MSG) {
            return m.to_string();
        }
        if e.kind() == ErrorKind::UnexpectedEof {
            return "EOFError: Compressed file ended before the end-of-stream marker was reached".into();
        }
        if msg.contains("header") {
            return format!("BadGzipFile: Not a gzipped file ({msg})");
        }
        if msg.contains("checksum") {
            return format!("BadGzipFile: CRC check failed ({msg})");
        }
        return format!("error: Error -3 while decompressing data: {msg}");
    }
    match e.raw_os_error() {
        Some(code) => format!("OSError: [Errno {code}] {}", strip_os(&e.to_string())),
        None => format!("OSError: {e}"),
    }
}

fn strip_os(s: &str) -> &str {
    // Rust: "Input/output error (os error 5)" -> Python: "Input/output error"
    match s.rfind(" (os error") {
        Some(i) => &s[..i],
        None => s,
    }
}

fn produce(files: &[String], chunk_size: usize, tx: std::sync::mpsc::SyncSender<Task>, stop: &AtomicU64) {
    for (fi, path) in files.iter().enumerate() {
        if (fi as u64) > stop.load(Ordering::Relaxed) >> 32 {
            break;
        }
        let send_one = |data: Vec<u8>, broken: Option<IoWhy>| {
            let _ = tx.send(Task { file: fi, chunk: 0, data, first_lineno: 1, broken, raw_bytes: 0 });
        };
        let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let mut sent = 0u64;
        let mut raw = || {
            let n = read.get() - sent;
            sent = read.get();
            n
        };
        let f = match File::open(path) {
            Ok(f) => Counting { inner: f, n: read.clone() },
            Err(e) => {
                send_one(Vec::new(), Some(IoWhy::Open(e.to_string())));
                continue;
            }
        };
        let mut f = BufReader::with_capacity(1 << 16, f);
        let mut magic = [0u8; 3];
        let mut got = 0;
        let mut head_err = None;
        while got < 3 {
            match f.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    head_err = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = head_err {
            send_one(Vec::new(), Some(IoWhy::Msg(io_why(&e, false))));
            continue;
        }
        let gz = got >= 2 && magic[..2] == [0x1f, 0x8b];
        let head = magic[..got].to_vec();
        let mut reader: Box<dyn Read> = if gz {
            Box::new(crate::gz::PyGz::new(BufReader::with_capacity(1 << 16, std::io::Cursor::new(head).chain(f))))
        } else {
            Box::new(std::io::Cursor::new(head).chain(f))
        };
        let mut carry: Vec<u8> = Vec::new();
        let mut before: Vec<Box<str>> = Vec::new(); // PMIDs the end of the last chunk could carry
        let mut chunk = 0usize;
        let mut lineno: u64 = 1;
        loop {
            if (((fi as u64) << 32) | chunk as u64) > stop.load(Ordering::Relaxed) {
                break; // strict: an earlier chunk failed; or the caller stopped the run
            }
            let start = carry.len();
            let want = chunk_size.max(1);
            carry.reserve(want);
            let mut filled = 0usize;
            let mut broken: Option<IoWhy> = None;
            let mut eof = false;
            while filled < want {
                let len = carry.len();
                carry.resize(len + (want - filled).clamp(1, 1 << 20), 0);
                match reader.read(&mut carry[len..]) {
                    Ok(0) => {
                        carry.truncate(len);
                        eof = true;
                        break;
                    }
                    Ok(k) => {
                        carry.truncate(len + k);
                        filled += k;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => carry.truncate(len),
                    Err(e) => {
                        carry.truncate(len);
                        broken = Some(IoWhy::Msg(io_why(&e, gz)));
                        break;
                    }
                }
            }
            if eof || broken.is_some() {
                let data = std::mem::take(&mut carry);
                let _ = tx.send(Task { file: fi, chunk, data, first_lineno: lineno, broken, raw_bytes: raw() });
                break;
            }
            if let Some(cut) = cut_point(&carry, start, &before) {
                let rest = carry[cut..].to_vec();
                carry.truncate(cut);
                let data = std::mem::replace(&mut carry, rest);
                before = tokens_before(&data, data.len());
                let nl = memchr::memchr_iter(b'\n', &data).count() as u64;
                let _ = tx.send(Task { file: fi, chunk, data, first_lineno: lineno, broken: None,
                                       raw_bytes: raw() });
                lineno += nl;
                chunk += 1;
            }
        }
    }
}

/// Read `files` on `threads` workers; `on_event` runs on the calling thread for each chunk
/// done and returns false to stop the run (the outcome is then incomplete: the caller
/// knows why and throws it away).
pub fn run(files: Vec<String>, r: &Rules, o: &Opts, threads: usize, chunk_size: usize,
           on_event: &mut dyn FnMut(Event) -> bool) -> Outcome {
    let threads = threads.max(1);
    let (tx, rx) = sync_channel::<Task>(threads * 2);
    let rx: Arc<Mutex<Receiver<Task>>> = Arc::new(Mutex::new(rx));
    // strict: key (file << 32 | chunk) of the first chunk known to fail; later ones are skipped
    let stop = AtomicU64::new(u64::MAX);
    let nfiles = files.len();
    let (etx, erx) = sync_channel::<Event>(threads * 4);
    let started = std::time::Instant::now();
    let mut aborted = false;
    let (states, results) = std::thread::scope(|s| {
        let stop = &stop;
        let files_ref = &files;
        let producer = s.spawn(move || produce(files_ref, chunk_size, tx, stop));
        let mut handles = Vec::new();
        for _ in 0..threads {
            let rx = rx.clone();
            let etx = etx.clone();
            handles.push(s.spawn(move || crate::rules::with_thread_state(|| {
                let mut st = State::default();
                let mut outs: Vec<(usize, usize, ChunkOut, Option<IoWhy>)> = Vec::new();
                loop {
                    let task = {
                        let guard = rx.lock().unwrap();
                        guard.recv()
                    };
                    let Ok(task) = task else { break };
                    let key = ((task.file as u64) << 32) | task.chunk as u64;
                    let mut out = ChunkOut::default();
                    if key < stop.load(Ordering::Relaxed) {
                        let cx = Ctx { r, o, file: task.file };
                        parse_chunk(&cx, &mut st, &task.data, task.first_lineno, task.broken.is_some(), &mut out);
                        let failed = out.fatal.is_some() || (o.strict && task.broken.is_some());
                        if failed {
                            stop.fetch_min(key, Ordering::Relaxed);
                        }
                        if r.failed() {
                            stop.store(0, Ordering::Relaxed); // a Python rule raised: the read is abandoned
                        }
                    }
                    let titles = std::mem::take(&mut st.titles);
                    let _ = etx.send(Event { raw_bytes: task.raw_bytes, docs: out.docs, titles });
                    outs.push((task.file, task.chunk, out, task.broken));
                }
                (st, outs)
            })));
        }
        drop(etx);
        for ev in erx.iter() {
            if !aborted && !on_event(ev) {
                aborted = true;
                stop.store(0, Ordering::Relaxed);
            }
        }
        producer.join().unwrap();
        let mut states = Vec::new();
        let mut results = Vec::new();
        for h in handles {
            let (st, outs) = h.join().unwrap();
            states.push(st);
            results.extend(outs);
        }
        (states, results)
    });
    let mut chunks: Vec<Vec<Option<ChunkOut>>> = (0..nfiles).map(|_| Vec::new()).collect();
    let mut broken: Vec<Option<IoWhy>> = vec![None; nfiles];
    for (fi, ci, out, br) in results {
        let v = &mut chunks[fi];
        if v.len() <= ci {
            v.resize_with(ci + 1, || None);
        }
        v[ci] = Some(out);
        if br.is_some() {
            broken[fi] = br;
        }
    }
    let read = started.elapsed().as_secs_f64();
    let mut it = states.into_iter();
    let mut state = it.next().unwrap_or_default();
    for other in it {
        state.merge(other);
    }
    let chunks = chunks.into_iter().map(|v| v.into_iter().map(|c| c.unwrap_or_default()).collect()).collect();
    Outcome { state, chunks, broken, seconds: (read, started.elapsed().as_secs_f64() - read) }
}

