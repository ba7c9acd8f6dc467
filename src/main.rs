/// The server allocates many small, short-lived buffers per page on every thread; mimalloc
/// does that with far less contention than glibc's malloc.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    // `checkout hash-password`: reads a password on standard input, prints its argon2 hash
    // for ADMIN_PASSWORD_HASH.
    if std::env::args().nth(1).as_deref() == Some("hash-password") {
        let mut password = String::new();
        if std::io::stdin().read_line(&mut password).is_err()
            || password.trim_end_matches(['\r', '\n']).is_empty()
        {
            eprintln!("usage: echo 'your password' | checkout hash-password");
            std::process::exit(2);
        }
        match checkout::server::admin::auth::hash_password(password.trim_end_matches(['\r', '\n']))
        {
            Ok(hash) => println!("{hash}"),
            Err(e) => {
                eprintln!("hash-password: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    // `checkout db copy --from sqlite:shop.db --to postgres://…`: copies the shop into an empty
    // PostgreSQL database (server/db_copy.rs) and prints what it copied and checked.
    if std::env::args().nth(1).as_deref() == Some("db") {
        std::process::exit(db_command(std::env::args().skip(2).collect()).await);
    }
    std::process::exit(checkout::server::startup::run().await);
}

/// `checkout db …`: the exit code (0 copied, 1 failed, 2 usage). Arguments are never echoed:
/// a URL may hold a password.
#[cfg(feature = "ssr")]
async fn db_command(args: Vec<String>) -> i32 {
    const USAGE: &str =
        "usage: checkout db copy --from sqlite:shop.db --to postgres://user:password@host:5432/db";
    let mut args = args.into_iter();
    if args.next().as_deref() != Some("copy") {
        eprintln!("{USAGE}");
        return 2;
    }
    let (mut from, mut to) = (None, None);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg, None),
        };
        let slot = match flag.as_str() {
            "--from" => &mut from,
            "--to" => &mut to,
            _ if flag.starts_with("--") && flag.len() <= 32 => {
                eprintln!("db copy: unknown option {flag}\n{USAGE}");
                return 2;
            }
            _ => {
                eprintln!("db copy: unexpected argument\n{USAGE}");
                return 2;
            }
        };
        match inline.or_else(|| args.next()) {
            Some(value) => *slot = Some(value),
            None => {
                eprintln!("db copy: {flag} needs a value\n{USAGE}");
                return 2;
            }
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        eprintln!("{USAGE}");
        return 2;
    };
    match checkout::server::db_copy::copy(&from, &to).await {
        Ok(report) => {
            print!("{report}");
            0
        }
        Err(e) => {
            eprintln!("db copy: {e}");
            1
        }
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The binary is the server; the browser side is the library's `hydrate` entry point.
}
