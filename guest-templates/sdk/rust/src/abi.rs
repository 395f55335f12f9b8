//! The ABI's data layouts (docs/guest-abi.md), as the C SDK's microvm.h declares them.

/// `MVFN`: the magic of a function-table entry.
pub const MAGIC_FUNCTION: u32 = 0x4E46_564D;
pub const ABI_VERSION: u8 = 1;
pub const MAX_PARAMS: usize = 16;
pub const MAX_NAME_LENGTH: usize = 63;
pub const MAX_GPR_PARAMS: usize = 6;
pub const MAX_XMM_PARAMS: usize = 8;

/// Value type tags, as the function table and the records carry them.
pub mod tag {
    pub const VOID: u8 = 0;
    pub const I32: u8 = 1;
    pub const U32: u8 = 2;
    pub const I64: u8 = 3;
    pub const U64: u8 = 4;
    pub const F32: u8 = 5;
    pub const F64: u8 = 6;
    pub const BOOL: u8 = 7;
    pub const STRING: u8 = 8;
    pub const BYTES: u8 = 9;
}

/// A 16-byte value slot (`mv_value`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RawValue {
    pub tag: u8,
    pub reserved: [u8; 3],
    /// Byte length of a string (without its NUL) or bytes value, else 0.
    pub len: u32,
    /// Integers sign- or zero-extended, bool 0/1, f32 in the low 32 bits, else an address.
    pub bits: u64,
}

/// `mv_bytes`: how a `bytes` parameter arrives (two registers) and a `bytes` result leaves (RAX:RDX).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RawBytes {
    pub data: *const u8,
    pub len: u64,
}

/// The process environment block (`mv_peb`).
#[repr(C)]
#[derive(Debug)]
pub struct Peb {
    pub magic: u32,
    pub version: u32,
    pub memory_size: u64,
    pub input_addr: u64,
    pub input_size: u64,
    pub output_addr: u64,
    pub output_size: u64,
    pub heap_addr: u64,
    pub heap_size: u64,
    pub stack_bottom: u64,
    pub stack_size: u64,
    pub dispatch_function: u64,
}

/// One 96-byte entry of the `.microvm.functions` section (`mv_function_entry`).
#[repr(C)]
pub struct FunctionEntry {
    pub magic: u32,
    pub version: u8,
    pub return_type: u8,
    pub param_count: u8,
    pub reserved: u8,
    pub param_types: [u8; MAX_PARAMS],
    pub name: [u8; 64],
    pub function: *const (),
}

// SAFETY: an entry is immutable data; `function` is only an address the host reads.
unsafe impl Sync for FunctionEntry {}

const _: () = assert!(core::mem::size_of::<FunctionEntry>() == 96);
const _: () = assert!(core::mem::size_of::<RawValue>() == 16);
const _: () = assert!(core::mem::size_of::<Peb>() == 88);

impl FunctionEntry {
    /// The entry for `function`, checked at compile time like the C SDK's `_Static_assert`s: a
    /// name of 1-63 characters `[A-Za-z_][A-Za-z0-9_]*`, at most 16 parameters, no `void`
    /// parameter, at most 6 integer-register parameters (`bytes` counts 2) and 8 float ones
    /// (nothing is passed on the stack).
    pub const fn new(name: &str, return_type: u8, params: &[u8], function: *const ()) -> FunctionEntry {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_NAME_LENGTH {
            panic!("guest_function!: a guest function name has 1 to 63 characters");
        }
        let mut stored = [0u8; 64];
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let letter = c.is_ascii_alphabetic() || c == b'_';
            if !(letter || (i > 0 && c.is_ascii_digit())) {
                panic!("guest_function!: a guest function name is [A-Za-z_][A-Za-z0-9_]* (ASCII)");
            }
            stored[i] = c;
            i += 1;
        }
        if return_type > tag::BYTES {
            panic!("guest_function!: invalid return type tag");
        }
        if params.len() > MAX_PARAMS {
            panic!("guest_function!: at most 16 parameters");
        }
        let mut types = [0u8; MAX_PARAMS];
        let (mut gpr, mut xmm) = (0, 0);
        let mut p = 0;
        while p < params.len() {
            match params[p] {
                tag::VOID => panic!("guest_function!: void is a return type only"),
                tag::F32 | tag::F64 => xmm += 1,
                tag::BYTES => gpr += 2,
                t if t <= tag::BYTES => gpr += 1,
                _ => panic!("guest_function!: invalid parameter type tag"),
            }
            types[p] = params[p];
            p += 1;
        }
        if gpr > MAX_GPR_PARAMS {
            panic!("guest_function!: more than 6 integer-register parameters (a `bytes` counts 2); nothing is passed on the stack");
        }
        if xmm > MAX_XMM_PARAMS {
            panic!("guest_function!: more than 8 f32/f64 parameters; nothing is passed on the stack");
        }
        FunctionEntry {
            magic: MAGIC_FUNCTION,
            version: ABI_VERSION,
            return_type,
            param_count: params.len() as u8,
            reserved: 0,
            param_types: types,
            name: stored,
            function,
        }
    }
}
