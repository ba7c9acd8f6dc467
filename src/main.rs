#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    std::process::exit(checkout::server::startup::run().await);
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The binary is the server; the browser side is the library's `hydrate` entry point.
}
