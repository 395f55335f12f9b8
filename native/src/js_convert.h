// Conversions between the host's C++ structures and the JavaScript objects of native/lib/types.ts.
#pragma once

#include <linux/kvm.h>
#include <napi.h>

#include "guest_image.h"
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

}  // namespace microvm
