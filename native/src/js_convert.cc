#include "js_convert.h"

#include <cstring>

#include "host_error.h"

namespace microvm {
namespace {

Napi::Value big(Napi::Env env, uint64_t value) { return Napi::BigInt::New(env, value); }

Napi::Object segmentToJs(Napi::Env env, const kvm_segment& segment) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("selector", Napi::Number::New(env, segment.selector));
  object.Set("base", big(env, segment.base));
  object.Set("limit", Napi::Number::New(env, segment.limit));
  object.Set("type", Napi::Number::New(env, segment.type));
  object.Set("present", Napi::Boolean::New(env, segment.present));
  object.Set("dpl", Napi::Number::New(env, segment.dpl));
  object.Set("db", Napi::Boolean::New(env, segment.db));
  object.Set("s", Napi::Boolean::New(env, segment.s));
  object.Set("l", Napi::Boolean::New(env, segment.l));
  object.Set("g", Napi::Boolean::New(env, segment.g));
  return object;
}

Napi::Object fpuToJs(Napi::Env env, const kvm_fpu& fpu) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("fcw", Napi::Number::New(env, fpu.fcw));
  object.Set("fsw", Napi::Number::New(env, fpu.fsw));
  object.Set("ftw", Napi::Number::New(env, fpu.ftwx));
  object.Set("fop", Napi::Number::New(env, fpu.last_opcode));
  object.Set("fip", big(env, fpu.last_ip));
  object.Set("fdp", big(env, fpu.last_dp));
  object.Set("mxcsr", Napi::Number::New(env, fpu.mxcsr));
  Napi::Array st = Napi::Array::New(env, 8);
  for (uint32_t i = 0; i < 8; ++i) st.Set(i, Napi::Buffer<uint8_t>::Copy(env, fpu.fpr[i], 10));
  object.Set("st", st);
  Napi::Array xmm = Napi::Array::New(env, 16);
  for (uint32_t i = 0; i < 16; ++i) xmm.Set(i, Napi::Buffer<uint8_t>::Copy(env, fpu.xmm[i], 16));
  object.Set("xmm", xmm);
  return object;
}

void setPermissions(Napi::Env env, Napi::Object& object, uint8_t permissions) {
  object.Set("readable", Napi::Boolean::New(env, permissions & kRead));
  object.Set("writable", Napi::Boolean::New(env, permissions & kWrite));
  object.Set("executable", Napi::Boolean::New(env, permissions & kExecute));
}

}  // namespace

Napi::Object registersToJs(Napi::Env env, const kvm_regs& r, const kvm_sregs& s, const kvm_fpu& fpu) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rax", big(env, r.rax)); o.Set("rbx", big(env, r.rbx)); o.Set("rcx", big(env, r.rcx));
  o.Set("rdx", big(env, r.rdx)); o.Set("rsi", big(env, r.rsi)); o.Set("rdi", big(env, r.rdi));
  o.Set("rbp", big(env, r.rbp)); o.Set("rsp", big(env, r.rsp)); o.Set("r8", big(env, r.r8));
  o.Set("r9", big(env, r.r9)); o.Set("r10", big(env, r.r10)); o.Set("r11", big(env, r.r11));
  o.Set("r12", big(env, r.r12)); o.Set("r13", big(env, r.r13)); o.Set("r14", big(env, r.r14));
  o.Set("r15", big(env, r.r15)); o.Set("rip", big(env, r.rip)); o.Set("rflags", big(env, r.rflags));
  o.Set("cs", segmentToJs(env, s.cs)); o.Set("ds", segmentToJs(env, s.ds)); o.Set("es", segmentToJs(env, s.es));
  o.Set("fs", segmentToJs(env, s.fs)); o.Set("gs", segmentToJs(env, s.gs)); o.Set("ss", segmentToJs(env, s.ss));
  o.Set("cr0", big(env, s.cr0)); o.Set("cr2", big(env, s.cr2)); o.Set("cr3", big(env, s.cr3));
  o.Set("cr4", big(env, s.cr4)); o.Set("efer", big(env, s.efer));
  o.Set("fpu", fpuToJs(env, fpu));
  return o;
}

Napi::Object outcomeToJs(Napi::Env env, const RunOutcome& outcome, const kvm_fpu* fpu) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("kind", Napi::String::New(env, outcomeKindName(outcome.kind)));
  if (outcome.kind == RunOutcome::kBreakpoint || outcome.kind == RunOutcome::kWatchpoint)
    object.Set("address", big(env, outcome.address));
  if (outcome.hardware_slot >= 0) object.Set("hardwareSlot", Napi::Number::New(env, outcome.hardware_slot));
  if (outcome.writer_rip != 0) object.Set("writerRip", big(env, outcome.writer_rip));
  if (outcome.kind == RunOutcome::kWatchpoint) {
    object.Set("oldValue", Napi::Buffer<uint8_t>::Copy(env, outcome.old_value.data(), outcome.old_value.size()));
    object.Set("newValue", Napi::Buffer<uint8_t>::Copy(env, outcome.new_value.data(), outcome.new_value.size()));
  }
  object.Set("rip", big(env, outcome.regs.rip));
  if (!outcome.detail.empty()) object.Set("detail", Napi::String::New(env, outcome.detail));
  if (fpu != nullptr) object.Set("registers", registersToJs(env, outcome.regs, outcome.sregs, *fpu));
  if (outcome.kind == RunOutcome::kException) {
    object.Set("vector", Napi::Number::New(env, double(outcome.frame.vector)));
    object.Set("errorCode", Napi::Number::New(env, double(outcome.frame.error_code & 0xFFFFFFFF)));
    object.Set("cr2", big(env, outcome.sregs.cr2));
  }
  return object;
}

Napi::Array functionsToJs(Napi::Env env, const std::vector<GuestFunction>& functions) {
  Napi::Array array = Napi::Array::New(env, functions.size());
  for (uint32_t i = 0; i < functions.size(); ++i) {
    Napi::Object function = Napi::Object::New(env);
    function.Set("name", Napi::String::New(env, functions[i].name));
    function.Set("returnType", Napi::String::New(env, valueTagName(functions[i].return_type)));
    Napi::Array params = Napi::Array::New(env, functions[i].param_types.size());
    for (uint32_t p = 0; p < functions[i].param_types.size(); ++p)
      params.Set(p, Napi::String::New(env, valueTagName(functions[i].param_types[p])));
    function.Set("paramTypes", params);
    array.Set(i, function);
  }
  return array;
}

Napi::Array segmentsToJs(Napi::Env env, const std::vector<LoadSegment>& segments) {
  Napi::Array array = Napi::Array::New(env, segments.size());
  for (uint32_t i = 0; i < segments.size(); ++i) {
    Napi::Object segment = Napi::Object::New(env);
    segment.Set("address", big(env, segments[i].address));
    segment.Set("size", Napi::Number::New(env, double(segments[i].memory_size)));
    setPermissions(env, segment, segments[i].permissions);
    array.Set(i, segment);
  }
  return array;
}

Napi::Array regionsToJs(Napi::Env env, const std::vector<Region>& regions) {
  Napi::Array array = Napi::Array::New(env, regions.size());
  for (uint32_t i = 0; i < regions.size(); ++i) {
    Napi::Object region = Napi::Object::New(env);
    region.Set("name", Napi::String::New(env, regions[i].name));
    region.Set("address", big(env, regions[i].address));
    region.Set("size", Napi::Number::New(env, double(regions[i].size)));
    setPermissions(env, region, regions[i].permissions);
    array.Set(i, region);
  }
  return array;
}

Napi::Object layoutToJs(Napi::Env env, const Layout& layout) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("memorySize", Napi::Number::New(env, double(layout.memory_size)));
  o.Set("imageEnd", big(env, layout.image_end));
  o.Set("pebAddress", big(env, layout.peb_address));
  o.Set("inputAddress", big(env, layout.input_address));
  o.Set("inputSize", Napi::Number::New(env, double(layout.input_size)));
  o.Set("outputAddress", big(env, layout.output_address));
  o.Set("outputSize", Napi::Number::New(env, double(layout.output_size)));
  o.Set("heapAddress", big(env, layout.heap_address));
  o.Set("heapSize", Napi::Number::New(env, double(layout.heap_size)));
  o.Set("stackGuardAddress", big(env, layout.stack_guard_address));
  o.Set("stackBottom", big(env, layout.stack_bottom));
  o.Set("stackSize", Napi::Number::New(env, double(layout.stack_size)));
  o.Set("exceptionStackBottom", big(env, kExceptionStackBottom));
  o.Set("exceptionStackTop", big(env, kExceptionStackTop));
  return o;
}

uint64_t bigintArgument(const Napi::Value& value, const char* what) {
  if (value.IsBigInt()) {
    bool lossless = true;
    const uint64_t result = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail("INVALID_OPTIONS", std::string(what) + " does not fit in 64 bits");
    return result;
  }
  if (value.IsNumber()) {
    const double number = value.As<Napi::Number>().DoubleValue();
    if (number < 0 || number > 9007199254740991.0 || number != double(uint64_t(number)))
      fail("INVALID_OPTIONS", std::string(what) + " must be a non-negative integer");
    return uint64_t(number);
  }
  fail("INVALID_OPTIONS", std::string(what) + " must be a bigint or a number");
}

void registersFromJs(const Napi::Object& object, kvm_regs& regs) {
  struct Field {
    const char* name;
    __u64* slot;
  } fields[] = {{"rax", &regs.rax}, {"rbx", &regs.rbx}, {"rcx", &regs.rcx}, {"rdx", &regs.rdx},
                {"rsi", &regs.rsi}, {"rdi", &regs.rdi}, {"rbp", &regs.rbp}, {"rsp", &regs.rsp},
                {"r8", &regs.r8},   {"r9", &regs.r9},   {"r10", &regs.r10}, {"r11", &regs.r11},
                {"r12", &regs.r12}, {"r13", &regs.r13}, {"r14", &regs.r14}, {"r15", &regs.r15},
                {"rip", &regs.rip}, {"rflags", &regs.rflags}};
  for (const Field& field : fields)
    if (object.Has(field.name)) *field.slot = bigintArgument(object.Get(field.name), field.name);
}

bool specialRegistersFromJs(const Napi::Object& object, kvm_sregs& sregs) {
  bool any = false;
  struct Field {
    const char* name;
    __u64* slot;
  } fields[] = {{"cr0", &sregs.cr0}, {"cr2", &sregs.cr2}, {"cr3", &sregs.cr3}, {"cr4", &sregs.cr4}, {"efer", &sregs.efer}};
  for (const Field& field : fields)
    if (object.Has(field.name)) {
      *field.slot = bigintArgument(object.Get(field.name), field.name);
      any = true;
    }
  struct Segment {
    const char* name;
    kvm_segment* segment;
  } segments[] = {{"cs", &sregs.cs}, {"ds", &sregs.ds}, {"es", &sregs.es}, {"fs", &sregs.fs}, {"gs", &sregs.gs}, {"ss", &sregs.ss}};
  for (const Segment& entry : segments) {
    if (!object.Has(entry.name) || !object.Get(entry.name).IsObject()) continue;
    Napi::Object segment = object.Get(entry.name).As<Napi::Object>();
    if (segment.Has("selector")) entry.segment->selector = uint16_t(bigintArgument(segment.Get("selector"), "selector"));
    if (segment.Has("base")) entry.segment->base = bigintArgument(segment.Get("base"), "base");
    any = true;
  }
  return any;
}

bool isUint8Array(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

std::vector<uint8_t> bytesArgument(const Napi::Value& value, const char* what) {
  if (!isUint8Array(value)) fail("INVALID_OPTIONS", std::string(what) + " must be a Uint8Array");
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(array.Data(), array.Data() + array.ByteLength());
}

Napi::Error jsError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void fpuFromJs(const Napi::Object& fpu, uint8_t* legacy) {
  auto put16 = [&](const char* name, size_t offset) {
    if (fpu.Has(name)) {
      const uint16_t value = uint16_t(bigintArgument(fpu.Get(name), name));
      std::memcpy(legacy + offset, &value, 2);
    }
  };
  put16("fcw", 0);
  put16("fsw", 2);
  if (fpu.Has("ftw")) legacy[4] = uint8_t(bigintArgument(fpu.Get("ftw"), "ftw"));
  if (fpu.Has("mxcsr")) {
    const uint32_t mxcsr = uint32_t(bigintArgument(fpu.Get("mxcsr"), "mxcsr"));
    std::memcpy(legacy + 24, &mxcsr, 4);
  }
  auto putArray = [&](const char* name, size_t base, size_t stride, size_t width, uint32_t count) {
    if (!fpu.Has(name) || !fpu.Get(name).IsArray()) return;
    Napi::Array array = fpu.Get(name).As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length() && i < count; ++i) {
      Napi::Value item = array.Get(i);
      if (item.IsUndefined() || item.IsNull()) continue;
      if (!item.IsTypedArray()) fail("INVALID_OPTIONS", std::string(name) + "[" + std::to_string(i) + "] must be a Uint8Array");
      Napi::Uint8Array bytes = item.As<Napi::Uint8Array>();
      if (bytes.ByteLength() != width)
        fail("INVALID_OPTIONS", std::string(name) + "[" + std::to_string(i) + "] must be " + std::to_string(width) + " bytes");
      std::memcpy(legacy + base + stride * i, bytes.Data(), width);
    }
  };
  putArray("st", 32, 16, 10, 8);
  putArray("xmm", 160, 16, 16, 16);
}

}  // namespace microvm
