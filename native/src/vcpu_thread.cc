#include "vcpu_thread.h"

namespace microvm {

VcpuThread::VcpuThread() : thread_([this] { loop(); }) {}

VcpuThread::~VcpuThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool VcpuThread::submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) return false;
    busy_ = true;
    job_ = std::move(job);
  }
  wake_.notify_one();
  return true;
}

void VcpuThread::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return quit_ || job_ != nullptr; });
      if (job_ == nullptr) return;  // quit with nothing pending
      job = std::move(job_);
      job_ = nullptr;
    }
    std::function<void()> deliver = job();  // never throws: the submitter wraps its work
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    if (deliver) deliver();
  }
}

}  // namespace microvm
