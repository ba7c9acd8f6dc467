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
    std::process::exit(checkout::server::startup::run().await);
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The binary is the server; the browser side is the library's `hydrate` entry point.
}
