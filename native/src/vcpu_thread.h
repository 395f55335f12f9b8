// A dedicated thread that runs one machine's vCPU for async calls, so the JS thread never blocks
// in KVM_RUN. It runs one `runUntilExit` per request and hands the outcome back.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace microvm {

class VcpuThread {
 public:
  VcpuThread();
  ~VcpuThread();  // joins
  VcpuThread(const VcpuThread&) = delete;
  VcpuThread& operator=(const VcpuThread&) = delete;

  // Runs `job` on the thread, marks the thread idle, then runs the function the job returned
  // (which typically hands the result to JS, whose next submit must find the thread idle).
  // Returns false if a job is still running.
  using Job = std::function<std::function<void()>()>;
  bool submit(Job job);

 private:
  void loop();
  std::mutex mutex_;
  std::condition_variable wake_;
  Job job_;
  bool busy_ = false;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace microvm
