//! A real SMTP server for the tests, keeping what it receives: the SMTP conversation is the
//! `mailin` crate's (crates.io); this file only carries its lines over TCP, one thread per
//! connection.

use mailin::{response, Action, Handler, Response, SessionBuilder};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A message as the sink received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut lines = head.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(lines.next().unwrap().trim());
                }
                return Some(value);
            }
        }
        None
    }

    /// The message as read: quoted-printable undone (soft line breaks, `=XX` bytes).
    pub fn text(&self) -> String {
        let raw = self.data.replace("=\r\n", "");
        let bytes = raw.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Where the first message is held up, to play a crash of the sender mid-send.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    None,
    /// Before the message's data is accepted ("354" delayed): a sender dying here sent nothing.
    BeforeData,
    /// After the data, before "250 OK": the message is kept; a sender dying here never heard.
    BeforeOk,
}

#[derive(Clone)]
struct Sink {
    received: Arc<Mutex<Vec<Received>>>,
    reject: Arc<Vec<String>>,
    stall: Stall,
    stalled: Arc<AtomicBool>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Sink {
    fn hold_first(&self) {
        if !self.stalled.swap(true, Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(3));
        }
    }
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.reject.iter().any(|r| to.contains(r.as_str())) {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        if self.stall == Stall::BeforeData {
            self.hold_first();
        }
        self.to = to.to_vec();
        self.data.clear();
        response::START_DATA
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.received.lock().unwrap().push(Received {
            to: self.to.clone(),
            data: String::from_utf8_lossy(&self.data).into_owned(),
        });
        if self.stall == Stall::BeforeOk {
            self.hold_first();
        }
        response::OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    stalled: Arc<AtomicBool>,
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_with(TcpListener::bind("127.0.0.1:0").unwrap(), &[], Stall::None)
    }

    /// Serves on `listener`, refusing recipients containing any of `reject` with 550.
    pub fn start_with(listener: TcpListener, reject: &[&str], stall: Stall) -> Self {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stalled = Arc::new(AtomicBool::new(false));
        let sink = Sink {
            received: received.clone(),
            reject: Arc::new(reject.iter().map(|r| r.to_string()).collect()),
            stall,
            stalled: stalled.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = sink.clone();
                std::thread::spawn(move || converse(stream, sink));
            }
        });
        SmtpSink {
            port,
            received,
            stalled,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Whether the first message has reached the point where it is held up.
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::SeqCst)
    }
}

/// One SMTP session: lines in, `mailin`'s responses out.
fn converse(stream: TcpStream, handler: Sink) {
    let Ok(peer) = stream.peer_addr() else { return };
    let mut session = SessionBuilder::new("sink.test").build(peer.ip(), handler);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    if session.greeting().write_to(&mut writer).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => continue,
            Action::Reply | Action::UpgradeTls => {
                if response.write_to(&mut writer).is_err() || writer.flush().is_err() {
                    return;
                }
            }
            Action::Close => {
                let _ = response.write_to(&mut writer);
                return;
            }
        }
    }
}
