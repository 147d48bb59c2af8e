//! gzip reading with the member rules of Python's gzip module: members one after another,
//! zero padding after a member skipped, anything else after a member is an error.

use flate2::bufread::GzDecoder;
use std::io::{self, BufRead, Read};

pub struct PyGz<R: BufRead> {
    dec: Option<GzDecoder<R>>,
    /// a Python-worded error waiting to be returned
    failed: Option<String>,
}

/// Error kinds that carry Python's own words, recognised by `driver::io_why`.
pub const PY_MSG: &str = "\u{0}py:";

fn py_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') { '"' } else { '\'' };
    let mut s = String::from("b");
    s.push(quote);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c as char == quote => {
                s.push('\\');
                s.push(quote)
            }
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

fn header_check(r: &mut impl BufRead) -> io::Result<Option<String>> {
    let buf = r.fill_buf()?;
    if buf.len() >= 3 && buf[..2] == [0x1f, 0x8b] && buf[2] != 8 {
        return Ok(Some("BadGzipFile: Unknown compression method".into()));
    }
    Ok(None)
}

impl<R: BufRead> PyGz<R> {
    pub fn new(mut r: R) -> Self {
        match header_check(&mut r) {
            Ok(Some(msg)) => PyGz { dec: None, failed: Some(msg) },
            _ => PyGz { dec: Some(GzDecoder::new(r)), failed: None },
        }
    }

    /// After a member: skip zero bytes, then expect another member or the end.
    fn next_member(&mut self, mut r: R) -> io::Result<bool> {
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let zeros = buf.iter().take_while(|&&b| b == 0).count();
            if zeros == 0 {
                break;
            }
            r.consume(zeros);
        }
        let mut magic = Vec::with_capacity(2);
        while magic.len() < 2 {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let need = (2 - magic.len()).min(buf.len());
            magic.extend_from_slice(&buf[..need]);
            if magic == [0x1f, 0x8b] {
                break;
            }
            r.consume(need);
        }
        if magic != [0x1f, 0x8b] {
            self.failed = Some(format!("BadGzipFile: Not a gzipped file ({})", py_bytes_repr(&magic)));
            return Ok(false);
        }
        if let Some(msg) = header_check(&mut r)? {
            self.failed = Some(msg);
            return Ok(false);
        }
        self.dec = Some(GzDecoder::new(r));
        Ok(true)
    }
}

impl<R: BufRead> Read for PyGz<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(msg) = self.failed.take() {
                return Err(io::Error::other(format!("{PY_MSG}{msg}")));
            }
            let Some(dec) = self.dec.as_mut() else { return Ok(0) };
            let n = dec.read(out)?;
            if n > 0 || out.is_empty() {
                return Ok(n);
            }
            let r = self.dec.take().unwrap().into_inner();
            if !self.next_member(r)? && self.failed.is_none() {
                return Ok(0);
            }
        }
    }
}
