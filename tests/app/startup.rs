//! Start-up: a bad setting stops the server with one line naming the variable.

use std::process::Command;

fn start_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_checkout"));
    command
        .env_remove("STRIPE_SECRET_KEY")
        .env_remove("STRIPE_PUBLISHABLE_KEY")
        .current_dir(std::env::temp_dir());
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().expect("the server binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

#[test]
fn a_bad_value_stops_start_up_with_one_line_naming_the_variable() {
    for (var, value) in [
        ("CHECKOUT_ADDR", "localhost"),
        ("DATABASE_URL", "mysql://db/shop"),
        ("SHOP_CURRENCY", "dollars"),
        ("STRIPE_SECRET_KEY", "sk_nope"),
        ("ADMIN_PASSWORD_HASH", "hunter2"),
        ("STRIPE_ELEMENT", "iframe"),
    ] {
        let (code, stderr) = start_with(&[(var, value)]);
        assert_eq!(code, Some(2), "{var}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{var}: {stderr}");
        assert!(
            stderr.starts_with(&format!("configuration error: {var}:")),
            "{stderr}"
        );
    }
}

/// A PostgreSQL that does not answer stops the start in one line that says which database
/// (host, port, name) and never the password of the URL.
#[test]
fn an_unreachable_postgres_stops_start_up_with_one_line_without_the_password() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // nothing listens there now
    let url = format!("postgres://shop:s3cret-pw@127.0.0.1:{port}/shopdb");
    let (code, stderr) = start_with(&[("DATABASE_URL", url.as_str())]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("shopdb"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret-pw"),
        "the password was printed: {stderr}"
    );
}

#[test]
fn hash_password_prints_an_argon2_hash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkout"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long passphrase\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let hash = String::from_utf8(output.stdout).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("a long passphrase"));
}
