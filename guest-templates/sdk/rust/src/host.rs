//! Calls to host functions: the built-in HostPrint and those the embedder registered, through
//! the C runtime's mv_host_call (which lays out the host-call record and reads the answer).
use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::{tag, RawValue};
use crate::panic::abort_runtime;
use crate::sys;

/// A host function's return type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Type {
    Void = tag::VOID,
    I32 = tag::I32,
    U32 = tag::U32,
    I64 = tag::I64,
    U64 = tag::U64,
    F32 = tag::F32,
    F64 = tag::F64,
    Bool = tag::BOOL,
    String = tag::STRING,
    Bytes = tag::BYTES,
}

/// An argument of a host call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
}

/// What a host function returned, copied out of the output buffer (which the next host call
/// overwrites).
#[derive(Clone, Debug, PartialEq)]
pub enum HostValue {
    Void,
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Bytes(Vec<u8>),
}

impl HostValue {
    pub fn as_i32(&self) -> Option<i32> {
        if let HostValue::I32(v) = self { Some(*v) } else { None }
    }
    pub fn as_u32(&self) -> Option<u32> {
        if let HostValue::U32(v) = self { Some(*v) } else { None }
    }
    pub fn as_i64(&self) -> Option<i64> {
        if let HostValue::I64(v) = self { Some(*v) } else { None }
    }
    pub fn as_u64(&self) -> Option<u64> {
        if let HostValue::U64(v) = self { Some(*v) } else { None }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            HostValue::F64(v) => Some(*v),
            HostValue::F32(v) => Some(f64::from(*v)),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        if let HostValue::Bool(v) = self { Some(*v) } else { None }
    }
    pub fn as_str(&self) -> Option<&str> {
        if let HostValue::String(v) = self { Some(v) } else { None }
    }
    pub fn as_bytes(&self) -> Option<&[u8]> {
        if let HostValue::Bytes(v) = self { Some(v) } else { None }
    }
}

/// A NUL-terminated copy of `text` for the C runtime, which measures strings with strlen.
fn c_string(text: &str, what: &str) -> Vec<u8> {
    if text.as_bytes().contains(&0) {
        abort_runtime(what);
    }
    let mut copy = Vec::with_capacity(text.len() + 1);
    copy.extend_from_slice(text.as_bytes());
    copy.push(0);
    copy
}

/// Calls the host function `name` with `args`, expecting `returns`. Errors (an unknown function,
/// mismatched types, a host function that throws) end the guest call on the host side, as in C.
///
/// ```ignore
/// let sum = microvm::host_call("HostAdd", Type::I32, &[Arg::I32(40), Arg::I32(2)]).as_i32();
/// ```
pub fn host_call(name: &str, returns: Type, args: &[Arg]) -> HostValue {
    if args.len() > crate::abi::MAX_PARAMS {
        abort_runtime("host_call: at most 16 arguments");
    }
    let name = c_string(name, "host_call: the function name contains a NUL character");
    // Strings travel NUL-terminated; keep the copies alive until the call returns.
    let mut strings: Vec<Vec<u8>> = Vec::new();
    let mut slots: Vec<RawValue> = Vec::with_capacity(args.len());
    for arg in args {
        let (tag, len, bits) = match *arg {
            Arg::I32(v) => (tag::I32, 0, v as i64 as u64),
            Arg::U32(v) => (tag::U32, 0, u64::from(v)),
            Arg::I64(v) => (tag::I64, 0, v as u64),
            Arg::U64(v) => (tag::U64, 0, v),
            Arg::F32(v) => (tag::F32, 0, u64::from(v.to_bits())),
            Arg::F64(v) => (tag::F64, 0, v.to_bits()),
            Arg::Bool(v) => (tag::BOOL, 0, u64::from(v)),
            Arg::Str(text) => {
                strings.push(c_string(text, "host_call: a string argument contains a NUL character"));
                (tag::STRING, text.len() as u32, strings[strings.len() - 1].as_ptr() as u64)
            }
            Arg::Bytes(data) => (tag::BYTES, data.len() as u32, data.as_ptr() as u64),
        };
        slots.push(RawValue { tag, reserved: [0; 3], len, bits });
    }
    let mut result = RawValue::default();
    // SAFETY: the name and string arguments are NUL-terminated and outlive the call; the
    // runtime copies everything into the output buffer before it leaves the VM.
    unsafe { sys::mv_host_call(name.as_ptr(), returns as u32, slots.as_ptr(), slots.len() as u32, &mut result) };
    decode(returns, &result)
}

fn decode(returns: Type, raw: &RawValue) -> HostValue {
    let bits = raw.bits;
    match returns {
        Type::Void => HostValue::Void,
        Type::I32 => HostValue::I32(bits as u32 as i32),
        Type::U32 => HostValue::U32(bits as u32),
        Type::I64 => HostValue::I64(bits as i64),
        Type::U64 => HostValue::U64(bits),
        Type::F32 => HostValue::F32(f32::from_bits(bits as u32)),
        Type::F64 => HostValue::F64(f64::from_bits(bits)),
        Type::Bool => HostValue::Bool(bits != 0),
        Type::String | Type::Bytes => {
            // SAFETY: the runtime checked that the reply's data lies in the output buffer.
            let data = unsafe { core::slice::from_raw_parts(bits as *const u8, raw.len as usize) };
            if returns == Type::Bytes {
                HostValue::Bytes(data.to_vec())
            } else {
                HostValue::String(String::from_utf8_lossy(data).into_owned())
            }
        }
    }
}
