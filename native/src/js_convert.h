// Conversions between the host's C++ structures and the JavaScript objects of native/lib/types.ts.
#pragma once

#include <linux/kvm.h>
#include <napi.h>

#include <new>
#include <string>

#include "guest_image.h"
#include "host_error.h"
#include "layout.h"
#include "machine.h"

namespace microvm {

Napi::Object registersToJs(Napi::Env env, const kvm_regs& regs, const kvm_sregs& sregs, const kvm_fpu& fpu);
Napi::Object outcomeToJs(Napi::Env env, const RunOutcome& outcome, const kvm_fpu* fpu);
Napi::Array functionsToJs(Napi::Env env, const std::vector<GuestFunction>& functions);
Napi::Array segmentsToJs(Napi::Env env, const std::vector<LoadSegment>& segments);
Napi::Array regionsToJs(Napi::Env env, const std::vector<Region>& regions);
Napi::Object layoutToJs(Napi::Env env, const Layout& layout);
// Applies a partial register object (bigint fields named as in types.ts) onto `regs`.
void registersFromJs(const Napi::Object& object, kvm_regs& regs);
// Applies cr0/cr2/cr3/cr4/efer and segment selectors from `object`; returns true if any was given.
bool specialRegistersFromJs(const Napi::Object& object, kvm_sregs& sregs);
// Applies fcw/fsw/ftw/mxcsr and st/xmm byte arrays onto an FXSAVE image.
void fpuFromJs(const Napi::Object& fpu, uint8_t* legacy);
uint64_t bigintArgument(const Napi::Value& value, const char* what);
bool isUint8Array(const Napi::Value& value);
// A copy of a Uint8Array argument (INVALID_OPTIONS, naming `what`, for anything else).
std::vector<uint8_t> bytesArgument(const Napi::Value& value, const char* what);

// A JS Error with a `code` property from native/lib/types.ts ErrorCode.
Napi::Error jsError(Napi::Env env, const std::string& code, const std::string& message);

// Runs `body`, turning every C++ exception into a thrown JS error.
template <typename Body>
Napi::Value guarded(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const HostError& error) {
    throw jsError(env, error.code(), error.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw jsError(env, "OUT_OF_MEMORY", "the host ran out of memory");
  } catch (const std::exception& error) {
    throw jsError(env, "INTERNAL", std::string("internal error: ") + error.what());
  }
}

}  // namespace microvm
