#include "async_runner.h"

#include "host_error.h"
#include "js_convert.h"

namespace microvm {

void AsyncRunner::start(Napi::Env env, Napi::Function callback, Napi::Reference<Napi::Object>& owner, Work work) {
  if (!thread_) {
    thread_ = std::make_unique<VcpuThread>();
    tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                          "microvm-vcpu", 0, 1);
    tsfn_.Unref(env);
  }
  callback_ = Napi::Persistent(callback);
  running_ = true;
  tsfn_.Ref(env);
  owner_ = &owner;
  owner.Ref();  // keep the owner alive until the outcome is delivered
  thread_->submit([this, work = std::move(work)]() -> std::function<void()> {
    auto result = std::make_shared<Result>();
    try {
      result->to_js = work();
    } catch (const HostError& error) {
      result->failed = true;
      result->code = error.code();
      result->message = error.what();
    } catch (const std::exception& error) {
      result->failed = true;
      result->code = "INTERNAL";
      result->message = error.what();
    }
    return [this, result]() {
      tsfn_.NonBlockingCall([this, result](Napi::Env env, Napi::Function) { deliver(env, *result); });
    };
  });
}

void AsyncRunner::deliver(Napi::Env env, const Result& result) {
  running_ = false;
  tsfn_.Unref(env);
  Napi::FunctionReference callback = std::move(callback_);
  owner_->Unref();
  Napi::HandleScope scope(env);
  if (result.failed) {
    callback.Call({jsError(env, result.code, result.message).Value(), env.Undefined()});
    return;
  }
  callback.Call({env.Null(), result.to_js(env)});
}

void AsyncRunner::release() {
  thread_.reset();  // joins; a pending outcome is still delivered through the TSFN
  if (tsfn_) {
    tsfn_.Release();
    tsfn_ = Napi::ThreadSafeFunction();
  }
}

}  // namespace microvm
