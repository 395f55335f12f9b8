//! The global allocator: the C runtime's heap over the PEB heap region (first fit, 16-byte
//! aligned blocks). Larger alignments over-allocate and keep the block's address just before the
//! aligned pointer. The heap is part of the snapshot, so every call starts with it as
//! initialisation left it.
use core::alloc::{GlobalAlloc, Layout};

use crate::sys;

/// The alignment every block of the C heap already has.
const HEAP_ALIGN: usize = 16;

pub struct GuestHeap;

unsafe impl GlobalAlloc for GuestHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= HEAP_ALIGN {
            return sys::malloc(layout.size());
        }
        // Room to move up to the alignment and to store the block's address before it.
        let block = sys::malloc(layout.size() + layout.align());
        if block.is_null() {
            return block;
        }
        let aligned = (block as usize + layout.align()) & !(layout.align() - 1);
        *((aligned - core::mem::size_of::<usize>()) as *mut usize) = block as usize;
        aligned as *mut u8
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= HEAP_ALIGN {
            return sys::calloc(1, layout.size());
        }
        let ptr = self.alloc(layout);
        if !ptr.is_null() {
            core::ptr::write_bytes(ptr, 0, layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() <= HEAP_ALIGN {
            sys::free(ptr);
        } else {
            sys::free(*((ptr as usize - core::mem::size_of::<usize>()) as *const usize) as *mut u8);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= HEAP_ALIGN {
            return sys::realloc(ptr, new_size);
        }
        let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        moved
    }
}

#[global_allocator]
static HEAP: GuestHeap = GuestHeap;

/// Free bytes on the guest heap.
pub fn heap_free_bytes() -> usize {
    // SAFETY: a plain query of the C heap.
    unsafe { sys::mv_heap_free_bytes() }
}

/// The largest block the guest heap can hand out now.
pub fn heap_largest_free() -> usize {
    // SAFETY: a plain query of the C heap.
    unsafe { sys::mv_heap_largest_free() }
}
