//! The C SDK runtime functions this crate calls (guest-templates/sdk/c/runtime).
use crate::abi::{Peb, RawValue};

extern "C" {
    pub fn HostPrint(message: *const u8) -> i32;
    pub fn mv_host_call(name: *const u8, returns: u32, args: *const RawValue, count: u32, result: *mut RawValue);
    pub fn mv_abort(code: i32, message: *const u8) -> !;
    pub fn mv_get_peb() -> *const Peb;
    pub fn malloc(size: usize) -> *mut u8;
    pub fn calloc(count: usize, size: usize) -> *mut u8;
    pub fn realloc(ptr: *mut u8, size: usize) -> *mut u8;
    pub fn free(ptr: *mut u8);
    pub fn mv_heap_free_bytes() -> usize;
    pub fn mv_heap_largest_free() -> usize;
}
