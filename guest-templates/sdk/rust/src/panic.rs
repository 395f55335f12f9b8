//! Panics and aborts: the call ends with a GUEST_ABORT error whose message is written straight
//! into the output buffer (no heap needed, so an exhausted heap still reports its panic).
use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::sys;

/// The abort code of a Rust panic (the C SDK uses 1 `abort()`, 2 a failed assert, 3 runtime errors).
pub const ABORT_CODE_PANIC: i32 = 4;
const ABORT_CODE_RUNTIME: i32 = 3;

static PANICKING: AtomicBool = AtomicBool::new(false);

/// Formats into the output buffer after the abort record's 16-byte header, keeping room for the
/// NUL and cutting at a character boundary (mv_abort moves the message into place itself).
struct AbortMessage {
    base: *mut u8,
    capacity: usize,
    len: usize,
}

impl AbortMessage {
    fn new() -> Option<AbortMessage> {
        let peb = crate::peb()?;
        let capacity = (peb.output_size as usize).checked_sub(17)?;
        Some(AbortMessage { base: (peb.output_addr as usize + 16) as *mut u8, capacity, len: 0 })
    }

    fn finish(self, code: i32) -> ! {
        // SAFETY: len <= capacity, so the NUL stays inside the output buffer.
        unsafe {
            *self.base.add(self.len) = 0;
            sys::mv_abort(code, self.base)
        }
    }
}

impl Write for AbortMessage {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.capacity - self.len;
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        for &byte in &text.as_bytes()[..take] {
            // A NUL would end the C string early.
            let byte = if byte == 0 { b' ' } else { byte };
            // SAFETY: len + 1 <= capacity.
            unsafe { *self.base.add(self.len) = byte };
            self.len += 1;
        }
        Ok(())
    }
}

fn abort_with(code: i32, message: fmt::Arguments) -> ! {
    match AbortMessage::new() {
        Some(mut sink) => {
            let _ = sink.write_fmt(message);
            sink.finish(code)
        }
        // Before the runtime started there is no output buffer: fault instead.
        None => unsafe { core::arch::asm!("ud2", options(noreturn)) },
    }
}

/// Ends the call with a GUEST_ABORT error carrying `code` and `message` (like the C `mv_abort`).
pub fn abort(code: i32, message: &str) -> ! {
    abort_with(code, format_args!("{}", message))
}

pub(crate) fn abort_runtime(message: &str) -> ! {
    abort(ABORT_CODE_RUNTIME, message)
}

/// `panicked at src/main.rs:12:5: attempt to add with overflow`, abort code 4.
#[panic_handler]
fn on_panic(info: &PanicInfo) -> ! {
    if PANICKING.swap(true, Ordering::Relaxed) {
        abort_with(ABORT_CODE_PANIC, format_args!("panicked while formatting a panic message"));
    }
    match info.location() {
        Some(at) => abort_with(ABORT_CODE_PANIC, format_args!("panicked at {}:{}:{}: {}", at.file(), at.line(), at.column(), info.message())),
        None => abort_with(ABORT_CODE_PANIC, format_args!("panicked: {}", info.message())),
    }
}
