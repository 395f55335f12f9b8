//! `guest_function!`: publishes a Rust function in the `.microvm.functions` table.
//!
//! The macro writes an `extern "C"` shim named like the guest function: the C runtime's dispatch
//! calls it with the System V registers the ABI prescribes, the shim turns them into Rust values
//! (`&str`, `&[u8]`), calls the Rust function and turns its result back. The Rust function keeps
//! an idiomatic signature and its own name, so frames read `crate::shim -> crate::function`.
use crate::abi::RawBytes;
use crate::panic::abort_runtime;
use crate::sys;

/// Declares a guest function: `guest_function!(Name = path::to::function, return, params...);`
///
/// The type tokens are the C SDK's: `void` (return only), `i32 u32 i64 u64 f32 f64 bool`,
/// `string` (a `&str` parameter; any `AsRef<str>` result such as `&str` or `String`) and `bytes`
/// (a `&[u8]` parameter; any `AsRef<[u8]>` result such as `&[u8]` or `Vec<u8>`). The compiler
/// rejects a function whose signature does not match the tokens.
///
/// ```ignore
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// microvm::guest_function!(Add = add, i32, i32, i32);
/// ```
#[macro_export]
#[collapse_debuginfo(yes)] // the shim's code is on the declaration's line, not in this file
macro_rules! guest_function {
    ($name:ident = $function:path, $ret:ident $(, $param:ident)* $(,)?) => {
        $crate::__guest_shim!(
            @munch $name, $function, $ret, [],
            [__a0 __a1 __a2 __a3 __a4 __a5 __a6 __a7 __a8 __a9 __a10 __a11 __a12 __a13 __a14 __a15],
            $($param,)*
        );
        const _: () = {
            #[used]
            #[link_section = ".microvm.functions"]
            static ENTRY: $crate::abi::FunctionEntry = $crate::abi::FunctionEntry::new(
                stringify!($name),
                $crate::__guest_type!(tag $ret),
                &[$($crate::__guest_type!(tag $param)),*],
                $name as *const (),
            );
        };
    };
    ($($other:tt)*) => {
        compile_error!("usage: guest_function!(Name = rust_function, return_type, param_types...), types: void i32 u32 i64 u64 f32 f64 bool string bytes");
    };
}

/// Builds the shim, naming its parameters one token at a time (macro_rules cannot count).
#[doc(hidden)]
#[macro_export]
#[collapse_debuginfo(yes)]
macro_rules! __guest_shim {
    (@munch $name:ident, $function:path, $ret:ident, [$($arg:ident : $ty:ident,)*], [$($unused:ident)*], ) => {
        #[allow(non_snake_case)]
        extern "C" fn $name($($arg: $crate::__guest_type!(abi $ty)),*) -> $crate::__guest_type!(abi $ret) {
            // A debugger stopped here (stopOnEntry) is in the shim guest_function! wrote for your
            // function: Step Into enters it (a `string`/`bytes` argument is converted first).
            $crate::__guest_type!(result $ret, $function($($crate::__guest_type!(arg $ty, $arg)),*))
        }
    };
    (@munch $name:ident, $function:path, $ret:ident, [$($done:tt)*], [$next:ident $($unused:ident)*], $ty:ident, $($rest:ident,)*) => {
        $crate::__guest_shim!(@munch $name, $function, $ret, [$($done)* $next : $ty,], [$($unused)*], $($rest,)*);
    };
    (@munch $name:ident, $function:path, $ret:ident, [$($done:tt)*], [], $($rest:ident,)+) => {
        compile_error!("guest_function!: at most 16 parameters");
    };
}

/// What each type token means: its tag, its ABI type, and the conversions at the boundary.
#[doc(hidden)]
#[macro_export]
#[collapse_debuginfo(yes)]
macro_rules! __guest_type {
    (tag void) => { $crate::abi::tag::VOID };
    (tag i32) => { $crate::abi::tag::I32 };
    (tag u32) => { $crate::abi::tag::U32 };
    (tag i64) => { $crate::abi::tag::I64 };
    (tag u64) => { $crate::abi::tag::U64 };
    (tag f32) => { $crate::abi::tag::F32 };
    (tag f64) => { $crate::abi::tag::F64 };
    (tag bool) => { $crate::abi::tag::BOOL };
    (tag string) => { $crate::abi::tag::STRING };
    (tag bytes) => { $crate::abi::tag::BYTES };
    (tag $other:ident) => { compile_error!(concat!("guest_function!: unknown type `", stringify!($other), "` (types: void i32 u32 i64 u64 f32 f64 bool string bytes)")) };

    (abi void) => { () };
    (abi string) => { *const u8 };
    (abi bytes) => { $crate::abi::RawBytes };
    (abi $scalar:ident) => { $scalar };

    (arg string, $value:ident) => { unsafe { $crate::string_arg($value) } };
    (arg bytes, $value:ident) => { unsafe { $crate::bytes_arg($value) } };
    (arg $scalar:ident, $value:ident) => { $value };

    (result string, $call:expr) => { $crate::string_result($call) };
    (result bytes, $call:expr) => { $crate::bytes_result($call) };
    (result $scalar:ident, $call:expr) => { $call };
}

/// A `string` argument: the NUL-terminated UTF-8 the runtime checked, valid for the whole call.
///
/// # Safety
/// `ptr` must be a NUL-terminated string that outlives the returned reference (the input buffer
/// does, for the call).
#[doc(hidden)]
pub unsafe fn string_arg<'a>(ptr: *const u8) -> &'a str {
    let mut len = 0;
    while *ptr.add(len) != 0 {
        len += 1;
    }
    match core::str::from_utf8(core::slice::from_raw_parts(ptr, len)) {
        Ok(text) => text,
        Err(_) => abort_runtime("a string argument is not valid UTF-8"),
    }
}

/// A `bytes` argument: the data and length the runtime checked, valid for the whole call.
///
/// # Safety
/// `raw` must describe readable memory that outlives the returned slice.
#[doc(hidden)]
pub unsafe fn bytes_arg<'a>(raw: RawBytes) -> &'a [u8] {
    if raw.len == 0 {
        return &[];
    }
    core::slice::from_raw_parts(raw.data, raw.len as usize)
}

/// A `string` result as the runtime wants it: a NUL-terminated copy on the guest heap (the heap
/// is restored with the snapshot after the call, so nothing leaks).
#[doc(hidden)]
pub fn string_result<S: AsRef<str>>(value: S) -> *const u8 {
    let text = value.as_ref().as_bytes();
    if text.contains(&0) {
        abort_runtime("a guest function returned a string containing a NUL character, which the ABI's strings cannot carry");
    }
    // SAFETY: malloc returns NULL or len + 1 writable bytes.
    unsafe {
        let copy = sys::malloc(text.len() + 1);
        if copy.is_null() {
            abort_runtime("the guest heap has no room to return the string result");
        }
        core::ptr::copy_nonoverlapping(text.as_ptr(), copy, text.len());
        *copy.add(text.len()) = 0;
        copy
    }
}

/// A `bytes` result: the runtime copies the data after the shim returns, so an owned buffer is
/// left alive (the heap is restored with the snapshot after the call).
#[doc(hidden)]
pub fn bytes_result<B: AsRef<[u8]>>(value: B) -> RawBytes {
    let data = value.as_ref();
    let raw = RawBytes { data: data.as_ptr(), len: data.len() as u64 };
    core::mem::forget(value);
    raw
}
