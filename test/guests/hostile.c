/*
 * Test guest: a hostile guest. Each function hand-builds a malformed record in the output buffer
 * and leaves the VM through the raw port, bypassing the SDK's checks. The host must reject every
 * one of them and end the call with an error; it must never resume the guest. If it does resume
 * (a host bug), the guest aborts with "host resumed the guest after ...", so a test that expects
 * BAD_HOST_CALL sees GUEST_ABORT instead and fails.
 *
 * Every host-call record starts as this well-formed HostPrint("hi") (output buffer offsets):
 *     0  MVH1 | total 59 | name offset 40 | name length 9 | 1 argument | expects i32
 *    24  slot: string, length 2, address = output + 56
 *    40  "HostPrint\0"
 *    56  "hi\0"
 * and then one field is broken. README.md lists what the host must answer for each function.
 */
#include "microvm.h"

static uint8_t *out(void) { return (uint8_t *)(uintptr_t)mv_get_peb()->output_addr; }
static uint32_t out_size(void) { return (uint32_t)mv_get_peb()->output_size; }

static const char *const outside_text = "this string lives in the image, not in the output buffer";

enum { NAME_OFF = 40, TEXT_OFF = 56 };

/* Writes the well-formed HostPrint("hi") record above and returns its header. */
static mv_host_call_record *host_print_record(void) {
  uint8_t *o = out();
  memset(o, 0, 64);
  mv_host_call_record *h = (mv_host_call_record *)o;
  h->magic = MV_MAGIC_HOST_CALL;
  h->total_size = TEXT_OFF + 3;
  h->name_offset = NAME_OFF;
  h->name_length = 9;
  h->arg_count = 1;
  h->return_type = MV_I32;
  memcpy(o + NAME_OFF, "HostPrint", 10);
  memcpy(o + TEXT_OFF, "hi", 3);
  mv_value *slot = (mv_value *)(o + sizeof *h);
  slot->tag = MV_STRING;
  slot->len = 2;
  slot->as.u64 = (uint64_t)(uintptr_t)(o + TEXT_OFF);
  return h;
}

static mv_value *first_slot(void) { return (mv_value *)(out() + sizeof(mv_host_call_record)); }

__attribute__((noreturn)) static void send_host_call(const char *defect) {
  MV_OUTB(MV_PORT_HOST_CALL);
  mv_abortf(MV_ABORT_CODE_RUNTIME, "host resumed the guest after a host call with %s", defect);
}

__attribute__((noreturn)) static void send_return(const char *defect) {
  MV_OUTB(MV_PORT_READY);
  mv_abortf(MV_ABORT_CODE_RUNTIME, "host resumed the guest after a return record with %s", defect);
}

/* ---- host-call records ---------------------------------------------------------------------- */

int32_t HostCallBadMagic(void) {
  host_print_record()->magic = 0x4B4C4F4Bu; /* "KOLK" */
  send_host_call("a bad magic");
}
MV_GUEST_FUNCTION(HostCallBadMagic, i32);

int32_t HostCallNameLengthPastBuffer(void) {
  host_print_record()->name_length = out_size(); /* 40 + size runs past the end */
  send_host_call("a name length past the buffer");
}
MV_GUEST_FUNCTION(HostCallNameLengthPastBuffer, i32);

int32_t HostCallNameOffsetOutOfRange(void) {
  host_print_record()->name_offset = out_size() + 64;
  send_host_call("a name offset outside the buffer");
}
MV_GUEST_FUNCTION(HostCallNameOffsetOutOfRange, i32);

int32_t HostCallNameNotTerminated(void) {
  host_print_record();
  out()[NAME_OFF + 9] = 'X'; /* "HostPrintX...": no NUL after the 9 name bytes */
  send_host_call("a name that is not NUL-terminated");
}
MV_GUEST_FUNCTION(HostCallNameNotTerminated, i32);

int32_t HostCallArgCount1000(void) {
  host_print_record()->arg_count = 1000; /* at most 16; 1000 slots would not fit either */
  send_host_call("1000 arguments");
}
MV_GUEST_FUNCTION(HostCallArgCount1000, i32);

int32_t HostCallInvalidTypeTag(void) {
  host_print_record();
  first_slot()->tag = 42;
  send_host_call("an argument of type tag 42");
}
MV_GUEST_FUNCTION(HostCallInvalidTypeTag, i32);

int32_t HostCallStringOutsideBuffer(void) {
  host_print_record();
  first_slot()->as.u64 = (uint64_t)(uintptr_t)outside_text; /* valid guest memory, wrong place */
  first_slot()->len = (uint32_t)strlen(outside_text);
  send_host_call("a string argument outside the output buffer");
}
MV_GUEST_FUNCTION(HostCallStringOutsideBuffer, i32);

int32_t HostCallStringLengthPastEnd(void) {
  host_print_record();
  first_slot()->len = out_size(); /* starts at offset 56, so it ends 56 bytes past the buffer */
  send_host_call("a string length past the end of the buffer");
}
MV_GUEST_FUNCTION(HostCallStringLengthPastEnd, i32);

int32_t HostCallStringNotTerminated(void) {
  host_print_record();
  out()[TEXT_OFF + 2] = 'X'; /* "hiX": the byte at [len] is not NUL */
  send_host_call("a string argument that is not NUL-terminated");
}
MV_GUEST_FUNCTION(HostCallStringNotTerminated, i32);

int32_t HostCallBytesHugeLength(void) {
  host_print_record();
  first_slot()->tag = MV_BYTES;
  first_slot()->len = 0xFFFFFFFFu; /* 4 GiB - 1 from offset 56 */
  send_host_call("a bytes argument of 4 GiB");
}
MV_GUEST_FUNCTION(HostCallBytesHugeLength, i32);

int32_t HostCallTotalTooLarge(void) {
  host_print_record()->total_size = out_size() + 1;
  send_host_call("a total size larger than the output buffer");
}
MV_GUEST_FUNCTION(HostCallTotalTooLarge, i32);

int32_t HostCallInvalidUtf8(void) {
  host_print_record();
  out()[TEXT_OFF] = 0xC3; /* a 2-byte lead followed by '(' which is not a continuation byte */
  out()[TEXT_OFF + 1] = 0x28;
  send_host_call("a string argument that is not valid UTF-8");
}
MV_GUEST_FUNCTION(HostCallInvalidUtf8, i32);

int32_t HostCallReturnTypeMismatch(void) {
  host_print_record()->return_type = MV_F64; /* HostPrint returns i32 */
  send_host_call("an expected return type (f64) that does not match HostPrint's (i32)");
}
MV_GUEST_FUNCTION(HostCallReturnTypeMismatch, i32);

int32_t HostCallArgumentTypeMismatch(void) {
  host_print_record();
  mv_value *slot = first_slot();
  slot->tag = MV_I32; /* well-formed, but HostPrint takes a string */
  slot->len = 0;
  slot->as.u64 = 7;
  send_host_call("an i32 argument to HostPrint(string)");
}
MV_GUEST_FUNCTION(HostCallArgumentTypeMismatch, i32);

int32_t HostCallArgumentCountMismatch(void) {
  mv_host_call_record *h = host_print_record();
  h->arg_count = 0; /* well-formed, but HostPrint takes one argument */
  h->total_size = NAME_OFF + 10;
  send_host_call("no argument to HostPrint(string)");
}
MV_GUEST_FUNCTION(HostCallArgumentCountMismatch, i32);

/* ---- return records (then out 0xE1) --------------------------------------------------------- */

int32_t ReturnBadMagic(void) {
  mv_return_record *r = (mv_return_record *)out();
  memset(r, 0, sizeof *r);
  r->magic = 0x4B4C4F4Bu;
  r->status = MV_STATUS_OK;
  r->total_size = sizeof *r;
  r->result.tag = MV_I32;
  r->result.as.i64 = 1;
  send_return("a bad magic");
}
MV_GUEST_FUNCTION(ReturnBadMagic, i32);

const char *ReturnStringOutsideBuffer(void) {
  mv_return_record *r = (mv_return_record *)out();
  memset(r, 0, sizeof *r);
  r->magic = MV_MAGIC_RETURN;
  r->status = MV_STATUS_OK;
  r->total_size = sizeof *r;
  r->result.tag = MV_STRING;
  r->result.len = (uint32_t)strlen(outside_text);
  r->result.as.u64 = (uint64_t)(uintptr_t)outside_text; /* in the image, not the output buffer */
  send_return("a string result outside the output buffer");
}
MV_GUEST_FUNCTION(ReturnStringOutsideBuffer, string);

const char *ReturnStringLengthPastEnd(void) {
  mv_return_record *r = (mv_return_record *)out();
  memset(out(), 0, 40);
  r->magic = MV_MAGIC_RETURN;
  r->status = MV_STATUS_OK;
  r->total_size = 35;
  r->result.tag = MV_STRING;
  r->result.len = out_size(); /* data at offset 32, so it ends 32 bytes past the buffer */
  r->result.as.u64 = (uint64_t)(uintptr_t)(out() + 32);
  memcpy(out() + 32, "ok", 3);
  send_return("a string result longer than the buffer");
}
MV_GUEST_FUNCTION(ReturnStringLengthPastEnd, string);

int32_t ReturnTagMismatch(void) {
  mv_return_record *r = (mv_return_record *)out();
  memset(r, 0, sizeof *r);
  r->magic = MV_MAGIC_RETURN;
  r->status = MV_STATUS_OK;
  r->total_size = sizeof *r;
  r->result.tag = MV_F64; /* the function table says i32 */
  r->result.as.u64 = 0x3FF8000000000000ull; /* 1.5 */
  send_return("an f64 result from a function declared to return i32");
}
MV_GUEST_FUNCTION(ReturnTagMismatch, i32);

int32_t ReturnBadStatus(void) {
  mv_return_record *r = (mv_return_record *)out();
  memset(r, 0, sizeof *r);
  r->magic = MV_MAGIC_RETURN;
  r->status = 7; /* only 0, 1 and 2 exist */
  r->total_size = sizeof *r;
  r->result.tag = MV_I32;
  send_return("status 7");
}
MV_GUEST_FUNCTION(ReturnBadStatus, i32);

/* ---- abort record (then out 0xE2) ----------------------------------------------------------- */

int32_t AbortMessagePastBuffer(void) {
  mv_abort_record *a = (mv_abort_record *)out();
  a->magic = MV_MAGIC_ABORT;
  a->code = 99;
  a->message_length = out_size(); /* the message starts at 16, so it ends 16 bytes past the end */
  a->reserved = 0;
  memcpy(out() + 16, "boom", 5);
  MV_OUTB(MV_PORT_ABORT);
  mv_abort(MV_ABORT_CODE_RUNTIME, "host resumed the guest after an abort record with a message length past the buffer");
}
MV_GUEST_FUNCTION(AbortMessagePastBuffer, i32);

/* ---- a control: the same hand-built record, unbroken, must work ---------------------------- */

/* Sends the well-formed HostPrint("hi") record by hand and returns HostPrint's answer (2), then
 * the output must be "hi". Proves that the records above fail only because of their defect. */
int32_t HostCallWellFormed(void) {
  host_print_record();
  MV_OUTB(MV_PORT_HOST_CALL);
  const mv_host_reply_record *r = (const mv_host_reply_record *)out();
  if (r->magic != MV_MAGIC_HOST_REPLY || r->status != 0 || r->result.tag != MV_I32)
    mv_abort(MV_ABORT_CODE_RUNTIME, "HostCallWellFormed: unexpected reply");
  return r->result.as.i32;
}
MV_GUEST_FUNCTION(HostCallWellFormed, i32);
