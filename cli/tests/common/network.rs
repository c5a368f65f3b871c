//! Chain test infrastructure: a real `anvil` node ([`Anvil`]), a minimal
//! blocking JSON-RPC client ([`rpc`]) and a fault-injecting JSON-RPC proxy
//! ([`FaultProxy`]) that sits between a client under test and the node.
//!
//! Everything here uses std and `serde_json` only.
//!
//! Facts about anvil 1.7.1 that the tests in `chain_harness.rs` pin down:
//!
//! * With `--slots-in-an-epoch 1` the `safe` tag is `latest - 1` and the
//!   `finalized` tag is `latest - 2` (saturating at block 0).
//! * `anvil_reorg` takes `[depth, txBlockPairs]`: `depth` a JSON *number*
//!   (a hex string is rejected), `txBlockPairs` a list of `[tx, blockOffset]`
//!   (both elements required, `[]` for none). The replaced blocks keep their
//!   numbers but get new hashes.
//! * Transactions in reorged-out blocks are *dropped*: they do not return to
//!   the mempool, are not re-mined, and the sender's nonce goes back; the
//!   same signed transaction can be re-broadcast and is mined again.
//! * Automine is asynchronous: `eth_sendTransaction` / `eth_sendRawTransaction`
//!   return the hash before the block exists; poll ([`Anvil::wait_receipt`]).
//! * anvil's own "nonce too low" has code -32003 (geth: -32000).
//! * `evm_snapshot` ids are single-use: `evm_revert` consumes them.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Dev accounts
// ---------------------------------------------------------------------------

/// Private keys of anvil's first three default dev accounts (mnemonic
/// "test test … junk"), hex with `0x`.
pub const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// Addresses (EIP-55 checksummed) belonging to [`DEV_KEYS`], same order.
pub const DEV_ADDRESSES: [&str; 3] = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
];

/// Anvil's default chain id.
pub const ANVIL_CHAIN_ID: u64 = 31337;

// ---------------------------------------------------------------------------
// Locating anvil
// ---------------------------------------------------------------------------

/// The anvil binary: `$PROVENANT_ANVIL`, else `<workspace>/node_modules/.bin/anvil`,
/// else `anvil` on `PATH`. Panics when none exists: chain tests must fail, not skip.
pub fn anvil_path() -> PathBuf {
    const HINT: &str =
        "run `npm ci` at the repository root (scripts/test.sh does) or set PROVENANT_ANVIL";
    if let Some(p) = std::env::var_os("PROVENANT_ANVIL") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return p;
        }
        panic!(
            "anvil not found: PROVENANT_ANVIL={} is not a file; {HINT}",
            p.display()
        );
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    if local.is_file() {
        return local;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("anvil");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("anvil not found: {HINT}");
}

/// A free loopback port (bind port 0, read it, release it; racy by nature).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

// ---------------------------------------------------------------------------
// Anvil
// ---------------------------------------------------------------------------

/// A running anvil child process on a loopback port; killed on drop.
#[derive(Debug)]
pub struct Anvil {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The port anvil listens on.
    pub port: u16,
    child: Child,
    stderr_path: PathBuf,
}

impl Anvil {
    /// Starts anvil with the harness defaults (see [`Anvil::start_with`]).
    pub fn start() -> Anvil {
        Anvil::start_with(&[])
    }

    /// Starts `anvil --host 127.0.0.1 --port P --slots-in-an-epoch 1 --silent ARGS…`
    /// and waits (≤ 15 s) until it answers `eth_chainId`. Retries with another
    /// port when the picked one turns out to be taken; panics with anvil's
    /// stderr on any other failure.
    pub fn start_with(args: &[&str]) -> Anvil {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let bin = anvil_path();
        let mut last_err = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let stderr_path = std::env::temp_dir().join(format!(
                "provenant-anvil-{}-{}-{port}.stderr",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ));
            let stderr_file =
                std::fs::File::create(&stderr_path).expect("create anvil stderr file");
            let port_s = port.to_string();
            let child = Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", &port_s])
                .args(["--slots-in-an-epoch", "1", "--silent"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr_file)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            let mut anvil = Anvil {
                url: format!("http://127.0.0.1:{port}"),
                port,
                child,
                stderr_path,
            };
            match anvil.wait_ready(Duration::from_secs(15)) {
                Ok(()) => return anvil,
                Err(e) => {
                    let stderr = anvil.stderr();
                    if stderr.contains("in use") {
                        last_err = stderr;
                        continue; // port race: drop (kills) and retry
                    }
                    panic!("anvil did not start ({e}); stderr:\n{stderr}");
                }
            }
        }
        panic!("anvil could not bind a free port after 5 attempts; last stderr:\n{last_err}");
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("exited with {status}"));
            }
            if rpc_with_timeout(&self.url, "eth_chainId", json!([]), Duration::from_secs(1)).is_ok()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("no answer within {limit:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// What anvil wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// A JSON-RPC call against this node.
    pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
        rpc(&self.url, method, params)
    }

    /// Like [`Anvil::rpc`] but panics (with method and error) on failure.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.rpc(method, params.clone())
            .unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    /// Mines `n` blocks (`anvil_mine`).
    pub fn mine(&self, n: u64) {
        self.call("anvil_mine", json!([hex_u64(n)]));
    }

    /// The latest block number.
    pub fn block_number(&self) -> u64 {
        parse_hex_u64(&self.call("eth_blockNumber", json!([]))).expect("block number")
    }

    /// `eth_getBlockByNumber(tag, false)`; `tag` is `latest`, `safe`,
    /// `finalized`, `earliest`, `pending` or a hex number. `Null` if absent.
    pub fn block(&self, tag: &str) -> Value {
        self.call("eth_getBlockByNumber", json!([tag, false]))
    }

    /// The block with number `n` (`Null` if absent).
    pub fn block_at(&self, n: u64) -> Value {
        self.block(&hex_u64(n))
    }

    /// Number of the block a tag points at.
    pub fn tag_number(&self, tag: &str) -> u64 {
        parse_hex_u64(&self.block(tag)["number"])
            .unwrap_or_else(|| panic!("block {tag} has no number"))
    }

    /// Replaces the last `depth` blocks with fresh (empty) ones of the same
    /// numbers (`anvil_reorg [depth, []]`). Their transactions are dropped.
    pub fn reorg(&self, depth: u64) {
        self.reorg_with(depth, json!([]));
    }

    /// `anvil_reorg [depth, tx_block_pairs]`; each pair is `[tx, offset]` where
    /// `tx` is a transaction request object or raw signed tx hex and `offset`
    /// the index (0-based) of the new block it goes into.
    pub fn reorg_with(&self, depth: u64, tx_block_pairs: Value) {
        self.call("anvil_reorg", json!([depth, tx_block_pairs]));
    }

    /// Turns automine (a block per transaction) on or off (`evm_setAutomine`).
    pub fn set_auto_mine(&self, on: bool) {
        self.call("evm_setAutomine", json!([on]));
    }

    /// Moves the clock forward by `secs` (`evm_increaseTime`); takes effect on
    /// the next mined block. Returns the accumulated offset anvil reports
    /// (seconds; `evm_revert` shifts it too, so do not rely on exact values).
    pub fn increase_time(&self, secs: u64) -> i64 {
        self.call("evm_increaseTime", json!([secs]))
            .as_i64()
            .expect("evm_increaseTime returns a number")
    }

    /// Takes a state snapshot (`evm_snapshot`); returns its id (hex string).
    pub fn snapshot(&self) -> String {
        self.call("evm_snapshot", json!([]))
            .as_str()
            .expect("snapshot id is a string")
            .to_owned()
    }

    /// Reverts to a snapshot (`evm_revert`); true if it existed. A snapshot
    /// can be reverted to only once.
    pub fn revert(&self, id: &str) -> bool {
        self.call("evm_revert", json!([id])) == Value::Bool(true)
    }

    /// The receipt of a transaction, `None` if it is not (or no longer) mined.
    pub fn tx_receipt(&self, hash: &str) -> Option<Value> {
        match self.call("eth_getTransactionReceipt", json!([hash])) {
            Value::Null => None,
            v => Some(v),
        }
    }

    /// Polls for a receipt for up to `limit`. Needed even with automine:
    /// anvil answers `eth_send*Transaction` before the block holding it is
    /// mined, so a receipt asked for right away can still be missing.
    pub fn wait_receipt(&self, hash: &str, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(r) = self.tx_receipt(hash) {
                return Some(r);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Polls until the latest block number is at least `n` (up to `limit`).
    pub fn wait_block(&self, n: u64, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.block_number() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// `eth_getTransactionCount(address, tag)`.
    pub fn nonce(&self, address: &str, tag: &str) -> u64 {
        parse_hex_u64(&self.call("eth_getTransactionCount", json!([address, tag]))).expect("nonce")
    }

    /// Sends `value` wei from an unlocked dev account (`eth_sendTransaction`);
    /// returns the transaction hash.
    pub fn send_value(&self, from: &str, to: &str, value: u64) -> String {
        self.call(
            "eth_sendTransaction",
            json!([{ "from": from, "to": to, "value": hex_u64(value) }]),
        )
        .as_str()
        .expect("tx hash")
        .to_owned()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr_path);
    }
}

/// `0x`-prefixed lowercase hex of a number (JSON-RPC quantity).
pub fn hex_u64(n: u64) -> String {
    format!("{n:#x}")
}

/// Parses a JSON-RPC quantity (`"0x1f"`) or a JSON number.
pub fn parse_hex_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => u64::from_str_radix(s.strip_prefix("0x")?, 16).ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Minimal HTTP/1.1 plumbing
// ---------------------------------------------------------------------------

/// One parsed HTTP/1.1 message (request or response).
#[derive(Debug)]
struct HttpMessage {
    /// `POST / HTTP/1.1` or `HTTP/1.1 200 OK`.
    start_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpMessage {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Status code of a response.
    fn status(&self) -> Option<u16> {
        self.start_line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// A TCP stream with a read buffer that survives between messages (keep-alive).
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// When set, read timeouts are polls of this flag rather than failures.
    stop: Option<Arc<AtomicBool>>,
}

const MAX_HEAD: usize = 64 * 1024;

impl Conn {
    fn new(stream: TcpStream, stop: Option<Arc<AtomicBool>>) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            stop,
        }
    }

    /// Reads more bytes into the buffer; false on EOF.
    fn fill(&mut self) -> io::Result<bool> {
        let mut tmp = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut tmp) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    match &self.stop {
                        Some(stop) if !stop.load(Ordering::SeqCst) => {}
                        _ => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn eof() -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed mid-message",
        )
    }

    /// Takes one CRLF-terminated line (without the CRLF).
    fn take_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                self.buf.drain(..pos + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            if !self.fill()? {
                return Err(Conn::eof());
            }
        }
    }

    fn take_exact(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill()? {
                return Err(Conn::eof());
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn take_to_eof(&mut self) -> io::Result<Vec<u8>> {
        while self.fill()? {}
        Ok(std::mem::take(&mut self.buf))
    }

    /// Reads one message; `Ok(None)` on a clean EOF before its first byte.
    fn read_message(&mut self, is_response: bool) -> io::Result<Option<HttpMessage>> {
        // Head: up to the blank line (tolerating stray CRLFs between messages).
        let head_end = loop {
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                break pos;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
            }
            if !self.fill()? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(Conn::eof())
                };
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let start_line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut msg = HttpMessage {
            start_line,
            headers,
            body: Vec::new(),
        };
        let no_body = is_response
            && matches!(msg.status(), Some(s) if (100..200).contains(&s) || s == 204 || s == 304);
        if no_body {
            return Ok(Some(msg));
        }
        let chunked = msg
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if chunked {
            msg.body = self.read_chunked()?;
        } else if let Some(len) = msg.header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?;
            msg.body = self.take_exact(len)?;
        } else if is_response {
            msg.body = self.take_to_eof()?;
        }
        Ok(Some(msg))
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.take_line()?;
            let size_hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, then the blank line.
                while !self.take_line()?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.take_exact(size)?);
            self.take_exact(2)?; // CRLF after the chunk
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
        reason_phrase(status),
        body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()
}

/// Splits `http://host:port/path` into (`host:port`, `/path`).
fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// An HTTP response as seen by [`http_post`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// POSTs a JSON body on a fresh connection (`Connection: close`) and reads the
/// whole response; `timeout` bounds connecting and every read/write.
pub fn http_post(url: &str, body: &[u8], timeout: Duration) -> Result<HttpResponse, String> {
    let (authority, path) = parse_url(url)?;
    let mut stream = connect(&authority, timeout).map_err(|e| format!("connect {url}: {e}"))?;
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    stream
        .write_all(&req)
        .map_err(|e| format!("send to {url}: {e}"))?;
    read_response(&mut Conn::new(stream, None), url)
}

/// Connects with `timeout` on connect and on every read/write.
fn connect(authority: &str, timeout: Duration) -> io::Result<TcpStream> {
    let addr = authority.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no address for {authority}"),
        )
    })?;
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn read_response(conn: &mut Conn, url: &str) -> Result<HttpResponse, String> {
    let msg = conn
        .read_message(true)
        .map_err(|e| format!("read from {url}: {e}"))?
        .ok_or_else(|| format!("read from {url}: connection closed without a response"))?;
    let status = msg
        .status()
        .ok_or_else(|| format!("bad status line from {url}: {}", msg.start_line))?;
    Ok(HttpResponse {
        status,
        body: msg.body,
    })
}

/// Default per-call timeout of [`rpc`].
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// A blocking JSON-RPC 2.0 call against any `http://` URL. `Ok(result)`, or
/// `Err` with a message: `HTTP <status>: <body>` for a non-200 answer,
/// `rpc error <code>: <message>` for a JSON-RPC error, or a transport error.
pub fn rpc(url: &str, method: &str, params: Value) -> Result<Value, String> {
    rpc_with_timeout(url, method, params, RPC_TIMEOUT)
}

/// [`rpc`] with an explicit connect/read/write timeout.
pub fn rpc_with_timeout(
    url: &str,
    method: &str,
    params: Value,
    timeout: Duration,
) -> Result<Value, String> {
    let resp = http_post(url, &rpc_body(method, params), timeout)?;
    decode_rpc(url, &resp)
}

fn rpc_body(method: &str, params: Value) -> Vec<u8> {
    static ID: AtomicU64 = AtomicU64::new(1);
    let id = ID.fetch_add(1, Ordering::Relaxed);
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
        .to_string()
        .into_bytes()
}

/// Turns an HTTP answer into the JSON-RPC result or an error message (see [`rpc`]).
fn decode_rpc(url: &str, resp: &HttpResponse) -> Result<Value, String> {
    if resp.status != 200 {
        return Err(format!("HTTP {}: {}", resp.status, resp.text()));
    }
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| format!("bad JSON from {url} ({e}): {}", resp.text()))?;
    if let Some(err) = v.get("error") {
        let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = err.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(match err.get("data") {
            Some(data) => format!("rpc error {code}: {message} (data: {data})"),
            None => format!("rpc error {code}: {message}"),
        });
    }
    v.get("result")
        .cloned()
        .ok_or_else(|| format!("JSON-RPC answer without result or error: {v}"))
}

/// A JSON-RPC client on one persistent HTTP/1.1 keep-alive connection, the
/// way pooled clients (reqwest/alloy) talk; for testing servers and the proxy.
#[derive(Debug)]
pub struct RpcConnection {
    url: String,
    authority: String,
    path: String,
    conn: Conn,
}

impl RpcConnection {
    /// Connects to `url`; `timeout` bounds connecting and every read/write.
    pub fn open(url: &str, timeout: Duration) -> Result<RpcConnection, String> {
        let (authority, path) = parse_url(url)?;
        let stream = connect(&authority, timeout).map_err(|e| format!("connect {url}: {e}"))?;
        Ok(RpcConnection {
            url: url.to_owned(),
            authority,
            path,
            conn: Conn::new(stream, None),
        })
    }

    /// POSTs `body` on this connection (no `Connection: close`) and reads the answer.
    pub fn post(&mut self, body: &[u8]) -> Result<HttpResponse, String> {
        let mut req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.authority,
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        self.conn
            .stream
            .write_all(&req)
            .map_err(|e| format!("send to {}: {e}", self.url))?;
        read_response(&mut self.conn, &self.url)
    }

    /// A JSON-RPC call on this connection; errors as for [`rpc`].
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let resp = self.post(&rpc_body(method, params))?;
        decode_rpc(&self.url, &resp)
    }
}

// ---------------------------------------------------------------------------
// Fault-injecting proxy
// ---------------------------------------------------------------------------

/// What the proxy does to a request instead of (or besides) relaying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a text body; not forwarded.
    Status(u16),
    /// Read the request, say nothing for this long, then close; not forwarded.
    Timeout(Duration),
    /// Close the connection without a response; not forwarded.
    CloseConnection,
    /// Answer with a JSON-RPC error carrying the request's id; not forwarded.
    RpcError {
        /// JSON-RPC error code.
        code: i64,
        /// Error message.
        message: String,
    },
    /// Forward to the upstream (so the request takes effect, e.g. a transaction
    /// IS sent) but answer the client with this JSON-RPC error.
    ForwardThenRpcError {
        /// JSON-RPC error code.
        code: i64,
        /// Error message.
        message: String,
    },
    /// Wait this long, then forward normally.
    Delay(Duration),
}

/// Geth's code and message for a stale nonce.
pub const NONCE_TOO_LOW: (i64, &str) = (-32000, "nonce too low");
/// Geth's code and message for a same-nonce replacement with too low a fee.
pub const REPLACEMENT_UNDERPRICED: (i64, &str) = (-32000, "replacement transaction underpriced");
/// The HTTP status of an overloaded/unavailable node.
pub const SERVICE_UNAVAILABLE: u16 = 503;

impl Fault {
    /// Short stable name, as recorded in [`FaultProxy::log`].
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Status(_) => "status",
            Fault::Timeout(_) => "timeout",
            Fault::CloseConnection => "close",
            Fault::RpcError { .. } => "rpc_error",
            Fault::ForwardThenRpcError { .. } => "forward_then_rpc_error",
            Fault::Delay(_) => "delay",
        }
    }

    /// [`Fault::RpcError`] from code and message.
    pub fn rpc_error(code: i64, message: &str) -> Fault {
        Fault::RpcError {
            code,
            message: message.to_owned(),
        }
    }

    /// [`Fault::ForwardThenRpcError`] from code and message.
    pub fn forward_then_rpc_error(code: i64, message: &str) -> Fault {
        Fault::ForwardThenRpcError {
            code,
            message: message.to_owned(),
        }
    }

    /// `-32000 nonce too low`, not forwarded.
    pub fn nonce_too_low() -> Fault {
        Fault::rpc_error(NONCE_TOO_LOW.0, NONCE_TOO_LOW.1)
    }

    /// `-32000 replacement transaction underpriced`, not forwarded.
    pub fn replacement_underpriced() -> Fault {
        Fault::rpc_error(REPLACEMENT_UNDERPRICED.0, REPLACEMENT_UNDERPRICED.1)
    }

    /// HTTP 503 "Service Unavailable".
    pub fn service_unavailable() -> Fault {
        Fault::Status(SERVICE_UNAVAILABLE)
    }

    /// Whether the fault affects the whole HTTP exchange rather than one
    /// JSON-RPC answer.
    fn is_transport(&self) -> bool {
        matches!(
            self,
            Fault::Status(_) | Fault::Timeout(_) | Fault::CloseConnection
        )
    }
}

/// One entry of the fault plan.
#[derive(Debug)]
struct Rule {
    method: String,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Like a Polygon node: refuse transactions tipping under this (wei per gas).
    min_tip: Option<u128>,
    plan: Vec<Rule>,
    counts: HashMap<String, usize>,
    total: usize,
    faults: usize,
    log: Vec<(String, Option<&'static str>)>,
}

impl State {
    /// Counts one JSON-RPC request and draws its fault from the plan (first
    /// matching rule with uses left, in injection order).
    fn admit(&mut self, method: &str) -> Option<Fault> {
        self.admit_request(method, None)
    }

    /// As [`State::admit`], seeing the request's params too (for the tip floor).
    fn admit_request(&mut self, method: &str, params: Option<&Value>) -> Option<Fault> {
        *self.counts.entry(method.to_owned()).or_default() += 1;
        self.total += 1;
        if let (Some(floor), "eth_sendRawTransaction") = (self.min_tip, method) {
            let tip = params
                .and_then(|p| p.get(0))
                .and_then(Value::as_str)
                .and_then(|raw| hex_bytes(raw.trim_start_matches("0x")))
                .and_then(|raw| eip1559_tip(&raw));
            if let Some(tip) = tip.filter(|t| *t < floor) {
                self.faults += 1;
                self.log.push((method.to_owned(), Some("tip_below_floor")));
                return Some(Fault::RpcError {
                    code: -32000,
                    message: format!(
                        "transaction gas price below minimum: gas tip cap {tip}, minimum needed {floor}"
                    ),
                });
            }
        }
        let fault = self
            .plan
            .iter_mut()
            .find(|r| r.remaining > 0 && (r.method == "*" || r.method == method))
            .map(|r| {
                r.remaining -= 1;
                r.fault.clone()
            });
        self.plan.retain(|r| r.remaining > 0);
        if fault.is_some() {
            self.faults += 1;
        }
        self.log
            .push((method.to_owned(), fault.as_ref().map(Fault::name)));
        fault
    }
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    stop: Arc<AtomicBool>,
    /// TCP connections accepted from clients.
    connections: AtomicUsize,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not take the counters with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps up to `d`, waking early when the proxy stops.
    fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= end {
                return;
            }
            thread::sleep((end - now).min(Duration::from_millis(20)));
        }
    }
}

/// How long the proxy waits for the upstream.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// How often idle proxy connections check the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// A fault-injecting HTTP JSON-RPC proxy in front of a real upstream.
///
/// Listens on `127.0.0.1:<random>`, one thread per connection, HTTP/1.1
/// keep-alive (so pooled clients such as reqwest/alloy can reuse
/// connections). Each POST body is forwarded to the upstream on a fresh
/// connection and the answer relayed, unless the fault plan says otherwise.
///
/// Batches (array bodies): every element is counted, logged and matched
/// against the plan on its own. `RpcError`/`ForwardThenRpcError` replace that
/// element's answer only; `Delay` delays the whole batch; a transport fault
/// (`Status`, `Timeout`, `CloseConnection`) drawn by any element hits the whole
/// batch (the first one wins; faults drawn by other elements are still used up
/// and counted).
///
/// Dropping the proxy stops the listener; open connections close within
/// ~100 ms, pending `Timeout`/`Delay` sleeps are cut short.
#[derive(Debug)]
pub struct FaultProxy {
    url: String,
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Answers `eth_sendRawTransaction` as a Polygon node does when the transaction's
    /// priority fee is under `wei` (refused at pool admission, not forwarded).
    pub fn refuse_tips_under(&self, wei: u128) {
        self.shared.state().min_tip = Some(wei);
    }

    /// Starts a proxy relaying to `upstream_url` (an `http://` URL).
    pub fn start(upstream_url: &str) -> FaultProxy {
        parse_url(upstream_url).unwrap_or_else(|e| panic!("FaultProxy upstream: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy listener");
        let addr = listener.local_addr().expect("proxy local addr");
        let shared = Arc::new(Shared {
            upstream: upstream_url.to_owned(),
            stop: Arc::new(AtomicBool::new(false)),
            connections: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("fault-proxy-accept".into())
            .spawn(move || accept_loop(&listener, &accept_shared))
            .expect("spawn proxy accept thread");
        FaultProxy {
            url: format!("http://{addr}"),
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>` of the proxy.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next `times` requests whose JSON-RPC method is `method` (any method
    /// for `"*"`) get `fault`. Rules are consulted in injection order.
    pub fn inject(&self, method: &str, fault: Fault, times: usize) {
        if times == 0 {
            return;
        }
        self.shared.state().plan.push(Rule {
            method: method.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Drops every fault not yet injected.
    pub fn clear_faults(&self) {
        self.shared.state().plan.clear();
    }

    /// Faults planned but not yet injected.
    pub fn pending_faults(&self) -> usize {
        self.shared.state().plan.iter().map(|r| r.remaining).sum()
    }

    /// JSON-RPC requests seen for `method` (every method for `"*"`), faulted
    /// or not; batch elements count one each.
    pub fn count(&self, method: &str) -> usize {
        let st = self.shared.state();
        if method == "*" {
            st.total
        } else {
            st.counts.get(method).copied().unwrap_or(0)
        }
    }

    /// TCP connections clients have opened to the proxy (keep-alive reuse
    /// shows as fewer connections than requests).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many faults have been injected so far.
    pub fn faults_injected(&self) -> usize {
        self.shared.state().faults
    }

    /// Every request seen, in order: its method and the name of the fault it
    /// got ([`Fault::name`]), if any. Unparseable bodies log as `<invalid>`.
    pub fn log(&self) -> Vec<(String, Option<&'static str>)> {
        self.shared.state().log.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let conn_shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("fault-proxy-conn".into())
            .spawn(move || serve_connection(stream, &conn_shared));
        if spawned.is_err() {
            // Out of threads: the dropped stream closes the connection.
            continue;
        }
    }
}

/// What to do with the client connection after handling one HTTP request.
enum Reply {
    /// Send this response.
    Respond {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Close without a response.
    Close,
    /// Stay silent for this long, then close.
    Hang(Duration),
}

impl Reply {
    fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply::Respond {
            status,
            content_type: "application/json",
            body,
        }
    }

    fn text(status: u16, body: String) -> Reply {
        Reply::Respond {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into_bytes(),
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Arc<Shared>) {
    if stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut conn = Conn::new(stream, Some(Arc::clone(&shared.stop)));
    loop {
        let req = match conn.read_message(false) {
            Ok(Some(req)) => req,
            Ok(None) | Err(_) => return,
        };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let version_11 = req.start_line.ends_with("HTTP/1.1");
        let conn_header = req.header("connection").map(str::to_ascii_lowercase);
        let keep_alive = match conn_header.as_deref() {
            Some(h) if h.contains("close") => false,
            Some(h) if h.contains("keep-alive") => true,
            _ => version_11,
        };
        let reply = if req.start_line.starts_with("POST ") {
            handle_post(shared, &req.body)
        } else {
            Reply::text(405, "only POST is supported\n".to_owned())
        };
        match reply {
            Reply::Respond {
                status,
                content_type,
                body,
            } => {
                if write_response(&mut writer, status, content_type, &body, keep_alive).is_err()
                    || !keep_alive
                {
                    let _ = writer.shutdown(Shutdown::Both);
                    return;
                }
            }
            Reply::Close => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Hang(d) => {
                shared.sleep(d);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// The JSON-RPC error object the proxy answers with.
fn rpc_error_body(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// Forwards `body` upstream and turns the outcome into a reply to the client.
fn forward(shared: &Shared, body: &[u8]) -> Result<HttpResponse, Reply> {
    http_post(&shared.upstream, body, UPSTREAM_TIMEOUT)
        .map_err(|e| Reply::text(502, format!("fault proxy: upstream failed: {e}\n")))
}

fn relay(resp: HttpResponse) -> Reply {
    Reply::json(resp.status, resp.body)
}

fn handle_post(shared: &Shared, body: &[u8]) -> Reply {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) if !items.is_empty() => handle_batch(shared, body, &items),
        Ok(req @ Value::Object(_)) => handle_single(shared, body, &req),
        _ => {
            // Not JSON-RPC we understand: count it, relay it untouched.
            let fault = shared.state().admit("<invalid>");
            match fault {
                Some(f) if f.is_transport() => transport_reply(&f),
                _ => match forward(shared, body) {
                    Ok(resp) => relay(resp),
                    Err(reply) => reply,
                },
            }
        }
    }
}

fn method_of(req: &Value) -> String {
    req.get("method")
        .and_then(Value::as_str)
        .unwrap_or("<invalid>")
        .to_owned()
}

fn transport_reply(fault: &Fault) -> Reply {
    match fault {
        Fault::Status(code) => Reply::text(*code, format!("{code} {}\n", reason_phrase(*code))),
        Fault::Timeout(d) => Reply::Hang(*d),
        _ => Reply::Close,
    }
}

fn handle_single(shared: &Shared, body: &[u8], req: &Value) -> Reply {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let fault = shared
        .state()
        .admit_request(&method_of(req), req.get("params"));
    match fault {
        None => match forward(shared, body) {
            Ok(resp) => relay(resp),
            Err(reply) => reply,
        },
        Some(f @ (Fault::Status(_) | Fault::Timeout(_) | Fault::CloseConnection)) => {
            transport_reply(&f)
        }
        Some(Fault::RpcError { code, message }) => Reply::json(
            200,
            rpc_error_body(&id, code, &message).to_string().into_bytes(),
        ),
        Some(Fault::ForwardThenRpcError { code, message }) => {
            // The upstream's answer (even a failure) is deliberately discarded.
            let _ = forward(shared, body);
            Reply::json(
                200,
                rpc_error_body(&id, code, &message).to_string().into_bytes(),
            )
        }
        Some(Fault::Delay(d)) => {
            shared.sleep(d);
            match forward(shared, body) {
                Ok(resp) => relay(resp),
                Err(reply) => reply,
            }
        }
    }
}

fn handle_batch(shared: &Shared, body: &[u8], items: &[Value]) -> Reply {
    let faults: Vec<Option<Fault>> = {
        let mut st = shared.state();
        items
            .iter()
            .map(|item| st.admit_request(&method_of(item), item.get("params")))
            .collect()
    };
    if let Some(f) = faults.iter().flatten().find(|f| f.is_transport()) {
        return transport_reply(f);
    }
    if faults.iter().all(Option::is_none) {
        return match forward(shared, body) {
            Ok(resp) => relay(resp),
            Err(reply) => reply,
        };
    }
    if let Some(d) = faults.iter().flatten().find_map(|f| match f {
        Fault::Delay(d) => Some(*d),
        _ => None,
    }) {
        shared.sleep(d);
    }
    // Forward every element not answered locally, then stitch the answers
    // back together in request order, matched by id.
    let to_forward: Vec<Value> = items
        .iter()
        .zip(&faults)
        .filter(|(_, f)| !matches!(f, Some(Fault::RpcError { .. })))
        .map(|(item, _)| item.clone())
        .collect();
    let upstream: Vec<Value> = if to_forward.is_empty() {
        Vec::new()
    } else {
        let resp = match forward(shared, Value::Array(to_forward).to_string().as_bytes()) {
            Ok(resp) => resp,
            Err(reply) => return reply,
        };
        match serde_json::from_slice::<Value>(&resp.body) {
            Ok(Value::Array(answers)) if resp.status == 200 => answers,
            // Upstream rejected the batch as a whole: pass that on.
            _ => return relay(resp),
        }
    };
    let mut out = Vec::new();
    for (item, fault) in items.iter().zip(faults) {
        let Some(id) = item.get("id") else {
            continue; // notification: no answer
        };
        match fault {
            Some(
                Fault::RpcError { code, message } | Fault::ForwardThenRpcError { code, message },
            ) => {
                out.push(rpc_error_body(id, code, &message));
            }
            _ => {
                let answer = upstream
                    .iter()
                    .find(|a| a.get("id") == Some(id))
                    .cloned()
                    .unwrap_or_else(|| {
                        rpc_error_body(id, -32603, "fault proxy: no upstream answer for this id")
                    });
                out.push(answer);
            }
        }
    }
    Reply::json(200, Value::Array(out).to_string().into_bytes())
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One RLP item at the start of `data`: (payload, rest), for strings and lists alike.
fn rlp_item(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&b, rest) = data.split_first()?;
    let (start, len) = match b {
        0x00..=0x7f => return Some((&data[..1], rest)),
        0x80..=0xb7 => (1, usize::from(b - 0x80)),
        0xc0..=0xf7 => (1, usize::from(b - 0xc0)),
        0xb8..=0xbf | 0xf8..=0xff => {
            let n = usize::from(if b >= 0xf8 { b - 0xf7 } else { b - 0xb7 });
            let len = rest
                .get(..n)?
                .iter()
                .fold(0usize, |a, x| (a << 8) | usize::from(*x));
            (1 + n, len)
        }
    };
    let payload = data.get(start..start + len)?;
    Some((payload, &data[start + len..]))
}

/// The `max_priority_fee_per_gas` of a signed EIP-1559 transaction (type 2).
fn eip1559_tip(raw: &[u8]) -> Option<u128> {
    let (&kind, body) = raw.split_first()?;
    if kind != 2 {
        return None;
    }
    let (fields, _) = rlp_item(body)?;
    let (_chain_id, rest) = rlp_item(fields)?;
    let (_nonce, rest) = rlp_item(rest)?;
    let (tip, _) = rlp_item(rest)?;
    if tip.len() > 16 {
        return None;
    }
    Some(tip.iter().fold(0u128, |a, x| (a << 8) | u128::from(*x)))
}
