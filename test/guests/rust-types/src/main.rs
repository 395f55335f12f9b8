//! Test guest for the Rust debugger support (test/rust-*.test.ts): locals of many Rust types in
//! one frame, a fault two calls below it (for cores that gdb reads too), and a loop to step.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use microvm::{guest_function, println};

#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

pub struct Pair(pub u8, pub i64);

pub struct Marker;

#[derive(Clone, Copy)]
pub enum Color {
    Red,
    Green,
    Blue,
}

pub enum Shape {
    Circle { r: f64 },
    Rect { w: u32, h: u32 },
    Empty,
    Tagged(i16, bool),
}

pub mod geometry {
    pub struct Segment {
        pub from: super::Point,
        pub to: super::Point,
    }

    impl Segment {
        #[inline(never)]
        pub fn length2(&self) -> i32 {
            let dx = self.to.x - self.from.x;
            let dy = self.to.y - self.from.y;
            dx * dx + dy * dy
        }
    }
}

static GREETING: &str = "static hello";

#[inline(never)]
fn crash(p: *const i32) -> i32 {
    unsafe { core::ptr::read_volatile(p) }
}

/// Every kind of local the tests read, then a fault in `crash` below it.
#[inline(never)]
fn inspect(n: u32, name: &str, data: &[i32]) -> i32 {
    let greeting: &str = "hello";
    let unicode: &str = "h\u{e9}llo \u{1f980}\n";
    let long: &str = "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc";
    let repeated: &str = "xxxxxxxxxxxxxxxxxxxxyz";
    let slice: &[i32] = &[1, 2, 3];
    let empty: &[u8] = &[];
    let bytes: &[u8] = b"raw";
    let zeros: [u8; 16] = [0; 16];
    let opt: Option<i32> = Some(5);
    let none: Option<i32> = None;
    let maybe_ref: Option<&Point> = None;
    let p = Point { x: 1, y: 2 };
    let pr = &p;
    let pair = Pair(7, -9);
    let marker = Marker;
    let c = Color::Green;
    let s1 = Shape::Circle { r: 1.5 };
    let s2 = Shape::Rect { w: 3, h: 4 };
    let s3 = Shape::Empty;
    let s4 = Shape::Tagged(-2, true);
    let tup = (1u8, 'x', 2.5f32);
    let arr = [10u16, 20, 30];
    let ch = '\u{e9}';
    let crab = '\u{1f980}';
    let flag = true;
    let res: Result<u32, i8> = Err(-1);
    let ok: Result<u32, i8> = Ok(7);
    let v: Vec<u32> = Vec::from([1, 2, 3]);
    let text: String = String::from("owned");
    let big: u128 = 1 << 100;
    let neg: i64 = -42;
    let f = 3.25f64;
    let segment = geometry::Segment { from: p, to: Point { x: 4, y: 6 } };
    let unit = ();
    let nested: Option<Option<u8>> = Some(None);
    let color_opt: Option<Color> = Some(Color::Blue);
    let total = segment.length2() + greeting.len() as i32 + GREETING.len() as i32;
    let _keep = (&greeting, &unicode, &long, &repeated, &slice, &empty, &bytes, &zeros, &opt, &none, &maybe_ref, &pr, &pair, &marker, &c);
    let _keep2 = (&s1, &s2, &s3, &s4, &tup, &arr, &ch, &crab, &flag, &res, &ok, &v, &text, &big, &neg, &f, &unit, &nested, &color_opt);
    crash(core::ptr::null()) + total + n as i32 + name.len() as i32 + data.len() as i32 // MARK: crash call
}

fn inspect_entry(n: u32) -> i32 {
    inspect(n, "arg", &[4, 5])
}
guest_function!(Inspect = inspect_entry, i32, u32);

/// A loop to step through: the DAP test stops here and reads `sum`, `i`, `label` and `point`.
fn accumulate(count: u32, label: &str) -> u64 {
    let point = Point { x: count as i32, y: -1 }; // MARK: point
    let mut sum: u64 = 0; // MARK: sum
    for i in 0..count {
        sum += u64::from(i) * 2; // MARK: loop body
    }
    println!("{}: {} ({:?})", label, sum, point); // MARK: print
    sum
}
guest_function!(Accumulate = accumulate, u64, u32, string);
