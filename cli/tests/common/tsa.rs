//! A real RFC 3161 time-stamp authority on loopback for tests: OpenSSL's responder
//! (`openssl ts -reply`) with a CA and TSA certificate made here, behind a tiny HTTP/1.1
//! server on 127.0.0.1 (a thread of the test), plain or over TLS (rustls, with a server
//! certificate for 127.0.0.1 from the same CA). It stops when dropped.
//!
//! `Behaviour` makes it misbehave, for the failure tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How the TSA answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// A real time-stamp response.
    Honest,
    /// HTTP 500.
    ServerError,
    /// HTTP 200 with a body that is no time-stamp response.
    Garbage,
    /// A real, valid token, but over other data than asked (a replayed or swapped token).
    WrongImprint,
    /// Reads the request and never answers.
    Silent,
}

pub struct LoopbackTsa {
    dir: tempfile::TempDir,
    port: u16,
    tls: bool,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A CA and, under it, a certificate for time-stamping (EKU timeStamping, critical).
/// OpenSSL's standard output.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    super::openssl(dir, args).stdout
}

/// A CA and, under it, a certificate for time-stamping (EKU timeStamping, critical).
fn make_tsa_credentials(d: &Path) {
    let key = super::P256_NEW_KEY;
    let mut ca = vec!["req", "-x509"];
    ca.extend(key);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/O=Loopback Time/CN=Loopback TSA Root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(d, &ca);
    let mut csr = vec!["req", "-new"];
    csr.extend(key);
    csr.extend([
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/O=Loopback Time/CN=Loopback TSA",
    ]);
    openssl(d, &csr);
    std::fs::write(
        d.join("tsa.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=critical,timeStamping\n",
    )
    .expect("write");
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.crt",
            "-days",
            "3650",
            "-extfile",
            "tsa.ext",
        ],
    );
    let chain = std::fs::read_to_string(d.join("tsa.crt")).expect("tsa.crt")
        + &std::fs::read_to_string(d.join("ca.crt")).expect("ca.crt");
    std::fs::write(d.join("chain.crt"), chain).expect("write");
    std::fs::write(d.join("serial"), "01\n").expect("write");
    let config = format!(
        "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = {dir}\nserial = $dir/serial\n\
         crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/chain.crt\n\
         signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n\
         digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\ntsa_name = no\n\
         ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
        dir = d.display()
    );
    std::fs::write(d.join("ts.cnf"), config).expect("write");
}

/// A TLS server certificate for 127.0.0.1 under the TSA's CA, and the rustls config.
fn tls_config(d: &Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    super::openssl_loopback_server_cert(d, "ca.key", "ca.crt", "tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(d.join("tls.pem"))
        .expect("tls.pem")
        .map(|c| c.expect("a certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(d.join("tls.key")).expect("tls.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server certificate");
    Arc::new(config)
}

/// Reads one request and answers it as `behaviour` says.
fn serve(s: &mut (impl Read + Write), dir: &Path, behaviour: Behaviour, served: &AtomicUsize) {
    let Some(request) = read_request(s) else {
        return;
    };
    served.fetch_add(1, Ordering::SeqCst);
    if behaviour == Behaviour::Silent {
        // Hold the connection until the client gives up (the socket's read timeout is
        // well past the client's deadline, so the client's timeout is what ends it).
        let _ = s.read(&mut [0u8; 1]);
        return;
    }
    let (status, body) = reply(dir, behaviour, &request);
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/timestamp-reply\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&body);
    let _ = s.flush();
}

/// One HTTP request: (head, body), body by Content-Length.
fn read_request(s: &mut impl Read) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())?;
            if raw.len() >= end + 4 + len {
                return Some(raw[end + 4..end + 4 + len].to_vec());
            }
        }
        if raw.len() > 1 << 20 {
            return None;
        }
    }
}

fn reply(dir: &Path, behaviour: Behaviour, request: &[u8]) -> (u16, Vec<u8>) {
    match behaviour {
        Behaviour::ServerError => return (500, b"no".to_vec()),
        Behaviour::Garbage => return (200, b"\x30\x03\x02\x01\x07 not a token".to_vec()),
        Behaviour::Silent => unreachable!(),
        Behaviour::Honest | Behaviour::WrongImprint => {}
    }
    let mut query = request.to_vec();
    if behaviour == Behaviour::WrongImprint {
        // The same well-formed query (nonce and all), but over another hash: the token
        // answers a question about other data.
        let at = query
            .windows(2)
            .position(|w| w == [0x04, 0x20])
            .expect("a SHA-256 message imprint in the query");
        for b in &mut query[at + 2..at + 34] {
            *b ^= 0xff;
        }
    }
    std::fs::write(dir.join("request.tsq"), query).expect("write");
    openssl(
        dir,
        &[
            "ts",
            "-reply",
            "-config",
            "ts.cnf",
            "-queryfile",
            "request.tsq",
            "-out",
            "response.tsr",
        ],
    );
    (
        200,
        std::fs::read(dir.join("response.tsr")).expect("response.tsr"),
    )
}

impl LoopbackTsa {
    pub fn start(behaviour: Behaviour) -> Self {
        Self::start_with(behaviour, false)
    }

    /// The same TSA at an `https://` URL; its TLS certificate chains to
    /// [`root_pem_path`](Self::root_pem_path).
    pub fn start_tls(behaviour: Behaviour) -> Self {
        Self::start_with(behaviour, true)
    }

    fn start_with(behaviour: Behaviour, tls: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        make_tsa_credentials(dir.path());
        let tls_config = tls.then(|| tls_config(dir.path()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let (stop2, served2, path) = (stop.clone(), served.clone(), dir.path().to_owned());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut tcp) = conn else { continue };
                let wait = if behaviour == Behaviour::Silent {
                    60
                } else {
                    10
                };
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(wait)));
                match &tls_config {
                    None => serve(&mut tcp, &path, behaviour, &served2),
                    Some(config) => {
                        let Ok(server) = rustls::ServerConnection::new(config.clone()) else {
                            continue;
                        };
                        let mut tls = rustls::StreamOwned::new(server, tcp);
                        serve(&mut tls, &path, behaviour, &served2);
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                }
            }
        });
        Self {
            dir,
            port,
            tls,
            stop,
            served,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/tsa", self.port)
    }

    /// The PEM of the TSA's root, to pass as a trust anchor.
    pub fn root_pem_path(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// How many requests it has answered (or, when silent, read).
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for LoopbackTsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
