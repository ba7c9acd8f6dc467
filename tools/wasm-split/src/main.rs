//! `checkout-wasm-split <input.wasm> <out-dir> <main-out.wasm> <js-name>`
//!
//! Splits the wasm that cargo built (linked with `--emit-relocs`) at the split points that
//! Leptos's `#[lazy]` and `#[lazy_route]` mark. It writes into `<out-dir>` one `.wasm` per
//! lazily loaded chunk, the loader `__wasm_split.______________________.js` (the name Leptos's
//! `HydrationScripts` preloads) and `__wasm_split_manifest.json` (which chunks each split needs,
//! read by the server to preload them on pages that render a lazy route). The main module goes
//! to `<main-out.wasm>`, for wasm-bindgen (run with `--keep-lld-exports --no-demangle`).
//!
//! This is the step `cargo leptos build --split` performs; see the `lazy_routes` example in
//! the Leptos repository and <https://github.com/rustwasm/wasm-bindgen/issues/3939>.

use std::path::Path;
use std::process::ExitCode;

/// The loader's name as Leptos 0.8 expects it when file hashing is off: the build names the
/// folder after the content instead.
const LINK_NAME: &str = "./__wasm_split.______________________.js";
const MANIFEST: &str = "__wasm_split_manifest.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, main_out, js_name] = args.as_slice() else {
        eprintln!("usage: checkout-wasm-split <input.wasm> <out-dir> <main-out.wasm> <js-name>");
        return ExitCode::from(2);
    };
    match split(
        Path::new(input),
        Path::new(out_dir),
        Path::new(main_out),
        js_name,
    ) {
        Ok(chunks) => {
            println!("split {input}: {chunks} lazily loaded chunk(s) in {out_dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm split failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(
    input: &Path,
    out_dir: &Path,
    main_out: &Path,
    js_name: &str,
) -> Result<usize, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let main_module = format!("./{js_name}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = out_dir;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = LINK_NAME;
    let split = wasm_split_cli_support::transform(options)?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)?;
    std::fs::write(out_dir.join(MANIFEST), manifest)?;
    Ok(split.split_modules.len())
}
