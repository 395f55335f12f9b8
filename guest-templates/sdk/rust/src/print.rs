//! `print!` / `println!`: formatted output through HostPrint, in chunks of at most 512 bytes that
//! never split a UTF-8 character (as the C SDK's mv_printf sends them). Uses no heap.
use core::fmt::{self, Write};

use crate::sys;

const CHUNK: usize = 512;

/// A buffered writer to the host's output; `print!` uses one per call. Flushes when dropped.
pub struct Printer {
    buf: [u8; CHUNK + 1],
    len: usize,
    total: usize,
}

impl Printer {
    pub const fn new() -> Printer {
        Printer { buf: [0; CHUNK + 1], len: 0, total: 0 }
    }

    /// Sends what is buffered; returns the bytes printed so far.
    pub fn flush(&mut self) -> usize {
        if self.len > 0 {
            self.buf[self.len] = 0;
            // SAFETY: buf holds a NUL-terminated string.
            unsafe { sys::HostPrint(self.buf.as_ptr()) };
            self.total += self.len;
            self.len = 0;
        }
        self.total
    }

    fn push(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let room = CHUNK - self.len;
            let mut take = rest.len().min(room);
            while !rest.is_char_boundary(take) {
                take -= 1;
            }
            if take == 0 {
                self.flush();
                continue;
            }
            for &byte in &rest.as_bytes()[..take] {
                // HostPrint takes a C string: a NUL would cut the chunk short, so it is dropped.
                if byte != 0 {
                    self.buf[self.len] = byte;
                    self.len += 1;
                }
            }
            rest = &rest[take..];
        }
    }
}

impl Default for Printer {
    fn default() -> Printer {
        Printer::new()
    }
}

impl Write for Printer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push(text);
        Ok(())
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Prints `text` through HostPrint; returns the number of bytes printed (NULs are not printed).
pub fn host_print(text: &str) -> usize {
    let mut printer = Printer::new();
    printer.push(text);
    printer.flush()
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let mut printer = Printer::new();
    let _ = printer.write_fmt(args);
}

/// Prints to the call's output through HostPrint, like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::_print(format_args!($($arg)*)) };
}

/// Prints a line to the call's output through HostPrint, like `std::println!`.
#[macro_export]
macro_rules! println {
    () => { $crate::_print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::_print(format_args!("{}\n", format_args!($($arg)*))) };
}
