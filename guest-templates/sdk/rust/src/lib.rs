//! The Micro-VM Studio guest SDK for Rust (guest ABI version 1, `docs/guest-abi.md`).
//!
//! A guest is a `#![no_std]`, `#![no_main]` crate whose functions the host calls by name inside a
//! KVM micro-VM with no operating system. This crate gives it:
//!
//! - [`guest_function!`]: one line that publishes a Rust function in the `.microvm.functions`
//!   table, with the same type tokens as the C SDK's `MV_GUEST_FUNCTION`;
//! - [`print!`] / [`println!`] and [`host_print`], writing through the host's `HostPrint`;
//! - [`host_call`] for host functions the embedder registered;
//! - a global allocator on the guest heap (so `alloc`'s `Vec`, `String`, `Box` work);
//! - a panic handler that ends the call with a `GUEST_ABORT` error carrying the panic message and
//!   its `file:line:column`, and [`abort`].
//!
//! The runtime underneath (entry point, call dispatch, host-call records, heap, aborts) is the C
//! SDK's, linked in by `microvm build` and reached through `extern "C"` (see README.md).
#![no_std]

extern crate alloc;

pub mod abi;
mod function;
mod heap;
mod host;
mod panic;
mod print;
mod sys;

pub use function::{bytes_arg, bytes_result, string_arg, string_result};
pub use heap::{heap_free_bytes, heap_largest_free, GuestHeap};
pub use host::{host_call, Arg, HostValue, Type};
pub use panic::{abort, ABORT_CODE_PANIC};
pub use print::{_print, host_print, Printer};

/// The PEB the host filled in (buffer and heap addresses and sizes), once the runtime started.
pub fn peb() -> Option<&'static abi::Peb> {
    // SAFETY: mv_get_peb returns NULL or the PEB, which lives for the whole guest.
    unsafe { sys::mv_get_peb().as_ref() }
}

/// Never called: guests are built with `panic = "abort"`, but the unwind tables of the
/// precompiled `core` and `alloc` still name this personality routine.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
