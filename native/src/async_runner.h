// The async calls of one sandbox: the work runs on the sandbox's own vCPU thread (VcpuThread) and
// its result comes back to the JS thread through a thread-safe function, to the callback JS gave.
// While a call is in flight the JS object that owns the runner is kept alive (Ref) and so is the
// event loop (the thread-safe function is Ref'd); between calls neither is held.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>

#include "vcpu_thread.h"

namespace microvm {

class AsyncRunner {
 public:
  // Turns the work's result into the callback's value; called on the JS thread.
  using ToJs = std::function<Napi::Value(Napi::Env)>;
  // Runs on the vCPU thread. A HostError or other exception it throws reaches the callback as
  // (error, undefined); otherwise the callback gets (null, toJs(env)).
  using Work = std::function<ToJs()>;

  bool running() const { return running_; }
  void start(Napi::Env env, Napi::Function callback, Napi::Reference<Napi::Object>& owner, Work work);
  // Joins the vCPU thread (a pending result is still delivered) and releases the thread-safe function.
  void release();

 private:
  struct Result {
    ToJs to_js;
    bool failed = false;
    std::string code, message;
  };
  void deliver(Napi::Env env, const Result& result);

  std::unique_ptr<VcpuThread> thread_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Object>* owner_ = nullptr;
  bool running_ = false;
};

}  // namespace microvm
