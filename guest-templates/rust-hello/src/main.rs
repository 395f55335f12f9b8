//! rust-hello: a Micro-VM Studio guest in Rust.
//!
//! Each function below runs inside its own hardware-isolated micro-VM. The host calls it by name;
//! `guest_function!` publishes it (name, return type, parameter types) in the guest's function
//! table, and the compiler checks that the Rust signature matches.
#![no_std]
#![no_main]

use microvm::{guest_function, host_print};

/// Prints a message through the host and returns how many bytes were printed.
fn print_output(message: &str) -> i32 {
    host_print(message) as i32
}
guest_function!(PrintOutput = print_output, i32, string);

/// Pure computation: the n-th Fibonacci number (fibonacci(0) = 0, fibonacci(1) = 1), iteratively.
/// Wraps around modulo 2^64 past fibonacci(93).
fn fibonacci(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}
guest_function!(Fibonacci = fibonacci, u64, u32);

/// Overflow is checked in debug builds: Add(2147483647, 1) panics (see Panic below).
fn add(a: i32, b: i32) -> i32 {
    a + b
}
guest_function!(Add = add, i32, i32, i32);

/// Crashes on purpose: reads address 0. The null page is unmapped, so the CPU raises a page fault,
/// the host ends the call and reports the faulting instruction and a backtrace. `read_volatile`
/// really emits the load (a plain `*p` is caught by Rust's debug checks and panics instead).
fn deref_null() -> i32 {
    let p: *const i32 = core::ptr::null();
    unsafe { core::ptr::read_volatile(p) }
}
guest_function!(DerefNull = deref_null, i32);

/// Panics on purpose: the call ends with a GUEST_ABORT error carrying the message and the
/// `file:line:column` of the panic.
fn panic_now(reason: &str) -> i32 {
    panic!("the guest gave up: {}", reason)
}
guest_function!(Panic = panic_now, i32, string);
