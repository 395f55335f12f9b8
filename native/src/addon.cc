// The Node binding: a thin translation between JavaScript and the Machine. Every entry point
// catches everything so that no C++ exception reaches Node; errors become JS Errors with a
// `code` property from native/lib/types.ts ErrorCode.
#include <napi.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>

#include "async_runner.h"
#include "builtin_host_calls.h"
#include "guest_image.h"
#include "host_error.h"
#include "js_convert.h"
#include "kvm.h"
#include "machine.h"

namespace microvm {
namespace {

uint64_t optionalSize(const Napi::Object& options, const char* name, uint64_t fallback) {
  if (!options.Has(name) || options.Get(name).IsUndefined()) return fallback;
  Napi::Value value = options.Get(name);
  if (!value.IsNumber()) fail("INVALID_OPTIONS", std::string(name) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.17g", number);
  if (!(number >= 0) || number != double(uint64_t(number)))
    fail("INVALID_OPTIONS", std::string(name) + " must be a non-negative integer, got " + shown);
  if (number > double(1ull << 40)) fail("INVALID_OPTIONS", std::string(name) + " is too large: " + shown);
  return uint64_t(number);
}

bool outcomeCarriesRegisters(RunOutcome::Kind kind) {
  return kind != RunOutcome::kReady && kind != RunOutcome::kHostCall && kind != RunOutcome::kAbort &&
         kind != RunOutcome::kSliced;
}

class SandboxWrap : public Napi::ObjectWrap<SandboxWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeSandbox",
                       {
                           InstanceMethod<&SandboxWrap::runSync>("runSync"),
                           InstanceMethod<&SandboxWrap::runAsync>("runAsync"),
                           InstanceMethod<&SandboxWrap::finishInitialisation>("finishInitialisation"),
                           InstanceMethod<&SandboxWrap::beginCall>("beginCall"),
                           InstanceMethod<&SandboxWrap::restore>("restore"),
                           InstanceMethod<&SandboxWrap::setBudget>("setBudget"),
                           InstanceMethod<&SandboxWrap::restoreLater>("restoreLater"),
                           InstanceMethod<&SandboxWrap::requestPause>("requestPause"),
                           InstanceMethod<&SandboxWrap::getRegisters>("getRegisters"),
                           InstanceMethod<&SandboxWrap::setRegisters>("setRegisters"),
                           InstanceMethod<&SandboxWrap::readMemory>("readMemory"),
                           InstanceMethod<&SandboxWrap::writeMemory>("writeMemory"),
                           InstanceMethod<&SandboxWrap::writeInput>("writeInput"),
                           InstanceMethod<&SandboxWrap::readOutput>("readOutput"),
                           InstanceMethod<&SandboxWrap::writeOutput>("writeOutput"),
                           InstanceMethod<&SandboxWrap::describe>("describe"),
                           InstanceMethod<&SandboxWrap::setBreakpoint>("setBreakpoint"),
                           InstanceMethod<&SandboxWrap::removeBreakpoint>("removeBreakpoint"),
                           InstanceMethod<&SandboxWrap::setHardwareBreakpoint>("setHardwareBreakpoint"),
                           InstanceMethod<&SandboxWrap::clearHardwareBreakpoint>("clearHardwareBreakpoint"),
                           InstanceMethod<&SandboxWrap::setSingleStep>("setSingleStep"),
                           InstanceMethod<&SandboxWrap::setServeBuiltins>("setServeBuiltins"),
                           InstanceMethod<&SandboxWrap::dispose>("dispose"),
                       });
  }

  explicit SandboxWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SandboxWrap>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      std::vector<uint8_t> elf = bytesArgument(info[0], "the guest ELF");
      Napi::Object options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
      LayoutOptions layout;
      layout.memory_size = optionalSize(options, "memorySize", layout.memory_size);
      layout.input_size = optionalSize(options, "inputBufferSize", layout.input_size);
      layout.output_size = optionalSize(options, "outputBufferSize", layout.output_size);
      layout.stack_size = optionalSize(options, "stackSize", layout.stack_size);
      GuestImage image = parseGuestImage(std::move(elf));
      std::shared_ptr<Kvm> kvm = options.Has("kvmDevice") && options.Get("kvmDevice").IsString()
                                     ? Kvm::open(options.Get("kvmDevice").As<Napi::String>().Utf8Value())
                                     : Kvm::system();
      machine_ = std::make_unique<Machine>(std::move(kvm), std::move(image), layout);
      return env.Undefined();
    });
  }

  ~SandboxWrap() override { release(); }

 private:
  // The machine with any due snapshot restore done first (on this, the JS thread).
  Machine& machine() {
    Machine& vm = unsettledMachine();
    vm.settle();
    return vm;
  }

  Machine& unsettledMachine() {
    if (!machine_) fail("SANDBOX_DISPOSED", "the sandbox has been disposed");
    return *machine_;
  }

  void requireIdle() {
    if (async_.running()) fail("SANDBOX_BUSY", "the vCPU is running an async call on this sandbox");
  }

  // A binding that drives the machine from the JS thread: every C++ error becomes a JS error, and
  // a call while an async call runs fails with SANDBOX_BUSY. `body` returns the JS value, or
  // nothing for undefined.
  template <typename Body>
  Napi::Value idle(const Napi::CallbackInfo& info, Body body) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      requireIdle();
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        return info.Env().Undefined();
      } else {
        return body();
      }
    });
  }

  // idle() with the machine, any due snapshot restore done first, for a body that starts with it.
  template <typename Body>
  Napi::Value withMachine(const Napi::CallbackInfo& info, Body body) {
    return idle(info, [&] { return body(machine()); });
  }

  // The outcome, with the host calls served natively before it as `served: [{ text, durationUs }]`.
  static Napi::Object withServed(Napi::Env env, Napi::Object outcome, const std::vector<ServedHostCall>& served) {
    if (served.empty()) return outcome;
    Napi::Array array = Napi::Array::New(env, served.size());
    for (uint32_t i = 0; i < served.size(); ++i) {
      Napi::Object call = Napi::Object::New(env);
      call.Set("text", Napi::String::New(env, served[i].text));
      call.Set("durationUs", Napi::Number::New(env, served[i].duration_us));
      array.Set(i, call);
    }
    outcome.Set("served", array);
    return outcome;
  }

  // runSync(sliceUs?, outputPrefix?): runs on this thread until an exit JS must see, serving
  // HostPrint natively; with sliceUs > 0 it returns { kind: 'sliced' } once that much time has
  // passed. When the exit leaves a record in the output buffer (host-call, ready, abort), its first
  // bytes are copied into `outputPrefix` (a Uint8Array JS keeps) and `outputPrefixBytes` says how
  // many: one native call and no allocation per exit instead of a readOutput.
  Napi::Value runSync(const Napi::CallbackInfo& info) {
    return idle(info, [&]() -> Napi::Value {
      const int64_t slice_ns = info[0].IsUndefined() ? 0 : int64_t(bigintArgument(info[0], "sliceUs")) * 1000;
      std::vector<ServedHostCall> served;
      RunOutcome outcome = runOnce(machine(), serve_builtins_, slice_ns, served);
      Napi::Env env = info.Env();
      if (!outcomeCarriesRegisters(outcome.kind)) {
        Napi::Object object = outcomeToJs(env, outcome, nullptr);
        if (outcome.kind != RunOutcome::kSliced && isUint8Array(info[1])) {
          Napi::Uint8Array prefix = info[1].As<Napi::Uint8Array>();
          const Layout& layout = machine().layout();
          const uint64_t length = std::min<uint64_t>(prefix.ByteLength(), layout.output_size);
          std::memcpy(prefix.Data(), machine().memory().at(layout.output_address, length, "output"), length);
          object.Set("outputPrefixBytes", Napi::Number::New(env, double(length)));
        }
        return withServed(env, object, served);
      }
      kvm_fpu fpu{};
      machine().getFpu(fpu);
      return withServed(env, outcomeToJs(env, outcome, &fpu), served);
    });
  }

  // runAsync(callback(error, outcome), prologue?): one runUntilExit on the vCPU thread. The
  // optional prologue { restore?: boolean, timeoutMs?: number, input?: Uint8Array } restores the
  // snapshot and begins a call on that same thread first: vCPU ioctls from alternating threads
  // are expensive on some hosts (PVM reloads the vCPU context on every thread switch).
  Napi::Value runAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return idle(info, [&] {
      Machine& vm = unsettledMachine();
      if (!info[0].IsFunction()) fail("INVALID_OPTIONS", "runAsync needs a callback");
      struct Prologue {
        bool restore = false;
        bool begin = false;
        uint64_t timeout_ms = 0;
        std::vector<uint8_t> input;
      };
      auto prologue = std::make_shared<Prologue>();
      if (info[1].IsObject()) {
        Napi::Object options = info[1].As<Napi::Object>();
        prologue->restore = options.Has("restore") && options.Get("restore").ToBoolean().Value();
        if (options.Has("timeoutMs") && !options.Get("timeoutMs").IsUndefined()) {
          prologue->begin = true;
          prologue->timeout_ms = bigintArgument(options.Get("timeoutMs"), "timeoutMs");
          prologue->input = bytesArgument(options.Get("input"), "input");
          if (prologue->input.size() > vm.layout().input_size)
            fail("BAD_ARGUMENTS", std::to_string(prologue->input.size()) + " bytes do not fit the " +
                                      std::to_string(vm.layout().input_size) + "-byte input buffer");
        }
      }
      const bool serve = serve_builtins_;
      async_.start(env, info[0].As<Napi::Function>(), *this, [&vm, prologue, serve]() -> AsyncRunner::ToJs {
        if (prologue->restore) vm.restore();
        vm.settle();
        if (prologue->begin) {
          vm.beginCall(prologue->timeout_ms * 1000000ull);
          vm.writeHostBuffer(vm.layout().input_address, prologue->input.data(), prologue->input.size(), "input");
        }
        auto result = std::make_shared<RunResult>();
        result->outcome = runOnce(vm, serve, 0, result->served);
        if (outcomeCarriesRegisters(result->outcome.kind)) vm.getFpu(result->fpu);
        return [result](Napi::Env env) -> Napi::Value {
          const bool registers = outcomeCarriesRegisters(result->outcome.kind);
          return withServed(env, outcomeToJs(env, result->outcome, registers ? &result->fpu : nullptr), result->served);
        };
      });
    });
  }

  // What one async run brings back from the vCPU thread.
  struct RunResult {
    RunOutcome outcome;
    std::vector<ServedHostCall> served;
    kvm_fpu fpu{};
  };

  Napi::Value finishInitialisation(const Napi::CallbackInfo& info) {
    return withMachine(info, [](Machine& vm) { vm.finishInitialisation(); });
  }

  Napi::Value beginCall(const Napi::CallbackInfo& info) {
    return idle(info, [&] {
      const uint64_t timeout_ms = bigintArgument(info[0], "timeoutMs");
      machine().beginCall(timeout_ms * 1000000ull);
    });
  }

  Napi::Value restoreLater(const Napi::CallbackInfo& info) {
    return idle(info, [&] { unsettledMachine().restoreLater(); });
  }

  Napi::Value setBudget(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) { vm.setBudget(bigintArgument(info[0], "timeoutMs") * 1000000ull); });
  }

  Napi::Value restore(const Napi::CallbackInfo& info) {
    return idle(info, [&] { unsettledMachine().restore(); });
  }

  // From the JS thread while the vCPU thread may be running: no restore here, only the flag and
  // the kick.
  Napi::Value requestPause(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      unsettledMachine().requestPause();
      return info.Env().Undefined();
    });
  }

  Napi::Value getRegisters(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) -> Napi::Value {
      kvm_regs regs;
      kvm_sregs sregs;
      kvm_fpu fpu;
      vm.getRegisters(regs, sregs, fpu);
      return registersToJs(info.Env(), regs, sregs, fpu);
    });
  }

  Napi::Value setRegisters(const Napi::CallbackInfo& info) {
    return idle(info, [&] {
      if (!info[0].IsObject()) fail("INVALID_OPTIONS", "setRegisters needs an object of registers");
      Machine& vm = machine();
      kvm_regs regs;
      kvm_sregs sregs;
      kvm_fpu fpu;
      vm.getRegisters(regs, sregs, fpu);
      Napi::Object wanted = info[0].As<Napi::Object>();
      registersFromJs(wanted, regs);
      vm.setRegisters(regs);
      if (specialRegistersFromJs(wanted, sregs)) vm.setSpecialRegisters(sregs);
      if (wanted.Has("fpu") && wanted.Get("fpu").IsObject()) {
        Napi::Object fpu_fields = wanted.Get("fpu").As<Napi::Object>();
        vm.editXsave([&](uint8_t* legacy) { fpuFromJs(fpu_fields, legacy); });
      }
    });
  }

  // readMemory(address, length): guest virtual memory through the guest's page tables.
  Napi::Value readMemory(const Napi::CallbackInfo& info) {
    return idle(info, [&]() -> Napi::Value {
      const uint64_t address = bigintArgument(info[0], "address");
      const uint64_t length = bigintArgument(info[1], "length");
      Machine& vm = machine();
      if (length > vm.memory().size())
        fail("INVALID_OPTIONS", "cannot read " + std::to_string(length) + " bytes: larger than guest memory");
      Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(info.Env(), length);
      vm.readVirtual(address, buffer.Data(), length);
      return buffer;
    });
  }

  Napi::Value writeMemory(const Napi::CallbackInfo& info) {
    return idle(info, [&] {
      const uint64_t address = bigintArgument(info[0], "address");
      std::vector<uint8_t> data = bytesArgument(info[1], "data");
      machine().writeVirtual(address, data.data(), data.size());
    });
  }

  static void copyIntoBuffer(Machine& vm, const Napi::Value& value, uint64_t address, uint64_t capacity, const char* name) {
    if (!isUint8Array(value)) fail("INVALID_OPTIONS", std::string(name) + " data must be a Uint8Array");
    Napi::Uint8Array data = value.As<Napi::Uint8Array>();
    if (data.ByteLength() > capacity)
      fail("BAD_ARGUMENTS", std::to_string(data.ByteLength()) + " bytes do not fit the " + std::to_string(capacity) +
                                "-byte " + name + " buffer");
    vm.writeHostBuffer(address, data.Data(), data.ByteLength(), name);
  }

  Napi::Value writeInput(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) {
      const Layout& layout = vm.layout();
      copyIntoBuffer(vm, info[0], layout.input_address, layout.input_size, "input");
    });
  }

  Napi::Value writeOutput(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) {
      const Layout& layout = vm.layout();
      copyIntoBuffer(vm, info[0], layout.output_address, layout.output_size, "output");
    });
  }

  // readOutput(length): the first `length` bytes of the output buffer (clamped to its size).
  Napi::Value readOutput(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) -> Napi::Value {
      const Layout& layout = vm.layout();
      const uint64_t length = std::min<uint64_t>(bigintArgument(info[0], "length"), layout.output_size);
      return Napi::Buffer<uint8_t>::Copy(info.Env(), vm.memory().at(layout.output_address, length, "output"), length);
    });
  }

  Napi::Value describe(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      Machine& vm = unsettledMachine();
      Napi::Object object = Napi::Object::New(env);
      object.Set("entry", Napi::BigInt::New(env, vm.image().entry));
      object.Set("loadBias", Napi::BigInt::New(env, vm.image().load_bias));
      object.Set("positionIndependent", Napi::Boolean::New(env, vm.image().position_independent));
      object.Set("dispatchFunction", Napi::BigInt::New(env, vm.dispatchFunction()));
      object.Set("layout", layoutToJs(env, vm.layout()));
      object.Set("regions", regionsToJs(env, vm.regions()));
      object.Set("functions", functionsToJs(env, vm.image().functions));
      return object;
    });
  }

  Napi::Value setBreakpoint(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) { vm.addSoftwareBreakpoint(bigintArgument(info[0], "address")); });
  }

  Napi::Value removeBreakpoint(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) { vm.removeSoftwareBreakpoint(bigintArgument(info[0], "address")); });
  }

  // setHardwareBreakpoint(slot, { address, kind: 'execute' | 'write' | 'readwrite', length })
  Napi::Value setHardwareBreakpoint(const Napi::CallbackInfo& info) {
    return idle(info, [&] {
      const int slot = int(bigintArgument(info[0], "slot"));
      if (!info[1].IsObject()) fail("INVALID_OPTIONS", "setHardwareBreakpoint needs { address, kind, length }");
      Napi::Object config = info[1].As<Napi::Object>();
      HardwareSlot hardware;
      hardware.enabled = true;
      hardware.address = bigintArgument(config.Get("address"), "address");
      const std::string kind = config.Get("kind").IsString() ? config.Get("kind").As<Napi::String>().Utf8Value() : "";
      if (kind == "execute") hardware.kind = HardwareKind::kExecute;
      else if (kind == "write") hardware.kind = HardwareKind::kWrite;
      else if (kind == "readwrite") hardware.kind = HardwareKind::kReadWrite;
      else fail("INVALID_OPTIONS", "kind must be 'execute', 'write' or 'readwrite', got '" + kind + "'");
      hardware.length = uint8_t(config.Has("length") ? bigintArgument(config.Get("length"), "length") : 1);
      machine().setHardwareSlot(slot, hardware);
    });
  }

  Napi::Value clearHardwareBreakpoint(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) { vm.setHardwareSlot(int(bigintArgument(info[0], "slot")), HardwareSlot{}); });
  }

  Napi::Value setSingleStep(const Napi::CallbackInfo& info) {
    return withMachine(info, [&](Machine& vm) { vm.setSingleStep(info[0].ToBoolean().Value()); });
  }

  // setServeBuiltins(enabled): whether HostPrint is answered natively (the default) or every host
  // call exits to JS, as a debugger needs to stop at one or to see each in order.
  Napi::Value setServeBuiltins(const Napi::CallbackInfo& info) {
    return idle(info, [&] { serve_builtins_ = info[0].ToBoolean().Value(); });
  }

  static RunOutcome runOnce(Machine& vm, bool serve_builtins, int64_t slice_ns, std::vector<ServedHostCall>& served) {
    return serve_builtins ? runServingBuiltins(vm, slice_ns, served) : vm.runUntilExit(slice_ns);
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      release();
      return info.Env().Undefined();
    });
  }

  void release() {
    if (machine_ && async_.running()) machine_->requestPause();
    async_.release();  // joins the vCPU thread; a pending outcome is still delivered
    machine_.reset();
  }

  std::unique_ptr<Machine> machine_;
  AsyncRunner async_;
  bool serve_builtins_ = true;
};

Napi::Value inspectElf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    GuestImage image = parseGuestImage(bytesArgument(info[0], "the guest ELF"));
    Napi::Object object = Napi::Object::New(env);
    object.Set("entry", Napi::BigInt::New(env, image.entry));
    object.Set("positionIndependent", Napi::Boolean::New(env, image.position_independent));
    object.Set("loadBias", Napi::BigInt::New(env, image.load_bias));
    object.Set("imageStart", Napi::BigInt::New(env, image.image_start));
    object.Set("imageEnd", Napi::BigInt::New(env, image.image_end));
    object.Set("segments", segmentsToJs(env, image.segments));
    object.Set("functions", functionsToJs(env, image.functions));
    return object;
  });
}

Napi::Value checkKvm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Kvm> kvm =
        info[0].IsString() ? Kvm::open(info[0].As<Napi::String>().Utf8Value()) : Kvm::system();
    Napi::Object object = Napi::Object::New(env);
    object.Set("apiVersion", Napi::Number::New(env, kvm->apiVersion()));
    object.Set("guestDebug", Napi::Boolean::New(env, kvm->checkExtension(KVM_CAP_SET_GUEST_DEBUG) > 0));
    object.Set("debugRegisters", Napi::Boolean::New(env, kvm->debugRegistersWork()));
    return object;
  });
}

Napi::Value liveMachines(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(Machine::liveCount()));
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeSandbox", SandboxWrap::define(env));
  exports.Set("inspectElf", Napi::Function::New(env, inspectElf));
  exports.Set("checkKvm", Napi::Function::New(env, checkKvm));
  exports.Set("liveMachines", Napi::Function::New(env, liveMachines));
  return exports;
}

}  // namespace microvm

static Napi::Object InitMicrovmNative(Napi::Env env, Napi::Object exports) { return microvm::init(env, exports); }

NODE_API_MODULE(microvm_native, InitMicrovmNative)
