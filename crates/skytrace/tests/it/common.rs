//! What the binary's tests share: the binary, a free loopback port, a bare HTTP/1.1 client, and the
//! `skytrace admin` steps that set up a server's data directory.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_skytrace");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// One HTTP/1.1 exchange on the loopback; `None` when nothing listens.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split(' ').nth(1)?.parse().ok()?;
    Some((status, resp.split_once("\r\n\r\n")?.1.to_owned()))
}

/// `skytrace admin user add NAME --role operator`, the password on stdin.
pub fn add_user(data: &str, name: &str, password: &str) {
    let mut add = Command::new(BIN)
        .args([
            "admin",
            "--data-dir",
            data,
            "user",
            "add",
            name,
            "--role",
            "operator",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("admin user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    assert!(add.wait().expect("wait").success());
}

/// `skytrace admin sensor add NAME`; the token is the last line of its output.
pub fn add_sensor(data: &str, name: &str) -> Output {
    Command::new(BIN)
        .args(["admin", "--data-dir", data, "sensor", "add", name])
        .output()
        .expect("admin sensor add")
}
